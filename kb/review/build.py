"""Put a review together from the store's numbers and what the other analyses contribute.

The silent-failure verdicts and the causal-graph sections come from other analyses through
`Outside`; a part that is not available stays None and its reason is shown in the review,
never replaced by a made-up value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from kb.review import compute
from kb.review.followup import follow_ups, undecided_twice
from kb.review.model import (
    ChainRow,
    KeystoneRow,
    Patterns,
    Review,
    RootCauseRow,
    Scorecard,
    verdict_change,
)
from kb.rules import verdict_rank
from kb.timeutil import Period, now_utc

if TYPE_CHECKING:
    from kb.store.review import ReviewFacts
    from kb.taxonomy import Taxonomy


@dataclass
class Outside:
    """Results of other analyses, already fetched by the service layer; None = not available."""

    verdicts: dict[str, dict[str, Any]] | None = None  # slug -> its verdict's `verdict_fields`
    previous_verdicts: dict[str, str | None] | None = None
    root_causes: list[RootCauseRow] | None = None
    keystones: list[KeystoneRow] | None = None
    recurring_chains: list[ChainRow] | None = None
    unavailable: dict[str, str] = field(default_factory=dict)


def _signals(verdict: Any) -> list[dict[str, Any]]:
    """The verdict's signals as plain fields, validated into SignalInfo with the scorecards in one call
    (see `assemble`); a trend's evidence leads with the plain sentence, the statistics after it
    (kb.humanize.evidence_line), as the CLI and the TUI show it."""
    from kb.humanize import evidence_line

    return [
        {"code": str(s.code), "weight": float(s.weight), "evidence": evidence_line(s)}
        for s in getattr(verdict, "signals", [])
    ]


def verdict_fields(verdict: Any, period: Period) -> dict[str, Any]:
    """What a project's scorecard keeps of its silent-failure verdict (kb.silent.detector.Verdict).

    Small enough to send back from the child process that judged the project: the verdict itself
    carries its signals' data, every overdue action among them.
    """
    return {
        "verdict": verdict.verdict,
        "score": float(verdict.score),
        "signals": _signals(verdict),
        "quiet_shutdowns_unlogged": compute.quiet_shutdowns_in(period, verdict),
    }


@cache
def _scorecards() -> TypeAdapter[list[Scorecard]]:
    return TypeAdapter(list[Scorecard])


@dataclass
class Gathered:
    """The store's own numbers for a review: what `gather` reads (picklable, so a child can read them)."""

    summary: Any
    trends: dict[str, Any]
    decisions: list[Any]
    previous_decisions: list[Any]
    rows: list[dict[str, Any]]
    modes: list[Any]
    worst: list[Any]
    follow_ups: list[Any]
    previous_projects: frozenset[str]  # the projects the previous quarter's review held


def gather(facts: ReviewFacts, period: Period, tax: Taxonomy | None) -> Gathered:
    """The store's own numbers of a review, from what `read_facts` read (the other analyses come through `Outside`)."""
    projects = compute.portfolio(facts.portfolio, period)
    summary, incidents_by_project, quiet = compute.portfolio_summary(facts, projects)
    rows = compute.project_rows(projects, incidents_by_project, facts.open_by_project, quiet)
    previous_decisions = compute.decisions_for(facts.previous_decisions)
    return Gathered(
        summary=summary,
        trends=compute.health_trends(facts.health),
        decisions=compute.decisions_for(facts.decisions),
        previous_decisions=previous_decisions,
        rows=rows,
        modes=compute.mode_counts(facts.modes_now, facts.modes_before, tax),
        worst=compute.worst_incidents(facts.worst),
        # a follow-up is judged on the data as it is now (kb.review.followup), so today's stages
        follow_ups=follow_ups(previous_decisions, facts.decision_facts, period, facts.stages),
        previous_projects=frozenset(p["slug"] for p in compute.portfolio(facts.previous_portfolio, period.previous())),
    )


def assemble(period: Period, tax: Taxonomy | None, g: Gathered, outside: Outside) -> Review:
    """The review from the store's numbers and the other analyses' results."""
    decision_by_project = {d.project: d for d in g.decisions}
    rows: list[dict[str, Any]] = []
    for row in g.rows:
        slug = row["slug"]
        fields = {**row, "trends": g.trends.get(slug, []), "decision": decision_by_project.get(slug)}
        if outside.verdicts is not None:
            v = outside.verdicts.get(slug)
            if v is not None:
                fields.update(v)
            if outside.previous_verdicts is not None:
                fields["previous_verdict"] = outside.previous_verdicts.get(slug)
                fields["change"] = verdict_change(fields["previous_verdict"], fields.get("verdict"))
        rows.append(fields)

    flagged: list[str] = []
    if outside.verdicts is not None and outside.previous_verdicts is not None:
        decided = {d.project for d in g.decisions} | {d.project for d in g.previous_decisions}
        current = {f["slug"]: f.get("verdict") for f in rows}
        flagged = undecided_twice(current, outside.previous_verdicts, decided)
        at_risk = set(flagged)  # a large portfolio flags hundreds: a list here made this loop quadratic
        for f in rows:
            f["undecided_twice"] = f["slug"] in at_risk
    rows.sort(key=lambda f: (verdict_rank(f.get("verdict")), -(f.get("score") or 0.0), f["slug"]))
    # the 2,000 scorecards of a large portfolio validated in one call (pydantic's core, not a Python loop)
    cards = _scorecards().validate_python(rows)

    # one definition of the quarter's quiet shutdowns: the summary is the scorecard's sum
    summary = g.summary.model_copy(
        update={
            "quiet_shutdowns": sum(c.quiet_shutdowns for c in cards),
            "quiet_shutdowns_unlogged": sum(c.quiet_shutdowns_unlogged for c in cards),
        }
    )

    patterns = Patterns(
        modes=g.modes,
        root_causes=outside.root_causes,
        keystones=outside.keystones,
        recurring_chains=outside.recurring_chains,
        worst=g.worst,
    )
    return Review(
        quarter=period.label,
        start=period.start,
        end=period.end,
        previous_quarter=period.previous().label,
        generated_at=now_utc(),
        summary=summary,
        scorecard=cards,
        patterns=patterns,
        decisions=g.decisions,
        follow_ups=g.follow_ups,
        undecided_twice=flagged,
        recommendations=compute.recommendations(g.modes, tax),
        unavailable=dict(outside.unavailable),
    )
