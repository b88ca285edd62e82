"""The footer every kb screen shows: Textual's compact Footer, rebuilt only when what it shows changes.

Textual's Footer recomposes all its keys whenever its screen's bindings are updated, which is on
every move of the focus: opening a form rebuilt (mounted and styled twice over) a dozen keys two or
three times before the first field could take a key. The keys it would show are compared first.

Each key also came styled twice: FooterKey sets its `-compact` class from a watcher once mounted,
which restyled every key one at a time (about a fifth of the portfolio's first frame). The keys
are given that class as they are composed, so the watcher finds nothing to change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

if TYPE_CHECKING:
    from textual.screen import Screen

Shown = tuple[tuple[object, ...], ...]


class KBFooter(Footer):
    def __init__(self) -> None:
        super().__init__(compact=True)
        self._shown: Shown | None = None

    def _keys(self) -> Shown:
        """Everything Footer.compose reads from the screen's active bindings."""
        return tuple(
            (key, b.key, b.description, b.action, b.show, b.tooltip, b.group, enabled, tooltip)
            for key, (_node, b, enabled, tooltip) in self.screen.active_bindings.items()
        )

    def compose(self) -> ComposeResult:
        self._shown = self._keys() if self._bindings_ready else None
        for widget in super().compose():
            if isinstance(widget, FooterKey):  # FooterKey._watch_compact's class, before it is mounted
                widget.set_class(self.compact, "-compact", update=False)
            yield widget

    def bindings_changed(self, screen: Screen) -> None:
        if self._shown is not None and screen is self.screen and self._keys() == self._shown:
            return
        super().bindings_changed(screen)
