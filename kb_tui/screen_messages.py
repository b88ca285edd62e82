"""The results the other screens' workers post (project, incident, search, taxonomy, graph, review,
quick log): apart from kb_tui.messages, which the portfolio's first frame imports, so that their
classes are made when those screens are first opened. See kb_tui.messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kb_tui.messages import KBMessage

if TYPE_CHECKING:
    from kb.graph.results import Chain, Keystone, RootCauseReport, WhySuggestion
    from kb.models import Incident, Project
    from kb.review.model import Review
    from kb.service import IncidentRow  # the rows KB.incident_rows answers with
    from kb.silent.detector import Verdict
    from kb.silent.events import FlagEvent
    from kb.silent.health import HealthPoint


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
