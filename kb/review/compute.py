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

from collections import defaultdict
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

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
    from kb.store.review import ActionCounts, HealthRow, PortfolioFacts, ReviewFacts
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

AS_RECORDED = ("name", "team", "owner", "stage")


def window(period: Period) -> tuple[str, str]:
    return period.start.isoformat(), period.end.isoformat()


def portfolio(facts: PortfolioFacts, period: Period) -> list[dict[str, Any]]:
    """The quarter's projects as recorded then (slug, name, team, owner, stage), by slug.

    In: began (launch date, else first evidence) before the quarter's end, and not retired when the
    quarter began (its `retired_on`, or the change log's record as of the quarter's start). As
    recorded: the change log's last snapshot before the quarter's end, else its first snapshot, else
    the row as it is; a project with dated stage changes (its lifecycle) takes its stage from them
    (kb.lifecycle.stage_in), and is out of a quarter all of whose changes came after.
    """
    from kb.lifecycle import stage_in
    from kb.store.repo import row_project

    start, end = window(period)
    out = []
    for r in facts.projects:
        slug = r["slug"]
        began = r["launched_on"] or facts.first_evidence.get(slug)
        if began is None or began >= end:
            continue
        if (r.get("retired_on") or "9999") < start or facts.at_start.get(slug, {}).get("stage") == "retired":
            continue
        then = facts.at_end.get(slug)
        if then is None:
            then = facts.earliest.get(slug, {})
        fields = {k: then[k] if then.get(k) is not None else r[k] for k in AS_RECORDED}
        if r.get("lifecycle") not in (None, "", "[]"):  # dated stage changes say the stage of then best
            stage = stage_in(row_project(r), period)
            if stage is None:  # every recorded change came after the quarter: it had not started
                continue
            fields["stage"] = stage
        out.append({"slug": slug, **fields})
    return out


def portfolio_summary(
    facts: ReviewFacts, projects: list[dict[str, Any]]
) -> tuple[PortfolioSummary, dict[str, int], dict[str, int]]:
    """The portfolio summary; the quarter's incidents and logged quiet shutdowns per project (same pass)."""
    by_stage: dict[str, int] = defaultdict(int)
    for p in projects:
        by_stage[p["stage"]] += 1
    # one pass over the quarter's incidents gives the count, who detected them, the kinds and time to detect
    opened, quiet, ttd = 0, 0, []
    per_project: dict[str, int] = defaultdict(int)
    quiet_per_project: dict[str, int] = defaultdict(int)
    detection = dict.fromkeys(GROUP_ORDER, 0)
    for inc in facts.incidents:
        opened += 1
        per_project[inc.project] += 1
        if inc.kind == "quiet-shutdown":
            quiet += 1
            quiet_per_project[inc.project] += 1
        detection[DETECTION_GROUPS.get(inc.detected_by or "", "nobody")] += 1
        if inc.days_to_detect is not None:
            ttd.append(inc.days_to_detect)
    ttr = [d for d in facts.resolve_days if d is not None]
    share = {k: (v / opened if opened else 0.0) for k, v in detection.items()}
    summary = PortfolioSummary(
        projects=len(projects),
        by_stage=dict(sorted(by_stage.items())),
        incidents_opened=opened,
        incidents_resolved=len(facts.resolve_days),
        time_to_detect=duration_stats(ttd),
        time_to_resolve=duration_stats(ttr),
        detection=detection,
        detection_share=share,
        quiet_shutdowns=quiet,
        postmortems_missing=facts.missing_count,
        postmortems_missing_ids=facts.missing_ids,
        actions=action_stats(facts.actions, facts.open_by_project),
    )
    return summary, dict(per_project), dict(quiet_per_project)


def postmortem_cutoff(period: Period) -> str:
    """An incident known before this day with no postmortem counts as missing one."""
    return (period.end - timedelta(days=POSTMORTEM_GRACE_DAYS)).isoformat()


def action_stats(counts: ActionCounts, open_by_project: dict[str, tuple[int, int]]) -> ActionStats:
    denominator = counts.opened - counts.wont_do
    return ActionStats(
        opened=counts.opened,
        done=counts.done,
        wont_do=counts.wont_do,
        still_open=counts.still_open,
        overdue=sum(overdue for _, overdue in open_by_project.values()),
        completion_rate=counts.done / denominator if denominator else None,
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


def health_trends(rows: list[HealthRow], n: int = TREND_PERIODS) -> dict[str, list[Trend]]:
    """The last `n` reported periods of each project (`rows`: those started before the quarter's end, in order)."""
    from kb.health_rates import adoption

    series: dict[str, list[HealthRow]] = defaultdict(list)
    for r in rows:
        series[r.project].append(r)
    out: dict[str, list[Trend]] = {}
    for slug, points in series.items():
        last = points[-n:]
        labels = [p.period for p in last]
        values: dict[str, list[float | None]] = {
            "predictions": [p.predictions for p in last],
            "adoption": [adoption(p.acted_on, p.predictions) for p in last],
            "quality": [p.quality for p in last],
            "value": [p.value for p in last],
        }
        out[slug] = [
            Trend(metric=m, periods=labels, values=values[m])
            for m in TREND_METRICS
            if any(v is not None for v in values[m])
        ]
    return out


def mode_counts(now: dict[str, int], before: dict[str, int], tax: Taxonomy | None) -> list[ModeCount]:
    """Modes seen this quarter or the previous one, most incidents first, then the code."""
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


def worst_incidents(rows: list[dict[str, Any]]) -> list[WorstIncident]:
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


def decisions_for(rows: list[dict[str, Any]]) -> list[Decision]:
    """The latest decision per project (`rows`: a quarter's, in order; a later one supersedes an earlier)."""
    latest: dict[str, Decision] = {}
    for r in rows:
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
