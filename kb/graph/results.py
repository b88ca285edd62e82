"""The pydantic results of the causal-graph analyses: what the CLI prints, the TUI shows and `--json` emits.

Field names are a cross-team interface (the review and the TUI read them): add fields, never rename.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class Window(BaseModel):
    """A time window over incidents, half-open `[start, end)`; None means unbounded on that side.

    An incident is in the window by `started_at`, falling back to `detected_at`; with neither it is
    in no bounded window (it still counts when the window is unbounded on both sides).
    """

    label: str = "all time"
    start: date | None = None
    end: date | None = None

    @property
    def bounded(self) -> bool:
        return self.start is not None or self.end is not None


class ChainNode(BaseModel):
    """One cause in an incident's causal tree; `children` are the causes named in its `because`.

    A cause reached a second time (chains may share a deeper cause) is listed again with
    `repeat=True` and no children, so the tree stays as small as the chain itself.
    """

    cause_id: str
    statement: str
    mode: str | None = None
    trigger: bool = False
    root: bool = False
    repeat: bool = False
    children: list[ChainNode] = Field(default_factory=list)


class Chain(BaseModel):
    """An incident's causal chain from its trigger (and other top-level causes) down to its root causes.

    `tree` lists the trigger first, then the other causes nothing else names in `because`, in the
    incident's order. `paths` are every cause path from one of those down to a root cause (a
    cause with an empty `because`); `mode_paths[i]` is `paths[i]` lifted to taxonomy modes
    (causes without a mode skipped, consecutive repeats collapsed).
    """

    incident_id: str
    title: str = ""
    trigger: str | None = None
    roots: list[str] = Field(default_factory=list)
    tree: list[ChainNode] = Field(default_factory=list)
    paths: list[list[str]] = Field(default_factory=list)
    mode_paths: list[list[str]] = Field(default_factory=list)
    truncated: bool = False


class RootCauseItem(BaseModel):
    code: str
    name: str
    incidents: int
    weight: float
    share: float
    incident_ids: list[str]


class RootCauseReport(BaseModel):
    """A ranking of modes over incidents: root causes, triggers or outcomes (`counts` says which)."""

    window: Window
    total_incidents: int
    total_weight: float
    items: list[RootCauseItem]
    counts: str = ""  # what the ranking counts, in one line


class KeystoneCut(BaseModel):
    """One incident whose chain a keystone cuts, and the root conditions it cuts off."""

    incident_id: str
    roots: list[str]


class Keystone(BaseModel):
    code: str
    name: str
    score: float
    incidents: int
    cuts: list[KeystoneCut] = Field(default_factory=list)  # the chains it cuts, named


class RecurringChain(BaseModel):
    modes: list[str]
    count: int
    incident_ids: list[str]


class SimilarReason(BaseModel):
    """One element two incidents share, and what it adds to their score (kb.graph.similar)."""

    kind: str  # primary, mode, contributing, root, pair, category, leads_to, vendor, automation, stage, tag
    detail: str
    weight: float


class Similar(BaseModel):
    incident_id: str
    title: str
    score: float
    shared_modes: list[str]
    reasons: list[SimilarReason] = Field(default_factory=list)  # the shared elements behind the score


class WhySuggestion(BaseModel):
    code: str
    name: str
    evidence: int
    from_incidents: int
    from_taxonomy: bool
