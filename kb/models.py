"""Domain models shared by every layer: the YAML document format and the store both speak these.

Field names are the contract of the YAML document format (docs/format.md); renaming one breaks
every team's postmortem repository, so add fields, never rename them.
"""

from __future__ import annotations

import graphlib
import itertools
import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from kb.approxdate import IncidentSpans, When, WhenDay, earliest, is_approx, latest, shown
from kb.errors import clip
from kb.timeutil import Day, Moment, as_utc
from kb.vocab import (  # noqa: F401 (re-exported: the words of the format live in kb.vocab, without pydantic)
    ACTION_KINDS,
    ACTION_STATUSES,
    AUTOMATION_LEVELS,
    DETECTED_BY,
    INCIDENT_KINDS,
    MONITORING_LEVELS,
    POSTMORTEM_SOURCES,
    POSTMORTEMS,
    STAGES,
    STATUSES,
    ActionKind,
    ActionStatus,
    Automation,
    Confidence,
    DetectedBy,
    IncidentKind,
    Monitoring,
    Postmortem,
    PostmortemSource,
    Role,
    Stage,
    Status,
)

# \Z, not $: `$` also matches before a trailing newline, which would let "p\n" through
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}\Z")
INCIDENT_ID_RE = re.compile(r"^[A-Z][A-Z0-9]{1,9}-[0-9]{3,9}\Z")
CAUSE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}\Z")


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


# Fields added in format 2 (issue 16), left out of a document while empty.
PROJECT_ADDED = ("automation", "lifecycle", "retired_on")
INCIDENT_ADDED = (
    "made_public_at",
    "postmortem_source",
    "postmortem_link",
    "impact",
    "organisations",
    "affected_projects",
    "metrics",
    "lessons",
)


def _drop_unused(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """Leave fields added after the format shipped out of a document while they are empty, so a record
    that does not use them exports byte for byte as before (and its change-log snapshots match)."""
    for name in names:
        if name in data and data[name] in (None, "", [], {}):
            del data[name]
    return data


def _no_blank_unique(v: list[str]) -> list[str]:
    if any(not s.strip() for s in v):
        raise ValueError("entries must not be blank")
    if len(set(v)) != len(v):
        raise ValueError("entries must be unique")
    return v


class StageChange(_Model):
    """One dated change of a project's stage (launched, paused, retired...), for "what stage was it then"."""

    at: WhenDay
    stage: Stage
    note: Text = ""


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
    launched_on: WhenDay | None = None
    notes: Text = ""
    tags: list[str] = Field(default_factory=list)
    # since format 2 (issue 16); left out of documents while empty
    automation: Automation | None = None
    lifecycle: list[StageChange] = Field(default_factory=list)
    retired_on: WhenDay | None = None

    @model_serializer(mode="wrap")
    def _serialise(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _drop_unused(handler(self), PROJECT_ADDED)

    @model_validator(mode="after")
    def _dates_in_order(self) -> Project:
        for i, (a, b) in enumerate(itertools.pairwise(self.lifecycle)):
            if latest(b.at) < earliest(a.at):
                raise ValueError(
                    f"lifecycle[{i + 1}].at ({shown(b.at)}) is before lifecycle[{i}].at ({shown(a.at)}): "
                    "list stage changes in the order they happened"
                )
        launched, retired = self.launched_on, self.retired_on
        if launched is not None and retired is not None and latest(retired) < earliest(launched):
            raise ValueError(f"retired_on ({shown(self.retired_on)}) is before launched_on ({shown(self.launched_on)})")
        return self

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not SLUG_RE.match(v):
            raise ValueError(
                f"{clip(v)} is not a valid slug"
                " (lowercase letters, digits, '.', '_', '-'; starts with a letter or digit)"
            )
        return v

    @field_validator("feature_flags", "tags")
    @classmethod
    def _no_blank(cls, v: list[str]) -> list[str]:
        return _no_blank_unique(v)


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
            raise ValueError(f"{clip(v)} is not a valid cause id (letters, digits, '_', '-'; at most 32)")
        return v


class Action(_Model):
    title: str = Field(min_length=1)
    owner: Text = ""
    due: Day | None = None
    status: ActionStatus = "open"
    kind: ActionKind = "prevent"


class Money(_Model):
    amount: float = Field(ge=0)
    currency: str = Field(description="ISO 4217 code, e.g. USD")

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Z]{3}", v):
            raise ValueError(f"{v[:20]!r} is not an ISO 4217 currency code (three capital letters, e.g. USD)")
        return v


class Impact(_Model):
    """What the failure cost, in the units public reports give: money, people, decisions, and words."""

    money_lost: Money | None = None
    people_affected: int | None = Field(default=None, ge=0)
    decisions_affected: int | None = Field(default=None, ge=0)
    text: Text = ""


class Metric(_Model):
    """A measure before and after the failure (e.g. AUC 0.76 claimed, 0.63 measured)."""

    name: str = Field(min_length=1)
    before: float | None = None
    after: float | None = None
    unit: Text = ""


class Lessons(_Model):
    """The SRE postmortem template's three parts."""

    went_well: list[str] = Field(default_factory=list)
    went_wrong: list[str] = Field(default_factory=list)
    got_lucky: list[str] = Field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.went_well or self.went_wrong or self.got_lucky)


