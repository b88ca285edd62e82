"""Every read and write of the quarterly review: what kb.review.compute turns into the review's numbers.

`review_facts` reads everything a review needs from the store in one state of it (read_snapshot);
kb.review.compute and kb.review.followup are pure functions of what it returns.

Stored instants are ISO text ('2026-07-01' or '2026-07-01T09:00:00Z'); both compare correctly as
text against a bare 'YYYY-MM-DD' bound, so windows are plain text comparisons. `+i.duplicate_of`
keeps SQLite off the duplicate_of index: almost every row matches, so a plain scan is faster.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from sqlite_utils import Database

from kb.store import changelog
from kb.store.queries.graph import unpack_codes
from kb.store.queries.sql import incident_time, incident_time_in

# an incident's time: started, else detected (kb.rules.incident_time says the same for Python values)
_ANCHOR = incident_time("i.")
NOT_DUPLICATE = "+i.duplicate_of IS NULL"
IN_QUARTER = f"{NOT_DUPLICATE} AND {incident_time_in('i.')}"

# when each project began: its launch date, else its first recorded evidence (see compute.portfolio);
# the incidents and health periods are reduced per project in their indexes' order (incidents_live,
# health_project_start) before the union, so the final grouping sorts a few rows per project, not all
_FIRST_EVIDENCE = f"""
    SELECT project, min(at) AS at FROM (
        SELECT i.project AS project, min({_ANCHOR}) AS at FROM incidents i
        WHERE i.duplicate_of IS NULL AND {_ANCHOR} IS NOT NULL GROUP BY i.project
        UNION ALL SELECT h.project, min(h.period_start) FROM health h GROUP BY h.project
        UNION ALL SELECT pf.project, fe.at FROM flag_events fe JOIN project_flags pf ON pf.flag_key = fe.flag_key
        UNION ALL SELECT c.entity_id, c.at FROM changelog c WHERE c.entity = 'project'
    ) GROUP BY project
"""
# the last snapshot of each project recorded before a bound (the change log's own time)
_SNAPSHOT_BEFORE = """
    SELECT c.entity_id AS slug, c.snapshot FROM changelog c WHERE c.seq IN (
        SELECT max(seq) FROM changelog WHERE entity = 'project' AND snapshot IS NOT NULL AND at < :bound
        GROUP BY entity_id)
"""
_FIRST_SNAPSHOT = """
    SELECT c.entity_id AS slug, c.snapshot FROM changelog c WHERE c.seq IN (
        SELECT min(seq) FROM changelog WHERE entity = 'project' AND snapshot IS NOT NULL GROUP BY entity_id)
"""


@dataclass(slots=True)
class PortfolioFacts:
    """What decides a quarter's portfolio: the project rows and what the change log recorded of them."""

    projects: list[dict[str, Any]]  # the projects table's rows, by slug
    first_evidence: dict[str, str]
    at_start: dict[str, dict[str, Any]]  # slug -> last snapshot before the quarter's start
    at_end: dict[str, dict[str, Any]]  # ... before its end
    earliest: dict[str, dict[str, Any]]  # slug -> first snapshot


@dataclass(slots=True)
class QuarterIncident:
    project: str
    detected_by: str | None
    kind: str
    days_to_detect: float | None


@dataclass(slots=True)
class HealthRow:
    project: str
    period: str
    predictions: int | None
    acted_on: int | None
    quality: float | None
    value: float | None


@dataclass(slots=True)
class ActionCounts:
    opened: int
    done: int
    wont_do: int
    still_open: int


@dataclass(slots=True)
class DecisionFacts:
    """What a follow-up judges a decision on: the change log at the decision, the actions now."""

    stage_then: str | None  # the project's stage recorded when the decision was made
    actions_now: dict[str, Counter[str]]  # incident id -> action statuses now (fix decisions only)
    done_then: dict[str, int]  # incident id -> actions done when the decision was made


def window(start: str, end: str) -> dict[str, str]:
    return {"start": start, "end": end}


