"""Messages that carry results from database workers back to the screens that own the state.

Workers run on their own threads; posting a message is thread-safe, so the handler (on the UI
thread) is the only code that touches widgets.

Each is a dataclass without its own __eq__ and __repr__: a message is an event, equal only to
itself, and one __repr__ (`KBMessage`) serves them all; dataclass compiles both for every class,
about half of this module's import before the portfolio's first frame. For the same reason this
module holds only what the first frame's screen and every worker need (the portfolio's messages,
Failed, Saved); the other screens' results are in kb_tui.screen_messages, imported with them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from kb.models import Incident, Project
    from kb.review.model import Decision, Review
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
