"""Help: every key of the app and of the screen underneath, read from the live bindings (so a
remapped key shows as remapped), plus a short tour of the screens."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from tui.screens._base import KBScreen

TOUR = """\
[b]Portfolio[/b] (home): type to filter, ↑/↓ to move, Enter opens a project; click a header or ctrl+s to sort.
[b]Project[/b]: fields (editable), verdict and its evidence, health charts, incidents, flag events.
[b]Incident editor[/b]: fields, modes (taxonomy picker), cause chain (tree + why-suggestions), actions, timeline.
[b]F2[/b] from anywhere: log a quiet feature-flag shutdown in a few keystrokes.
[b]Search[/b] (F3), [b]Taxonomy[/b] (F4), [b]Graph[/b] (F5), [b]Review[/b] (F6); ctrl+p lists every action.
"""


class HelpScreen(KBScreen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "back", "Close", id="help.close")]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static(TOUR, classes="hint")
            yield Static(self._keys_table(), id="help-keys")
        yield Footer(compact=True)

    def _keys_table(self) -> Table:
        table = Table(box=None, expand=False, padding=(0, 2))
        table.add_column("key", style="bold cyan", no_wrap=True)
        table.add_column("action")
        table.add_column("id", style="dim")
        stack = [s for s in self.app.screen_stack if s is not self]
        under = stack[-1] if stack else None
        keymap = getattr(self.app, "_keymap", {})
        sources = [("app", self.app.BINDINGS)]
        if under is not None and under is not self:
            sources.append((type(under).__name__, getattr(under, "BINDINGS", [])))
        seen: set[str] = set()
        self.rows: list[tuple[str, str, str]] = []
        for _, bindings in sources:
            for b in bindings:
                if not isinstance(b, Binding) or not b.id or b.id in seen:
                    continue
                seen.add(b.id)
                key = str(keymap.get(b.id, b.key))
                self.rows.append((key, b.description or b.action, b.id))
                table.add_row(key, b.description or b.action, b.id)
        return table