def _snapshots(db: Database, sql: str, params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {slug: json.loads(snap) for slug, snap in db.execute(sql, params)}


def portfolio_facts(db: Database, *bounds: str) -> list[PortfolioFacts]:
    """The portfolio facts of consecutive windows [bounds[0], bounds[1]), [bounds[1], bounds[2]), ...

    One read serves them all: the projects, their first evidence and the first snapshots do not
    depend on the window, and a window's end is the next one's start.
    """
    snapshots = {bound: _snapshots(db, _SNAPSHOT_BEFORE, {"bound": bound}) for bound in bounds}
    projects = list(db.query("SELECT * FROM projects ORDER BY slug"))
    # the first snapshot is only needed for a project with none before a window's end
    need_first = any(p["slug"] not in snapshots[end] for end in bounds[1:] for p in projects)
    first_evidence = {r[0]: r[1] for r in db.execute(_FIRST_EVIDENCE)}
    earliest = _snapshots(db, _FIRST_SNAPSHOT, {}) if need_first else {}
    return [
        PortfolioFacts(
            projects=projects,
            first_evidence=first_evidence,
            at_start=snapshots[start],
            at_end=snapshots[end],
            earliest=earliest,
        )
        for start, end in pairwise(bounds)
    ]


def current_stages(db: Database) -> dict[str, str]:
    return {slug: stage for slug, stage in db.execute("SELECT slug, stage FROM projects")}


def quarter_incidents(db: Database, start: str, end: str) -> list[QuarterIncident]:
    return [
        QuarterIncident(*r)
        for r in db.execute(
            "SELECT i.project, i.detected_by, i.kind, julianday(i.detected_at) - julianday(i.started_at) "
            f"FROM incidents i WHERE {IN_QUARTER}",
            window(start, end),
        )
    ]


def resolve_durations(db: Database, start: str, end: str) -> list[float | None]:
    """Days from detection to resolution of each incident resolved in [start, end)."""
    return [
        r[0]
        for r in db.execute(
            "SELECT julianday(i.resolved_at) - julianday(i.detected_at) FROM incidents i "
            f"WHERE {NOT_DUPLICATE} AND i.resolved_at >= :start AND i.resolved_at < :end",
            window(start, end),
        )
    ]


def missing_postmortems(db: Database, cutoff: str, limit: int) -> tuple[int, list[str]]:
    """How many incidents known before `cutoff` have no postmortem, and the `limit` oldest ids."""
    missing_sql = (
        f"FROM incidents i WHERE {NOT_DUPLICATE} AND i.postmortem = 'none' "
        "AND coalesce(i.detected_at, i.started_at) < :cutoff"
    )
    count = db.execute(f"SELECT count(*) {missing_sql}", {"cutoff": cutoff}).fetchone()[0]
    oldest = [
        r[0]
        for r in db.execute(
            f"SELECT i.id {missing_sql} ORDER BY coalesce(i.detected_at, i.started_at), i.id LIMIT :limit",
            {"cutoff": cutoff, "limit": limit},
        )
    ]
    return count, oldest


def open_actions(db: Database, end: str) -> dict[str, tuple[int, int]]:
    """Per project: (open actions, of which due before `end`) on incidents that existed by `end`."""
    # the open actions from actions_status_incident (index-only), each one's incident by its key
    # (CROSS JOIN fixes the order): a portfolio has fewer open actions than live incidents, and a
    # key lookup per action costs half of an index probe per incident (100,000 incidents: 0.4 s -> 0.2 s)
    rows = db.execute(
        "SELECT i.project, count(*), coalesce(sum(a.due < :end), 0) FROM actions a CROSS JOIN incidents i "
        "ON i.id = a.incident_id "
        f"WHERE a.status = 'open' AND i.duplicate_of IS NULL AND {_ANCHOR} < :end GROUP BY i.project",
        {"end": end},
    )
    return {project: (n, overdue) for project, n, overdue in rows}


def action_counts(db: Database, start: str, end: str) -> ActionCounts:
    """Actions of the quarter's incidents, by status."""
    row = db.execute(
        "SELECT count(*), coalesce(sum(a.status = 'done'), 0), coalesce(sum(a.status = 'wont-do'), 0), "
        "coalesce(sum(a.status = 'open'), 0) FROM actions a JOIN incidents i ON i.id = a.incident_id "
        f"WHERE {IN_QUARTER}",
        window(start, end),
    ).fetchone()
    return ActionCounts(*row)


def health_rows(db: Database, end: str) -> list[HealthRow]:
    """Health periods that started before `end`, per project in time order."""
    return [
        HealthRow(*r)
        for r in db.execute(
            "SELECT project, period, predictions, acted_on, quality, value FROM health WHERE period_start < :end "
            "ORDER BY project, period_start",
            {"end": end},
        )
    ]


def mode_incidents(db: Database, start: str, end: str) -> dict[str, int]:
    """Incidents per taxonomy code: an incident counts once per code, classified or named by a cause.

    Read from each incident's packed chain (`incident_chains`, kb.store.chains: its classification
    codes and its causes' modes in one narrow row), grouped by those two texts in SQL, so Python
    counts a few thousand distinct pairs rather than the causes table's wide rows. An incident
    without a packed row is counted from its child rows, where the UNION keeps each (incident, code)
    pair once.
    """
    sql = (
        f"WITH q AS MATERIALIZED (SELECT i.id FROM incidents i WHERE {IN_QUARTER}) "
        "SELECT c.modes, c.codes, count(*) FROM q JOIN incident_chains c ON c.incident_id = q.id "
        "GROUP BY c.modes, c.codes "
        "UNION ALL SELECT m.code, '', count(*) FROM ("
        " SELECT c.incident_id, c.code FROM q JOIN classifications c ON c.incident_id = q.id"
        " WHERE NOT EXISTS (SELECT 1 FROM incident_chains p WHERE p.incident_id = q.id)"
        " UNION SELECT k.incident_id, k.mode AS code FROM q JOIN causes k ON k.incident_id = q.id"
        " WHERE k.mode IS NOT NULL AND NOT EXISTS (SELECT 1 FROM incident_chains p WHERE p.incident_id = q.id)"
        ") m GROUP BY m.code"
    )
    counts: Counter[str] = Counter()
    for modes, codes, n in db.execute(sql, window(start, end)):
        for code in {*unpack_codes(modes), *unpack_codes(codes)} - {""}:  # "": a cause without a mode
            counts[code] += n
    return dict(counts)


def worst_incidents(db: Database, start: str, end: str, limit: int) -> list[dict[str, Any]]:
    """The quarter's worst incidents: lowest severity number first, then longest impact, then id."""
    return list(
        db.query(
            "SELECT i.id, i.project, i.title, i.kind, i.severity FROM incidents i "
            f"WHERE {IN_QUARTER} ORDER BY i.severity, "
            f"julianday(coalesce(i.resolved_at, :end)) - julianday({_ANCHOR}) DESC, i.id "
            "LIMIT :limit",
            {**window(start, end), "limit": limit},
        )
    )


def decision_rows(db: Database, quarter: str) -> list[dict[str, Any]]:
    """A quarter's decisions in the order they were made."""
    return list(db.query("SELECT * FROM decisions WHERE quarter = ? ORDER BY at, id", [quarter]))


def decision_facts(db: Database, project: str, at: str, with_actions: bool) -> DecisionFacts:
    """The change log's record of a project when a decision was made; with its incidents' actions."""
    from kb.timeutil import instant

    when = instant(at)
    assert when is not None  # a decision's time is NOT NULL
    rec = changelog.as_of(db, "project", project, when)
    stage_then = None
    if rec is not None and rec.snapshot and rec.snapshot.get("stage") is not None:
        stage_then = str(rec.snapshot["stage"])
    now: dict[str, Counter[str]] = {}
    done_then: dict[str, int] = {}
    if with_actions:
        for incident_id, status in db.execute(
            "SELECT a.incident_id, a.status FROM actions a JOIN incidents i ON i.id = a.incident_id "
            "WHERE i.project = ? AND i.duplicate_of IS NULL",
            [project],
        ):
            now.setdefault(incident_id, Counter())[status] += 1
        for incident_id in now:
            inc = changelog.as_of(db, "incident", incident_id, when)
            actions = inc.snapshot.get("actions", []) if inc is not None and inc.snapshot else []
            done_then[incident_id] = sum(1 for a in actions if a.get("status") == "done")
    return DecisionFacts(stage_then=stage_then, actions_now=now, done_then=done_then)


def frozen_body(db: Database, quarter: str) -> dict[str, Any] | None:
    row = db.execute("SELECT body FROM frozen_reviews WHERE quarter = ?", [quarter]).fetchone()
    return json.loads(row[0]) if row else None


def frozen_review_rows(db: Database) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT quarter, frozen_at, actor, json_extract(body, '$.summary.projects') AS projects, "
            "json_extract(body, '$.summary.incidents_opened') AS incidents, "
            "json_array_length(body, '$.decisions') AS decisions FROM frozen_reviews ORDER BY quarter"
        )
    )


