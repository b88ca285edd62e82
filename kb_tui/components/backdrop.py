"""A dialog's tinted backdrop with each style tinted once, not once per cell per repaint.

A translucent ModalScreen (kb.tcss gives every dialog a see-through background) draws the screen
beneath it through Textual's BackgroundScreen, which tints every segment of it with Rich style and
colour arithmetic each time the dialog's own content is refreshed: three to five times while F2 or
F9 opens, over the portfolio's whole table, about a third of what opening the dialog cost. The
screen beneath uses a few dozen distinct styles, so the tinted style of each (a pure function of
the style and the tint, worked out by Textual's own `BackgroundScreen.process_segments`) is kept.
What is drawn stays exactly what Textual draws: the screen beneath is read afresh at every repaint.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.renderables.background_screen import BackgroundScreen

_TINTED: dict[tuple[Style | None, Color], Style | None] = {}
_KEEP = 4096  # distinct (style, tint) pairs kept; a theme change brings a new set


def _tinted(style: Style | None, color: Color) -> Style | None:
    key = (style, color)
    found = _TINTED.get(key, key)
    if found is key:
        if len(_TINTED) >= _KEEP:
            _TINTED.clear()
        found = _TINTED[key] = next(iter(BackgroundScreen.process_segments([Segment(" ", style)], color))).style
    return found  # type: ignore[return-value]


class _Backdrop:
    """BackgroundScreen's picture, each distinct style tinted once."""

    def __init__(self, backdrop: BackgroundScreen) -> None:
        self.screen = backdrop.screen
        self.color = backdrop.color

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        color = self.color
        for segment in console.render(self.screen._compositor, options):
            text, style, control = segment
            yield segment if control else Segment(text, _tinted(style, color))


class StillBackdrop:
    """Mix in before ModalScreen: `class X(StillBackdrop, StyledOnce, ModalScreen[...])`."""

    def render(self) -> Any:
        drawn: RenderableType = super().render()  # type: ignore[misc]
        return _Backdrop(drawn) if isinstance(drawn, BackgroundScreen) else drawn
