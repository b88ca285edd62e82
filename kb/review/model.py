"""The review as data: what `kb review --format json` prints and what a frozen review stores.

Every number a reader sees is a field here, so the Markdown, the HTML and a dashboard reading the
JSON can never disagree. Field names are a contract for dashboards: add fields, never rename them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

VerdictName = Literal["healthy", "watch", "silent-failure"]
Change = Literal["better", "worse", "same", "new", "unknown"]
DecisionKind = Literal["continue", "fix", "pause", "retire"]
FollowStatus = Literal["carried-out", "partly", "contradicted", "pending", "nothing-happened"]
DetectionGroup = Literal["monitoring", "people", "review", "nobody"]

DECISIONS: tuple[str, ...] = DecisionKind.__args__  # type: ignore[attr-defined]
AT_RISK: frozenset[str] = frozenset({"watch", "silent-failure"})


class Decision(BaseModel):
    """What the review group decided for one project in one quarter (the latest one counts)."""

    id: int
    quarter: str
    project: str
    decision: DecisionKind
    owner: str
    due: date | None = None
    note: str = ""
    at: datetime
    actor: str


class DurationStats(BaseModel):
    """Durations in days; median and p90, never only a mean (incident durations have long tails)."""

    count: int
    median_days: float | None = None
    p90_days: float | None = None


class ActionStats(BaseModel):
    opened: int
    done: int
    wont_do: int
    still_open: int
    overdue: int
    completion_rate: float | None = None


class PortfolioSummary(BaseModel):
    projects: int
    by_stage: dict[str, int]
    incidents_opened: int
    incidents_resolved: int
    time_to_detect: DurationStats
    time_to_resolve: DurationStats
    detection: dict[str, int]
    detection_share: dict[str, float]
    quiet_shutdowns: int  # logged: incidents of kind quiet-shutdown in the quarter (kb.review.compute)
    quiet_shutdowns_unlogged: int = 0  # detected by the silent-failure scan, no incident logged
    postmortems_missing: int
    postmortems_missing_ids: list[str] = Field(default_factory=list)  # the oldest 50, oldest first
    actions: ActionStats


class SignalInfo(BaseModel):
    code: str
    weight: float
    evidence: str


class Trend(BaseModel):
    """One health metric over the last periods up to the quarter's end (None where unreported)."""

    metric: str
    periods: list[str]
    values: list[float | None]


class Scorecard(BaseModel):
    slug: str
    name: str
    team: str
    stage: str
    owner: str
    verdict: VerdictName | None = None
    score: float | None = None
    signals: list[SignalInfo] = Field(default_factory=list)
    previous_verdict: VerdictName | None = None
    change: Change = "unknown"
    incidents: int = 0
    quiet_shutdowns: int = 0
    quiet_shutdowns_unlogged: int = 0
    open_actions: int = 0
    overdue_actions: int = 0
    trends: list[Trend] = Field(default_factory=list)
    decision: Decision | None = None
    undecided_twice: bool = False


class ModeCount(BaseModel):
    code: str
    name: str
    category: str
    incidents: int
    previous: int

    @property
    def delta(self) -> int:
        return self.incidents - self.previous


class RootCauseRow(BaseModel):
    code: str
    name: str
    incidents: int
    weight: float
    share: float
    of_incidents: int = 0  # the quarter's incidents the share is of (shown as "n of N")


class KeystoneRow(BaseModel):
    code: str
    name: str
    score: float
    incidents: int
    cuts: list[str] = Field(default_factory=list)  # the incidents whose chains it cuts


class ChainRow(BaseModel):
    modes: list[str]
    count: int
    incident_ids: list[str]


class ChainStep(BaseModel):
    """One cause of a worst incident's chain, flat, with the causes it names in `because` (for drawing)."""

    id: str
    statement: str
    mode: str | None = None
    trigger: bool = False
    root: bool = False
    because: list[str] = Field(default_factory=list)


class WorstIncident(BaseModel):
    id: str
    project: str
    title: str
    kind: str
    severity: int
    mermaid: str | None = None
    chain: list[ChainStep] | None = None


class Patterns(BaseModel):
    modes: list[ModeCount] = Field(default_factory=list)
    root_causes: list[RootCauseRow] | None = None
    keystones: list[KeystoneRow] | None = None
    recurring_chains: list[ChainRow] | None = None
    worst: list[WorstIncident] = Field(default_factory=list)


class FollowUp(BaseModel):
    """Whether a previous quarter's decision was carried out, judged on the data as it is now."""

    decision: Decision
    status: FollowStatus
    evidence: str
    stage_then: str
    stage_now: str
    actions_done_since: int = 0
    actions_open: int = 0


class Recommendation(BaseModel):
    code: str
    name: str
    incidents: int
    mitigations: list[str]


class Review(BaseModel):
    quarter: str
    start: date
    end: date
    previous_quarter: str
    generated_at: datetime
    frozen: bool = False
    frozen_at: datetime | None = None
    frozen_by: str | None = None
    frozen_version_at: datetime | None = None
    summary: PortfolioSummary
    scorecard: list[Scorecard]
    patterns: Patterns
    decisions: list[Decision] = Field(default_factory=list)
    follow_ups: list[FollowUp] = Field(default_factory=list)
    undecided_twice: list[str] = Field(default_factory=list)
    recommendations: list[Recommendation] = Field(default_factory=list)
    unavailable: dict[str, str] = Field(default_factory=dict)


class FrozenReviewInfo(BaseModel):
    quarter: str
    frozen_at: datetime
    actor: str
    projects: int
    incidents: int
    decisions: int


class NumberChange(BaseModel):
    metric: str
    a: float | None
    b: float | None


class VerdictChange(BaseModel):
    project: str
    a: VerdictName | None
    b: VerdictName | None
    change: Change


class ModeChange(BaseModel):
    code: str
    a: int
    b: int


class ReviewDiff(BaseModel):
    a: str
    b: str
    a_frozen: bool
    b_frozen: bool
    numbers: list[NumberChange]
    verdicts: list[VerdictChange]
    projects_added: list[str]
    projects_removed: list[str]
    modes: list[ModeChange]
    decisions_a: list[Decision]
    decisions_b: list[Decision]


def verdict_change(previous: str | None, current: str | None) -> Change:
    """better / worse / same by verdict rank; `new` when there was no previous verdict."""
    if current is None:
        return "unknown"
    if previous is None:
        return "new"
    from kb.rules import verdict_rank

    a, b = verdict_rank(previous), verdict_rank(current)  # worst first: a lower rank now is worse
    return "same" if a == b else ("worse" if b < a else "better")