def insert_decision(db: Database, values: list[Any]) -> None:
    """(quarter, project, decision, owner, due, note, at, actor)"""
    db.execute(
        "INSERT INTO decisions (quarter, project, decision, owner, due, note, at, actor) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        values,
    )


def insert_frozen_review(db: Database, quarter: str, frozen_at: str, actor: str, body: str) -> None:
    db.execute(
        "INSERT INTO frozen_reviews (quarter, frozen_at, actor, body) VALUES (?, ?, ?, ?)",
        [quarter, frozen_at, actor, body],
    )


@dataclass(slots=True)
class ReviewFacts:
    """Everything a quarter's review reads from the store itself, read in one state of the store."""

    portfolio: PortfolioFacts
    previous_portfolio: PortfolioFacts  # the previous quarter's (which projects its review held)
    open_by_project: dict[str, tuple[int, int]]
    incidents: list[QuarterIncident]
    resolve_days: list[float | None]
    missing_count: int
    missing_ids: list[str]
    actions: ActionCounts
    health: list[HealthRow]
    modes_now: dict[str, int]
    modes_before: dict[str, int]
    worst: list[dict[str, Any]]
    decisions: list[dict[str, Any]]
    previous_decisions: list[dict[str, Any]]
    stages: dict[str, str]  # today's stage of every project (a follow-up is judged on the data now)
    decision_facts: dict[int, DecisionFacts]  # previous quarter's decision id -> its facts


