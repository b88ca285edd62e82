"""Domain models shared by every layer: the YAML document format and the store both speak these.

Field names are the contract of the YAML document format (docs/format.md); renaming one breaks
every team's postmortem repository, so add fields, never rename them.
"""

from __future__ import annotations

import graphlib
import itertools
import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from kb.timeutil import Day, Moment, as_utc

# \Z, not $: `$` also matches before a trailing newline, which would let "p\n" through
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}\Z")
INCIDENT_ID_RE = re.compile(r"^[A-Z][A-Z0-9]{1,9}-[0-9]{3,9}\Z")
CAUSE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}\Z")

Stage = Literal["pilot", "production", "paused", "disabled", "retired"]
Monitoring = Literal["none", "training-metrics", "input-drift", "outcomes"]
IncidentKind = Literal[
    "quiet-shutdown", "rollback", "degradation", "outage", "compliance-stop", "abandonment", "near-miss"
]
Status = Literal["open", "mitigated", "resolved"]
DetectedBy = Literal["monitoring", "user-report", "downstream-team", "audit", "review", "nobody"]
Postmortem = Literal["none", "draft", "published", "waived"]
Role = Literal["primary", "contributing"]
Confidence = Literal["known", "potential"]
ActionStatus = Literal["open", "done", "wont-do"]
ActionKind = Literal["mitigate", "prevent", "process"]

STAGES: tuple[str, ...] = Stage.__args__  # type: ignore[attr-defined]
MONITORING_LEVELS: tuple[str, ...] = Monitoring.__args__  # type: ignore[attr-defined]
INCIDENT_KINDS: tuple[str, ...] = IncidentKind.__args__  # type: ignore[attr-defined]
STATUSES: tuple[str, ...] = Status.__args__  # type: ignore[attr-defined]
DETECTED_BY: tuple[str, ...] = DetectedBy.__args__  # type: ignore[attr-defined]
POSTMORTEMS: tuple[str, ...] = Postmortem.__args__  # type: ignore[attr-defined]


def _onoff(value: Any) -> Any:
    """YAML 1.1 reads a bare `on`/`off` as a boolean; a flag state is a word, so turn it back."""
    if value is True:
        return "on"
    if value is False:
        return "off"
    return value


def _none_to_empty(value: Any) -> Any:
    return "" if value is None else value


Text = Annotated[str, BeforeValidator(_none_to_empty)]
FlagState = Annotated[str, BeforeValidator(_onoff)]


