"""The numbers of a quarterly review, read with a few aggregate queries (no incident is materialised).

Definitions (docs/review.md says the same for readers):
- an incident belongs to a quarter when `started_at` (or, if unknown, `detected_at`) lies in the
  quarter's half-open window `[start, end)`; merged duplicates never count;
- the portfolio of a quarter (`portfolio`) is every project that existed by the quarter's end (its
  launch date, or when that is unknown its first recorded evidence: an incident, a health period, a
  flag event, or the day kb first recorded it) and was not already retired when the quarter began;
  each shows the stage, owner, name and team the change log recorded for it as of the quarter's end
  (the first record when nothing was recorded by then);
- a quiet shutdown of the quarter is either logged (an incident of kind quiet-shutdown in the
  quarter) or detected but unlogged (a flag turned off with no incident, as the silent-failure
  detector reports it, on a day in the quarter); both are counted per project on the scorecard and
  summed, apart, in the summary (`quiet_shutdowns_in`);
- time to detect = detected_at - started_at over the quarter's incidents; time to resolve =
  resolved_at - detected_at over incidents *resolved* in the quarter (wherever they started);
- a postmortem is missing when an incident detected (or started) more than 14 days before the
  quarter's end still has postmortem `none`, whatever quarter it belongs to (it is a backlog);
- actions opened = actions of the quarter's incidents; completion rate = done / (opened - wont-do);
  an action is overdue when its status is open and it was due before the quarter's end.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from kb.review.model import (
    ActionStats,
    Decision,
    ModeCount,
    PortfolioSummary,
    Recommendation,
    Trend,
    WorstIncident,
)
from kb.review.stats import duration_stats
from kb.timeutil import Period, from_text

if TYPE_CHECKING:
    from kb.taxonomy import Taxonomy

POSTMORTEM_GRACE_DAYS = 14
TREND_PERIODS = 8
WORST_INCIDENTS = 3
MISSING_IDS_LISTED = 50  # the oldest missing postmortems are named; the count covers all of them
DOMINANT_MODES = 3

# who noticed, grouped the way the review asks: machines, people, a review or audit, nobody
DETECTION_GROUPS: dict[str, str] = {
    "monitoring": "monitoring",
    "user-report": "people",
    "downstream-team": "people",
    "audit": "review",
    "review": "review",
    "nobody": "nobody",
}
GROUP_ORDER = ("monitoring", "people", "review", "nobody")

# stored instants are ISO text ('2026-07-01' or '2026-07-01T09:00:00Z'); both compare correctly as
# text against a bare 'YYYY-MM-DD' bound, so windows are plain text comparisons. `+i.duplicate_of`
# keeps SQLite off the duplicate_of index: almost every row matches, so a plain scan is faster.
_ANCHOR = "coalesce(i.started_at, i.detected_at)"
NOT_DUPLICATE = "+i.duplicate_of IS NULL"
# `{_ANCHOR} >= :start AND {_ANCHOR} < :end`, written as two branches so SQLite can use the
# started_at index: started in the quarter, or never started and detected in it
IN_QUARTER = (
    f"{NOT_DUPLICATE} AND ((i.started_at >= :start AND i.started_at < :end) "
    "OR (i.started_at IS NULL AND i.detected_at >= :start AND i.detected_at < :end))"
)

# when each project began: its launch date, else its first recorded evidence (see `portfolio`)
_FIRST_EVIDENCE = """
    SELECT project, min(at) AS at FROM (
        SELECT i.project AS project, coalesce(i.started_at, i.detected_at) AS at FROM incidents i
        WHERE i.duplicate_of IS NULL AND coalesce(i.started_at, i.detected_at) IS NOT NULL
        UNION ALL SELECT h.project, h.period_start FROM health h
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
AS_RECORDED = ("name", "team", "owner", "stage")


def window(period: Period) -> dict[str, str]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat()}


def _scalar(db: Database, sql: str, params: dict[str, Any]) -> Any:
    return db.execute(sql, params).fetchone()[0]