def review_facts(
    db: Database,
    start: str,
    end: str,
    before: tuple[str, str, str],
    quarter: str,
    *,
    cutoff: str,
    missing_limit: int,
    worst_limit: int,
) -> ReviewFacts:
    """The store's part of a review of [start, end); `before` is the previous quarter's (label, start, end)."""
    from kb.store.mapped import mapped
    from kb.store.retry import read_snapshot

    with mapped(db.conn), read_snapshot(db):  # a dozen queries, one state of the store
        count, ids = missing_postmortems(db, cutoff, missing_limit)
        previous = decision_rows(db, before[0])
        then, now = portfolio_facts(db, before[1], start, end)
        return ReviewFacts(
            portfolio=now,
            previous_portfolio=then,
            open_by_project=open_actions(db, end),
            incidents=quarter_incidents(db, start, end),
            resolve_days=resolve_durations(db, start, end),
            missing_count=count,
            missing_ids=ids,
            actions=action_counts(db, start, end),
            health=health_rows(db, end),
            modes_now=mode_incidents(db, start, end),
            modes_before=mode_incidents(db, before[1], before[2]),
            worst=worst_incidents(db, start, end, worst_limit),
            decisions=decision_rows(db, quarter),
            previous_decisions=previous,
            stages=current_stages(db),
            decision_facts={
                d["id"]: decision_facts(db, d["project"], d["at"], d["decision"] == "fix") for d in previous
            },
        )