class TimelineEntry(_Model):
    at: Moment
    text: str


class Link(_Model):
    title: Text = ""
    url: Text = ""
    document: Text = ""
    quote: Text = ""


class Incident(IncidentSpans, _Model):  # durations: kb.approxdate.IncidentSpans
    id: str | None = None
    project: str
    title: str = Field(min_length=1)
    kind: IncidentKind = "degradation"
    severity: int = Field(default=3, ge=1, le=5)
    status: Status = "open"
    started_at: When | None = None
    detected_at: When | None = None
    resolved_at: When | None = None
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
    # since format 2 (issue 16); left out of documents while empty
    made_public_at: When | None = None
    postmortem_source: PostmortemSource | None = None
    postmortem_link: Text = ""
    impact: Impact | None = None
    organisations: list[str] = Field(default_factory=list)
    affected_projects: list[str] = Field(default_factory=list)
    metrics: list[Metric] = Field(default_factory=list)
    lessons: Lessons | None = None

    @model_serializer(mode="wrap")
    def _serialise(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _drop_unused(handler(self), INCIDENT_ADDED)

    @field_validator("organisations")
    @classmethod
    def _orgs(cls, v: list[str]) -> list[str]:
        return _no_blank_unique(v)

    @field_validator("affected_projects")
    @classmethod
    def _affected(cls, v: list[str]) -> list[str]:
        return _no_blank_unique([Project._slug(s) for s in v])

    @field_validator("id", "duplicate_of")
    @classmethod
    def _incident_id(cls, v: str | None) -> str | None:
        if v is not None and not INCIDENT_ID_RE.match(v):
            raise ValueError(f"{clip(v)} is not a valid incident id (like INC-0001)")
        return v

    @field_validator("project")
    @classmethod
    def _project(cls, v: str) -> str:
        return Project._slug(v)

    @model_validator(mode="after")
    def _consistent(self) -> Incident:
        order = [("started_at", self.started_at), ("detected_at", self.detected_at), ("resolved_at", self.resolved_at)]
        known = [(n, v) for n, v in order if v is not None]
        if self.started_at is not None and self.made_public_at is not None:
            known_public = [("started_at", self.started_at), ("made_public_at", self.made_public_at)]
        else:
            known_public = []
        # impossible only when the later event's latest meaning is before the earlier one's earliest:
        # started 2021-11-20, detected 2021-11 may be true; started 2022, detected 2021-06 never is
        for (n1, v1), (n2, v2) in [*itertools.pairwise(known), *itertools.pairwise(known_public)]:
            if latest(v2) < earliest(v1):
                raise ValueError(f"{n2} ({_day(v2)}) is before {n1} ({_day(v1)})")
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

    def mode_codes(self) -> list[str]:
        """Every taxonomy code the incident touches, classifications first, then cause modes."""
        seen: dict[str, None] = {m.code: None for m in self.modes}
        for c in self.causes:
            if c.mode:
                seen.setdefault(c.mode, None)
        return list(seen)


def _day(v: date | datetime) -> str:
    return shown(v) if is_approx(v) else f"{as_utc(v):%Y-%m-%d}"


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
