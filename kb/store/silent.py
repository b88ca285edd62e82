"""The reads and writes of the flag log, health metrics and the silent-failure detector's snapshot.

Rows come back as the store holds them (tuples or dicts of stored text); kb.ops.silent turns them
into the detector's facts.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from kb.store.queries import sql

if TYPE_CHECKING:
    from sqlite_utils import Database


def project_slugs(db: Database) -> set[str]:
    return {r[0] for r in db.execute("SELECT slug FROM projects").fetchall()}


def health_periods(db: Database) -> list[tuple[str, str]]:
    """(project, period label) of every stored health period."""
    return [(slug, period) for slug, period in db.execute("SELECT project, period FROM health").fetchall()]


def put_health(db: Database, cols: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Write health periods; one already there (same project and period) is replaced."""
    db.conn.executemany(
        f"INSERT OR REPLACE INTO health ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})", rows
    )


def seed_health_count(db: Database, slugs: list[str]) -> int:
    """How many health periods the given projects have."""
    import json

    return int(
        db.execute(
            "SELECT count(*) FROM health WHERE project IN (SELECT value FROM json_each(?))", [json.dumps(slugs)]
        ).fetchone()[0]
    )


# --- the detector's snapshot ---------------------------------------------------------------------
# On a bare sqlite3 connection: `kb silent` reads them without sqlite-utils (kb.ops.silent_scan).


def detector_projects(conn: sqlite3.Connection, project: str | None) -> list[tuple[Any, ...]]:
    """(slug, owner, stage, monitoring, baseline, outcome_lag_days, launched_on) of projects not retired."""
    only, params = ("AND p.slug = ?", [project]) if project else ("", [])
    return conn.execute(
        "SELECT slug, owner, stage, monitoring, baseline, outcome_lag_days, launched_on FROM projects p "
        f"WHERE p.stage != 'retired' {only} ORDER BY slug",
        params,
    ).fetchall()


def detector_events(
    conn: sqlite3.Connection, before: str, project: str | None, production: list[str] | None = None
) -> list[tuple[Any, ...]]:
    """(project, flag_key, environment, action, state_to, at, actor, comment, id, scope, serving_to, detail)
    of the mapped flag events before `before`, in time order.

    With `production` (environment names, casefolded), only changes to a whole environment that is
    one of them or none, and those of an environment with a letter beyond ASCII, which SQLite's
    lower() leaves as it is: the caller compares those exactly (kb.silent.detector.judged_change).
    """
    pf_only, params = ("AND pf.project = ?", [project]) if project else ("", [])
    judged = ""
    if production is not None:
        import json

        judged = (
            "AND e.scope = '' AND (e.environment = '' OR lower(e.environment) IN (SELECT value FROM json_each(?)) "
            "OR e.environment GLOB '*[^ -~]*') "
        )
        params = [json.dumps(production), *params]
    return conn.execute(
        "SELECT pf.project, e.flag_key, e.environment, e.action, e.state_to, e.at, e.actor, e.comment, e.id, "
        "e.scope, e.serving_to, e.detail "
        f"FROM flag_events e JOIN project_flags pf ON pf.flag_key = e.flag_key WHERE e.at < ? {judged}{pf_only} "
        "ORDER BY e.at, e.id",
        [before, *params],
    ).fetchall()


def detector_retirements(conn: sqlite3.Connection, before: str, project: str | None) -> list[tuple[Any, ...]]:
    """(project, decision, quarter, at) of review decisions to retire or pause, before `before`."""
    d_only, params = ("AND project = ?", [project]) if project else ("", [])
    return conn.execute(
        "SELECT project, decision, quarter, at FROM decisions WHERE decision IN ('retire', 'pause') "
        f"AND at < ? {d_only} ORDER BY at, id",
        [before, *params],
    ).fetchall()


def detector_health(conn: sqlite3.Connection, end_day: str, project: str | None) -> list[dict[str, Any]]:
    """Health periods ended by `end_day`, per project in time order (flags as booleans)."""
    h_only, params = ("AND project = ?", [project]) if project else ("", [])
    cur = conn.execute(
        "SELECT project, period, period_start, period_end, predictions, acted_on, overrides, quality, cost, value, "
        f"owner_confirmed, flag_on FROM health WHERE period_end <= ? {h_only} ORDER BY project, period_start",
        [end_day, *params],
    )
    names = [d[0] for d in cur.description]
    health = []
    for r in cur.fetchall():
        row = dict(zip(names, r, strict=True))
        for b in ("owner_confirmed", "flag_on"):
            if row[b] is not None:
                row[b] = bool(row[b])
        health.append(row)
    return health


def live_incident_projects(conn: sqlite3.Connection, project: str | None) -> dict[str, str]:
    """incident id -> project of every incident that is not a merged duplicate (from incidents_live)."""
    i_only, params = ("AND project = ?", [project]) if project else ("", [])
    return dict(
        conn.execute(f"SELECT id, project FROM incidents WHERE duplicate_of IS NULL {i_only}", params).fetchall()
    )


def overdue_action_rows(conn: sqlite3.Connection, before_day: str) -> list[tuple[Any, ...]]:
    """(incident_id, title, owner, due) of open actions due before `before_day`, by due date then as written."""
    # a plain scan, since overdue actions are a large share of all actions
    return conn.execute(
        "SELECT incident_id, title, owner, due FROM actions "
        "WHERE +status = 'open' AND +due IS NOT NULL AND +due < ? ORDER BY due, rowid",
        [before_day],
    ).fetchall()