class _Model(BaseModel):
    """Unknown keys are errors: a typo in a postmortem file must not vanish silently."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_assignment=False)


class Retraining(_Model):
    owner: Text = ""
    cadence_days: int | None = Field(default=None, ge=1)


class Project(_Model):
    slug: str
    name: Text = ""
    team: Text = ""
    owner: Text = ""
    business_owner: Text = ""
    stage: Stage = "pilot"
    feature_flags: list[str] = Field(default_factory=list)
    decision: Text = ""
    success_metric: Text = ""
    baseline: Text = ""
    monitoring: Monitoring = "none"
    outcome_lag_days: int | None = Field(default=None, ge=0)
    retraining: Retraining = Field(default_factory=Retraining)
    vendor: Text = ""
    launched_on: Day | None = None
    notes: Text = ""
    tags: list[str] = Field(default_factory=list)

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not SLUG_RE.match(v):
            raise ValueError(
                f"{v!r} is not a valid slug (lowercase letters, digits, '.', '_', '-'; starts with a letter or digit)"
            )
        return v

    @field_validator("feature_flags", "tags")
    @classmethod
    def _no_blank(cls, v: list[str]) -> list[str]:
        if any(not s.strip() for s in v):
            raise ValueError("entries must not be blank")
        if len(set(v)) != len(v):
            raise ValueError("entries must be unique")
        return v


class FlagChange(_Model):
    """The feature-flag flip that switched the model off (or on), as the flag system recorded it."""

    key: str
    environment: Text = "production"
    from_: FlagState = Field(default="on", alias="from")
    to: FlagState = "off"
    at: Moment | None = None
    actor: Text = ""


class Classification(_Model):
    code: str
    role: Role = "contributing"
    confidence: Confidence = "potential"
    evidence: Text = ""


class Cause(_Model):
    id: str
    statement: str = Field(min_length=1)
    mode: str | None = None
    trigger: bool = False
    because: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not CAUSE_ID_RE.match(v):
            raise ValueError(f"{v!r} is not a valid cause id (letters, digits, '_', '-'; at most 32)")
        return v


class Action(_Model):
    title: str = Field(min_length=1)
    owner: Text = ""
    due: Day | None = None
    status: ActionStatus = "open"
    kind: ActionKind = "prevent"


class TimelineEntry(_Model):
    at: Moment
    text: str


class Link(_Model):
    title: Text = ""
    url: Text = ""
    document: Text = ""
    quote: Text = ""


class Incident(_Model):
    id: str | None = None
    project: str
    title: str = Field(min_length=1)
    kind: IncidentKind = "degradation"
    severity: int = Field(default=3, ge=1, le=5)
    status: Status = "open"
    started_at: Moment | None = None
    detected_at: Moment | None = None
    resolved_at: Moment | None = None
    detected_by: DetectedBy = "nobody"
    announced: bool = False
    postmortem: Postmortem = "none"
    flag: FlagChange | None = None
    summary: Text = ""
    modes: list[Classification] = Field(default_factory=list)
    causes: list[Cause] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    duplicate_of: str | None = None

    @field_validator("id", "duplicate_of")
    @classmethod
    def _incident_id(cls, v: str | None) -> str | None:
        if v is not None and not INCIDENT_ID_RE.match(v):
            raise ValueError(f"{v!r} is not a valid incident id (like INC-0001)")
        return v

    @field_validator("project")
    @classmethod
    def _project(cls, v: str) -> str:
        return Project._slug(v)

    @model_validator(mode="after")
    def _consistent(self) -> Incident:
        order = [("started_at", self.started_at), ("detected_at", self.detected_at), ("resolved_at", self.resolved_at)]
        known = [(n, as_utc(v)) for n, v in order if v is not None]
        for (n1, v1), (n2, v2) in itertools.pairwise(known):
            if v2 < v1:
                raise ValueError(f"{n2} ({v2:%Y-%m-%d}) is before {n1} ({v1:%Y-%m-%d})")
        codes = [m.code for m in self.modes]
        dup = sorted({c for c in codes if codes.count(c) > 1})
        if dup:
            raise ValueError(f"mode {dup[0]!r} is classified twice")
        ids = [c.id for c in self.causes]
        dup = sorted({c for c in ids if ids.count(c) > 1})
        if dup:
            raise ValueError(f"cause id {dup[0]!r} is used twice")
        known_ids = set(ids)
        for i, cause in enumerate(self.causes):
            for ref in cause.because:
                if ref not in known_ids:
                    raise ValueError(f"causes[{i}].because: cause {ref!r} is not defined in this incident")
                if ref == cause.id:
                    raise ValueError(f"causes[{i}].because: cause {ref!r} names itself")
        triggers = [c.id for c in self.causes if c.trigger]
        if len(triggers) > 1:
            raise ValueError(f"only one cause can be the trigger, found {', '.join(triggers)}")
        try:
            graphlib.TopologicalSorter({c.id: c.because for c in self.causes}).prepare()
        except graphlib.CycleError as exc:
            cycle = " -> ".join(exc.args[1])
            raise ValueError(f"causes form a cycle: {cycle}") from None
        if self.duplicate_of is not None and self.duplicate_of == self.id:
            raise ValueError("an incident cannot be a duplicate of itself")
        return self

    # Derived durations: measured from when impact began, not from when someone declared it.
    @property
    def time_to_detect(self) -> timedelta | None:
        return _span(self.started_at, self.detected_at)

    @property
    def time_to_resolve(self) -> timedelta | None:
        return _span(self.detected_at, self.resolved_at)

    @property
    def impact_time(self) -> timedelta | None:
        return _span(self.started_at, self.resolved_at)

    def mode_codes(self) -> list[str]:
        """Every taxonomy code the incident touches, classifications first, then cause modes."""
        seen: dict[str, None] = {m.code: None for m in self.modes}
        for c in self.causes:
            if c.mode:
                seen.setdefault(c.mode, None)
        return list(seen)


def _span(a: date | datetime | None, b: date | datetime | None) -> timedelta | None:
    if a is None or b is None:
        return None
    return as_utc(b) - as_utc(a)


class ChangeRecord(BaseModel):
    """One row of the append-only change log."""

    seq: int
    at: datetime
    actor: str
    entity: str
    entity_id: str
    op: str
    changes: dict[str, Any]
    snapshot: dict[str, Any] | None = None


class SearchHit(BaseModel):
    id: str
    project: str
    title: str
    kind: str
    started_at: str | None
    score: float
    snippet: str
    duplicate_of: str | None = None