def portfolio(db: Database, period: Period) -> list[dict[str, Any]]:
    """The quarter's projects as recorded then (slug, name, team, owner, stage), by slug.

    In: began (launch date, else first evidence) before the quarter's end, and not retired when the
    quarter began (its `retired_on`, or the change log's record as of the quarter's start). As
    recorded: the change log's last snapshot before the quarter's end, else its first snapshot, else
    the row as it is; a project with dated stage changes (its lifecycle) takes its stage from them
    (kb.lifecycle.stage_in), and is out of a quarter all of whose changes came after.
    """
    from kb.lifecycle import stage_in
    from kb.store.repo import row_project

    w = window(period)
    first = {r[0]: r[1] for r in db.execute(_FIRST_EVIDENCE)}
    at_end = _snapshots(db, _SNAPSHOT_BEFORE, {"bound": w["end"]})
    at_start = _snapshots(db, _SNAPSHOT_BEFORE, {"bound": w["start"]})
    earliest: dict[str, dict[str, Any]] | None = None
    out = []
    for r in db.query("SELECT * FROM projects ORDER BY slug"):
        slug = r["slug"]
        began = r["launched_on"] or first.get(slug)
        if began is None or began >= w["end"]:
            continue
        if (r.get("retired_on") or "9999") < w["start"] or at_start.get(slug, {}).get("stage") == "retired":
            continue
        then = at_end.get(slug)
        if then is None:
            if earliest is None:
                earliest = _snapshots(db, _FIRST_SNAPSHOT, {})
            then = earliest.get(slug, {})
        fields = {k: then[k] if then.get(k) is not None else r[k] for k in AS_RECORDED}
        if r.get("lifecycle") not in (None, "", "[]"):  # dated stage changes say the stage of then best
            stage = stage_in(row_project(r), period)
            if stage is None:  # every recorded change came after the quarter: it had not started
                continue
            fields["stage"] = stage
        out.append({"slug": slug, **fields})
    return out


def current_stages(db: Database) -> dict[str, str]:
    return {slug: stage for slug, stage in db.execute("SELECT slug, stage FROM projects")}


