"""Search: full text over incident titles, summaries, cause statements and action titles, with
filters. Results follow the typing: a short debounce, then one exclusive worker (a newer query
cancels the older one, and a stale answer is dropped), so the UI never waits on the database."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, Select, Static
from textual.worker import get_current_worker

from kb.humanize import plural
from kb.vocab import INCIDENT_KINDS
from kb_tui.components.footer import KBFooter
from kb_tui.messages import Failed
from kb_tui.screen_messages import SearchResults
from kb_tui.screens._base import KBScreen
from kb_tui.workers import kb_worker

if TYPE_CHECKING:
    from kb.service import KB

DEBOUNCE_S = 0.04
LIMIT = 50
HIT_OPEN, HIT_CLOSE = "\x02", "\x03"  # kb.store.search's highlight markers


def snippet_text(snippet: str) -> Text:
    """The store marks hits with control characters; show them bold instead."""
    text = Text()
    bold = False
    for part in snippet.replace(HIT_CLOSE, HIT_OPEN).split(HIT_OPEN):
        if part:
            text.append(part, style="bold reverse" if bold else "")
        bold = not bold
    return text


class SearchScreen(KBScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="search.back", show=False),
        Binding("down", "focus_results", "Results", id="search.results", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._timer: Timer | None = None
        self.shown_query: tuple[Any, ...] | None = None
        self.hits: list[Any] = []
        self.changed_at = 0.0  # perf_counter of the last edit, and of the results it led to (for bench/)
        self.shown_at = 0.0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="search incidents, causes and actions…", id="search-query")
        with Horizontal(id="search-filters", classes="form-row"):
            yield Input(placeholder="project", id="s-project")
            yield Input(placeholder="mode code", id="s-mode")
            yield Select([(k, k) for k in INCIDENT_KINDS], prompt="any kind", id="s-kind")
            yield Input(placeholder="since YYYY-MM-DD", id="s-since")
        yield Static("type to search", id="search-status", classes="hint")
        table: DataTable[Any] = DataTable(id="search-results", cursor_type="row", zebra_stripes=True)
        table.add_column("id", width=10)
        table.add_column("project", width=18)
        table.add_column("title / snippet")
        yield table
        yield KBFooter()

    def on_mount(self) -> None:
        self.query_one("#search-query", Input).focus()

    def query_key(self) -> tuple[Any, ...]:
        kind = self.query_one("#s-kind", Select).value
        return (
            self.query_one("#search-query", Input).value,
            self.query_one("#s-project", Input).value.strip() or None,
            self.query_one("#s-mode", Input).value.strip() or None,
            kind if isinstance(kind, str) else None,
            self.query_one("#s-since", Input).value.strip() or None,
        )

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        self.changed_at = time.perf_counter()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE_S, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self.run_search(self.query_key())

    @kb_worker("search")
    def run_search(self, kb: KB, key: tuple[Any, ...]) -> None:
        text, project, mode, kind, since = key
        hits = kb.search(text, project=project, mode=mode, kind=kind, since=since, limit=LIMIT)
        if not get_current_worker().is_cancelled:  # a newer query has replaced this one
            self.post_message(SearchResults(repr(key), hits))

    def on_failed(self, message: Failed) -> None:
        """A query kb cannot run (e.g. a bad --since) is answered where the results go, not in a toast."""
        if message.worker == "search":
            self.post_message(SearchResults(repr(self.query_key()), [], message.error))
            message.prevent_default()  # no toast as well

    def on_search_results(self, message: SearchResults) -> None:
        if message.query != repr(self.query_key()):
            return  # an answer to a query the user has already changed
        self.shown_query = self.query_key()
        self.shown_at = time.perf_counter()
        self.hits = message.hits
        table: DataTable[Any] = self.query_one("#search-results", DataTable)
        table.clear()
        for hit in message.hits:
            cell = Text(hit.title, style="bold")
            cell.append("\n")
            cell.append_text(snippet_text(hit.snippet))
            table.add_row(hit.id, hit.project, cell, key=hit.id, height=2)
        status = self.query_one("#search-status", Static)
        if message.error:
            status.update(Text(message.error, style="red"))
        elif not message.query or not self.shown_query[0].strip():
            status.update("type to search")
        else:
            more = "+" if len(message.hits) == LIMIT else ""
            status.update(plural(len(message.hits), "incident") if not more else f"{len(message.hits)}+ incidents")

    @on(DataTable.RowSelected, "#search-results")
    def _open(self, event: DataTable.RowSelected) -> None:
        self.kb_app.action_open_incident(str(event.row_key.value))

    def action_focus_results(self) -> None:
        self.query_one("#search-results", DataTable).focus()
