"""Messages that carry results from database workers back to the screens that own the state.

Workers run on their own threads; posting a message is thread-safe, so the handler (on the UI
thread) is the only code that touches widgets.

Each is a dataclass without its own __eq__ and __repr__: a message is an event, equal only to
itself, and one __repr__ (`KBMessage`) serves them all; dataclass compiles both for every class,
about half of this module's import before the portfolio's first frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from kb.graph.results import Chain, Keystone, RootCauseReport, WhySuggestion
    from kb.models import Incident, Project
    from kb.review.model import Decision, Review
    from kb.service import IncidentRow  # the rows KB.incident_rows answers with
    from kb.silent.detector import Verdict
    from kb.silent.events import FlagEvent
    from kb.silent.health import HealthPoint
    from kb_tui.second_pass import VerdictCell


class KBMessage(Message):
    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self))  # type: ignore[arg-type]
        return f"{type(self).__name__}({shown})"


@dataclass(eq=False, repr=False)
class PortfolioLoaded(KBMessage):
    rows: list[Any]
    counts: dict[str, int]
    stamp: tuple[object, ...] = ()  # kb.portfolio.stamp of the file, taken before the read


@dataclass(eq=False, repr=False)
class PortfolioVerdicts(KBMessage):
    """The detector's verdicts, which arrive after the table is on screen (and before the sparklines)."""

    verdicts: dict[str, VerdictCell]
    suspects: int


@dataclass(eq=False, repr=False)
class PortfolioUsage(KBMessage):
    """Usage series for the sparklines and the overdue count: the last of the portfolio's second pass."""

    usage: dict[str, list[float]]
    overdue: int


@dataclass(eq=False, repr=False)
class ProjectLoaded(KBMessage):
    """A project with its incidents, verdict, health series and flag events (each with whether a
    logged quiet shutdown matches it)."""

    project: Project
    incidents: list[IncidentRow]
    verdict: Verdict | None
    verdict_note: str
    health: list[HealthPoint] | None
    flags: list[tuple[FlagEvent, bool]] | None


@dataclass(eq=False, repr=False)
class IncidentLoaded(KBMessage):
    incident: Incident | None  # None: a new incident
    projects: list[str]


@dataclass(eq=False, repr=False)
class WhySuggestions(KBMessage):
    items: list[WhySuggestion]


@dataclass(eq=False, repr=False)
class Saved(KBMessage):
    """A write went through; `what` is the id or slug stored."""

    what: str
    model: Project | Incident | Decision | Review | None = None


@dataclass(eq=False, repr=False)
class Failed(KBMessage):
    """A worker failed (kb_tui.workers.report_failure): `error` is the one line to show, `where` the
    field at fault if the error names one, `worker` the worker's group."""

    error: str
    where: str = ""
    worker: str = ""


@dataclass(eq=False, repr=False)
class SearchResults(KBMessage):
    query: str
    hits: list[Any]
    error: str = ""


@dataclass(eq=False, repr=False)
class TaxonomyLoaded(KBMessage):
    taxonomy: Any
    counts: dict[str, int]
    categories: dict[str, int] = field(default_factory=dict)  # live incidents touching any mode of each


@dataclass(eq=False, repr=False)
class ModeIncidents(KBMessage):
    code: str
    rows: list[Any]


@dataclass(eq=False, repr=False)
class GraphLoaded(KBMessage):
    """One incident's chain, or a window's root causes and keystones."""

    chain: Chain | None = None
    root_causes: RootCauseReport | None = None
    keystones: list[Keystone] | None = None


@dataclass(eq=False, repr=False)
class ReviewLoaded(KBMessage):
    quarter: str
    review: Review
    markdown: str


@dataclass(eq=False, repr=False)
class Choices(KBMessage):
    """Option lists a form needs (project slugs, flag keys)."""

    projects: list[str] = field(default_factory=list)
    flags: dict[str, list[str]] = field(default_factory=dict)