def _snapshots(db: Database, sql: str, params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {slug: json.loads(snap) for slug, snap in db.execute(sql, params)}


def portfolio_summary(
    db: Database,
    period: Period,
    open_by_project: dict[str, tuple[int, int]] | None = None,
    projects: list[dict[str, Any]] | None = None,
) -> tuple[PortfolioSummary, dict[str, int], dict[str, int]]:
    """The portfolio summary; the quarter's incidents and logged quiet shutdowns per project (same pass)."""
    w = window(period)
    if open_by_project is None:
        open_by_project = open_actions(db, period)
    if projects is None:
        projects = portfolio(db, period)
    by_stage: dict[str, int] = defaultdict(int)
    for p in projects:
        by_stage[p["stage"]] += 1
    # one pass over the quarter's incidents gives the count, who detected them, the kinds and time to detect
    opened, quiet, ttd = 0, 0, []
    per_project: dict[str, int] = defaultdict(int)
    quiet_per_project: dict[str, int] = defaultdict(int)
    detection = dict.fromkeys(GROUP_ORDER, 0)
    for project, detected_by, kind, days_to_detect in db.execute(
        "SELECT i.project, i.detected_by, i.kind, julianday(i.detected_at) - julianday(i.started_at) "
        f"FROM incidents i WHERE {IN_QUARTER}",
        w,
    ):
        opened += 1
        per_project[project] += 1
        if kind == "quiet-shutdown":
            quiet += 1
            quiet_per_project[project] += 1
        detection[DETECTION_GROUPS.get(detected_by, "nobody")] += 1
        if days_to_detect is not None:
            ttd.append(days_to_detect)
    resolved, ttr = 0, []
    for (days_to_resolve,) in db.execute(
        "SELECT julianday(i.resolved_at) - julianday(i.detected_at) FROM incidents i "
        f"WHERE {NOT_DUPLICATE} AND i.resolved_at >= :start AND i.resolved_at < :end",
        w,
    ):
        resolved += 1
        if days_to_resolve is not None:
            ttr.append(days_to_resolve)
    share = {k: (v / opened if opened else 0.0) for k, v in detection.items()}
    cutoff = (period.end - timedelta(days=POSTMORTEM_GRACE_DAYS)).isoformat()
    missing_sql = (
        f"FROM incidents i WHERE {NOT_DUPLICATE} AND i.postmortem = 'none' "
        "AND coalesce(i.detected_at, i.started_at) < :cutoff"
    )
    missing_count = _scalar(db, f"SELECT count(*) {missing_sql}", {"cutoff": cutoff})
    oldest_missing = [
        r[0]
        for r in db.execute(
            f"SELECT i.id {missing_sql} ORDER BY coalesce(i.detected_at, i.started_at), i.id LIMIT :limit",
            {"cutoff": cutoff, "limit": MISSING_IDS_LISTED},
        )
    ]
    summary = PortfolioSummary(
        projects=len(projects),
        by_stage=dict(sorted(by_stage.items())),
        incidents_opened=opened,
        incidents_resolved=resolved,
        time_to_detect=duration_stats(ttd),
        time_to_resolve=duration_stats(ttr),
        detection=detection,
        detection_share=share,
        quiet_shutdowns=quiet,
        postmortems_missing=missing_count,
        postmortems_missing_ids=oldest_missing,
        actions=action_stats(db, period, open_by_project),
    )
    return summary, dict(per_project), dict(quiet_per_project)


def open_actions(db: Database, period: Period) -> dict[str, tuple[int, int]]:
    """Per project: (open actions, of which overdue) on incidents that existed by the quarter's end."""
    # live incidents in project order from incidents_live, each one's open actions from
    # actions_status_incident: both index-only, and grouped without a sort (CROSS JOIN fixes the order)
    rows = db.execute(
        "SELECT i.project, count(*), coalesce(sum(a.due < :end), 0) FROM incidents i CROSS JOIN actions a "
        "ON a.status = 'open' AND a.incident_id = i.id "
        f"WHERE i.duplicate_of IS NULL AND {_ANCHOR} < :end GROUP BY i.project",
        window(period),
    )
    return {project: (n, overdue) for project, n, overdue in rows}


def action_stats(db: Database, period: Period, open_by_project: dict[str, tuple[int, int]]) -> ActionStats:
    row = db.execute(
        "SELECT count(*), coalesce(sum(a.status = 'done'), 0), coalesce(sum(a.status = 'wont-do'), 0), "
        "coalesce(sum(a.status = 'open'), 0) FROM actions a JOIN incidents i ON i.id = a.incident_id "
        f"WHERE {IN_QUARTER}",
        window(period),
    ).fetchone()
    opened, done, wont, still_open = row
    denominator = opened - wont
    return ActionStats(
        opened=opened,
        done=done,
        wont_do=wont,
        still_open=still_open,
        overdue=sum(overdue for _, overdue in open_by_project.values()),
        completion_rate=done / denominator if denominator else None,
    )


def project_rows(
    projects: list[dict[str, Any]],
    incidents: dict[str, int],
    open_by_project: dict[str, tuple[int, int]],
    quiet: dict[str, int],
) -> list[dict[str, Any]]:
    """The portfolio's projects with their incident, quiet-shutdown and action counts for the quarter."""
    out = []
    for r in projects:
        n_open, overdue = open_by_project.get(r["slug"], (0, 0))
        out.append(
            {
                **r,
                "incidents": incidents.get(r["slug"], 0),
                "quiet_shutdowns": quiet.get(r["slug"], 0),
                "open_actions": n_open,
                "overdue_actions": overdue,
            }
        )
    return out


def quiet_shutdowns_in(period: Period, verdict: Any) -> int:
    """Shutdowns the silent-failure detector found with no incident logged, on a day in the quarter.

    Read from its `quiet-shutdown` signal (`data["shutdowns"]`, each with its day `at`): the signal
    itself also names shutdowns before the quarter, which belong to the quarters they happened in.
    """
    start, end = period.start.isoformat(), period.end.isoformat()
    n = 0
    for s in getattr(verdict, "signals", []):
        if getattr(s, "code", "") != "quiet-shutdown":
            continue
        for shutdown in (getattr(s, "data", None) or {}).get("shutdowns", []):
            day = str(shutdown.get("at", ""))[:10]
            n += start <= day < end
    return n


TREND_METRICS: tuple[str, ...] = ("predictions", "adoption", "quality", "value")


def health_trends(db: Database, period: Period, n: int = TREND_PERIODS) -> dict[str, list[Trend]]:
    """The last `n` reported periods that started before the quarter's end, per project.

    adoption = acted_on / predictions (the share of predictions someone acted on).
    """
    series: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in db.query(
        "SELECT project, period, predictions, acted_on, quality, value FROM health WHERE period_start < :end "
        "ORDER BY project, period_start",
        window(period),
    ):
        series[r["project"]].append(r)
    out: dict[str, list[Trend]] = {}
    for slug, points in series.items():
        last = points[-n:]
        labels = [p["period"] for p in last]
        values: dict[str, list[float | None]] = {
            "predictions": [p["predictions"] for p in last],
            "adoption": [
                (p["acted_on"] / p["predictions"]) if p["acted_on"] is not None and p["predictions"] else None
                for p in last
            ],
            "quality": [p["quality"] for p in last],
            "value": [p["value"] for p in last],
        }
        out[slug] = [
            Trend(metric=m, periods=labels, values=values[m])
            for m in TREND_METRICS
            if any(v is not None for v in values[m])
        ]
    return out


def _mode_incidents(db: Database, period: Period) -> dict[str, int]:
    """Incidents per taxonomy code: an incident counts once per code, classified or named by a cause."""
    sql = (
        f"WITH q AS (SELECT i.id FROM incidents i WHERE {IN_QUARTER}) "
        "SELECT m.code, count(DISTINCT m.incident_id) AS n FROM ("
        " SELECT c.incident_id, c.code FROM q JOIN classifications c ON c.incident_id = q.id"
        " UNION SELECT k.incident_id, k.mode AS code FROM q JOIN causes k ON k.incident_id = q.id"
        " WHERE k.mode IS NOT NULL"
        ") m GROUP BY m.code"
    )
    return {r["code"]: r["n"] for r in db.query(sql, window(period))}


def mode_counts(db: Database, period: Period, tax: Taxonomy | None) -> list[ModeCount]:
    """Modes seen this quarter or the previous one, most incidents first, then the code."""
    now, before = _mode_incidents(db, period), _mode_incidents(db, period.previous())
    out = []
    for code in set(now) | set(before):
        name, category = code, ""
        if tax is not None and tax.resolve(code) is not None:
            mode = tax.mode(code)
            name, category = mode.name, mode.category
        out.append(
            ModeCount(code=code, name=name, category=category, incidents=now.get(code, 0), previous=before.get(code, 0))
        )
    out.sort(key=lambda m: (-m.incidents, -m.previous, m.code))
    return out


def worst_incidents(db: Database, period: Period, limit: int = WORST_INCIDENTS) -> list[WorstIncident]:
    """The quarter's worst incidents: lowest severity number first, then longest impact, then id."""
    w = window(period)
    rows = db.query(
        "SELECT i.id, i.project, i.title, i.kind, i.severity FROM incidents i "
        f"WHERE {IN_QUARTER} ORDER BY i.severity, "
        "julianday(coalesce(i.resolved_at, :end)) - julianday(coalesce(i.started_at, i.detected_at)) DESC, i.id "
        "LIMIT :limit",
        {**w, "limit": limit},
    )
    return [WorstIncident(**r) for r in rows]


def _decision(row: dict[str, Any]) -> Decision:
    due = from_text(row["due"])
    return Decision(
        id=row["id"],
        quarter=row["quarter"],
        project=row["project"],
        decision=row["decision"],
        owner=row["owner"],
        due=due if isinstance(due, date) else None,
        note=row["note"],
        at=row["at"],
        actor=row["actor"],
    )


def decisions_for(db: Database, quarter: str) -> list[Decision]:
    """The latest decision per project for a quarter (a later decision supersedes an earlier one)."""
    latest: dict[str, Decision] = {}
    for r in db.query("SELECT * FROM decisions WHERE quarter = ? ORDER BY at, id", [quarter]):
        latest[r["project"]] = _decision(r)
    return [latest[k] for k in sorted(latest)]


def recommendations(modes: list[ModeCount], tax: Taxonomy | None, top: int = DOMINANT_MODES) -> list[Recommendation]:
    """The taxonomy's mitigations for the quarter's dominant modes (most incidents this quarter)."""
    if tax is None:
        return []
    out = []
    for m in [m for m in modes if m.incidents > 0][:top]:
        if tax.resolve(m.code) is None:
            continue
        mode = tax.mode(m.code)
        out.append(
            Recommendation(code=m.code, name=mode.name, incidents=m.incidents, mitigations=list(mode.mitigations))
        )
    return out


def frozen_body(db: Database, quarter: str) -> dict[str, Any] | None:
    row = db.execute("SELECT body FROM frozen_reviews WHERE quarter = ?", [quarter]).fetchone()
    return json.loads(row[0]) if row else None
