"""Help: every key of the app and of the screen underneath, read from the live bindings (so a
remapped key shows as remapped), plus a short tour of the screens."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Header, Static

from kb_tui.components.footer import KBFooter
from kb_tui.screens._base import KBScreen

TOUR = """\
[b]Portfolio[/b] (home): type to filter, ↑/↓ to move, Enter opens a project; ctrl+s sorts; F9 new project.
[b]Project[/b]: verdict and its evidence, Edit (ctrl+s saves), health, incidents, flags (ctrl+l logs one).
[b]Incident editor[/b]: fields, modes, causes (tree + why-suggestions), actions, timeline, links.
[b]F2[/b] from anywhere: log a quiet feature-flag shutdown; a new project is created on the way.
[b]Search[/b] (F3), [b]Taxonomy[/b] (F4), [b]Graph[/b] (F5), [b]Review[/b] (F6); ctrl+p finds any action or object.

[b]In forms[/b]: Enter moves to the next field, or adds the cause, action, entry or link you typed;
alt+→ / alt+← switch tabs (or ← → on the tab bar); ↓ from a find box goes into its list; in Causes,
F9 adds the typed cause behind the selected one, F10 opens the why? suggestions (↓ Enter picks one,
then type its statement and Enter). Esc and ctrl+q ask before anything typed is lost.
Severity 1 is the worst, 5 the least.
"""


class HelpScreen(KBScreen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "back", "Close", id="help.close")]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static(TOUR, classes="hint")
            yield Static(self._keys_table(), id="help-keys")
        yield KBFooter()

    def _keys_table(self) -> Table:
        table = Table(box=None, expand=False, padding=(0, 2))
        table.add_column("key", style="bold cyan", no_wrap=True)
        table.add_column("action")
        table.add_column("id", style="dim")
        stack = [s for s in self.app.screen_stack if s is not self]
        under = stack[-1] if stack else None
        keymap = self.app._keymap  # what set_keymap applied (kb_tui.settings): remapped keys show as they are
        sources = [("app", self.app.BINDINGS)]
        if under is not None and under is not self:
            for cls in type(under).__mro__:  # the screen's own keys and those it inherits
                sources.append((cls.__name__, cls.__dict__.get("BINDINGS", [])))
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