def overdue_action_keys(conn: sqlite3.Connection, before_day: str, project: str | None) -> list[tuple[str, str, int]]:
    """(project, due, rowid) of open actions due before `before_day` on incidents that are not merged
    duplicates, by due date then as written."""
    # driven by actions_status_incident (index-only), each action's incident by its key (CROSS JOIN
    # fixes the order), then sorted: half the time of probing the actions of every live incident, or
    # of mapping 100,000 incidents to their projects in Python; `+due` keeps SQLite off
    # actions_open_due, whose order it would take at the price of a table lookup per action
    i_only, params = ("AND i.project = ?", [project]) if project else ("", [])
    return conn.execute(
        "SELECT i.project, a.due, a.rowid FROM actions a CROSS JOIN incidents i ON i.id = a.incident_id "
        f"WHERE a.status = 'open' AND +a.due < ? AND i.duplicate_of IS NULL {i_only} ORDER BY +a.due, a.rowid",
        [before_day, *params],
    ).fetchall()


def actions_by_rowid(conn: sqlite3.Connection, rowids: list[int]) -> dict[int, tuple[str, str, str, str]]:
    """rowid -> (incident_id, title, owner, due) of the given actions."""
    import json

    return {
        r[0]: r[1:]
        for r in conn.execute(
            "SELECT rowid, incident_id, title, owner, due FROM actions WHERE rowid IN (SELECT value FROM json_each(?))",
            [json.dumps(rowids)],
        )
    }


_INCIDENT_COLUMNS = "i.id, i.project, i.started_at, i.detected_at, i.detected_by, i.flag_at, "
_INCIDENT_COLUMNS += f"coalesce({sql.incident_time('i.')}, '') AS at"


def stale_witnesses(
    conn: sqlite3.Connection, project: str | None, windows: list[tuple[str, str]]
) -> list[frozenset[str]]:
    """Per window [lo, hi) of days: the projects with an incident (not a duplicate) whose known day as
    written (the first ten characters of detected_at, else started_at, else flag_at) lies in it."""
    # one pass over the incidents_live index (which holds the three times), grouped in its project order
    named: dict[str, Any] = {"project": project}
    tests = []
    for n, (lo, hi) in enumerate(windows):
        named[f"lo{n}"], named[f"hi{n}"] = lo, hi
        tests.append(f"max(day >= :lo{n} AND day < :hi{n})")
    only = "AND project = :project" if project else ""
    rows = conn.execute(
        f"SELECT project, {', '.join(tests)} FROM (SELECT project, "
        "substr(coalesce(nullif(detected_at, ''), nullif(started_at, ''), nullif(flag_at, '')), 1, 10) AS day "
        f"FROM incidents WHERE duplicate_of IS NULL {only}) GROUP BY project",
        named,
    ).fetchall()
    return [frozenset(r[0] for r in rows if r[n + 1]) for n in range(len(windows))]


def detector_incidents(
    conn: sqlite3.Connection,
    project: str | None,
    recent: tuple[str, str, int] | None = None,
    offs: str | None = None,
    witnessed: str = "[]",
) -> list[tuple[Any, ...]]:
    """(id, project, started_at, detected_at, detected_by, flag_at, at) of incidents that are not duplicates.

    In time order (`at`: started, else detected), then id. Without `recent`, all of them. With
    `recent` = (stale, late, ttd days): those with a time on or after `stale`, unless their project
    is one of `witnessed` (a JSON list); those with a time on or after `late` that nobody or a review
    found, or that may have taken more than `ttd` whole days to find (more than ttd + 0.5 days apart,
    or times SQLite cannot read); and those of `offs` (JSON [[project, lo, hi], ...]) with a time in
    [lo, hi). An incident may then come twice in a row.
    """
    columns = _INCIDENT_COLUMNS
    named: dict[str, Any] = {"project": project}
    only = "AND i.project = :project" if project else ""
    # every read here is answered from the incidents_live index (m004), not the wide table
    sql = f"SELECT {columns} FROM incidents i WHERE i.duplicate_of IS NULL {only}"
    if recent is None:
        return conn.execute(f"{sql} ORDER BY at, i.id", named).fetchall()
    named["stale"], named["late"], named["ttd"] = recent[0], recent[1], recent[2] + 0.5
    named["offs"], named["witnessed"] = offs, witnessed
    since = " OR ".join(f"i.{c} >= :{{0}}" for c in ("started_at", "detected_at", "flag_at"))
    slow = (
        "i.detected_by IN ('nobody', 'review') OR (i.started_at IS NOT NULL AND i.detected_at IS NOT NULL "
        "AND coalesce(julianday(i.detected_at) - julianday(i.started_at) > :ttd, 1))"
    )
    between = " OR ".join(f"(i.{c} >= r.lo AND i.{c} < r.hi)" for c in ("started_at", "detected_at", "flag_at"))
    # the windows are materialised once and drive the join (CROSS JOIN keeps them outside), so
    # each is one lookup of (no duplicate, project) in incidents_live
    sql = (
        "WITH r AS MATERIALIZED (SELECT json_extract(value, '$[0]') AS project, "
        "json_extract(value, '$[1]') AS lo, json_extract(value, '$[2]') AS hi FROM json_each(:offs)) "
        f"{sql} AND ((({since.format('stale')}) AND i.project NOT IN (SELECT value FROM json_each(:witnessed))) "
        f"OR (({since.format('late')}) AND ({slow}))) "
        f"UNION ALL SELECT {columns} FROM r CROSS JOIN incidents i "
        f"WHERE i.duplicate_of IS NULL AND i.project = r.project {only} AND ({between}) ORDER BY 7, 1"
    )
    return conn.execute(sql, named).fetchall()
