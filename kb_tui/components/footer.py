"""The footer every kb screen shows: the keys of Textual's compact Footer, drawn by one widget.

Textual's Footer is a container of one widget per key (a dozen on most screens, plus a group and
its label), each mounted, styled and laid out on its own: about a fifth of the work before the
portfolio's first frame, and it mounted them all again whenever the focus moved. This footer draws
the same line itself: the same keys in the same order (one entry per action, a group's keys
followed by the group's name, the command palette's key at the right edge behind a thin bar),
the same spacing, colours (the same theme variables) and dimmed disabled keys; a key under the
mouse is highlighted and shows its tooltip, and a click presses it. Under 100 columns (the app's
`-narrow` breakpoint) the palette's key gives its place to the others, as F1's help says.
tests/test_tui_footer_line.py compares its line, cell by cell, with Textual's Footer.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import groupby
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.color import Color
from textual.strip import Strip
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.binding import Binding
    from textual.screen import Screen


class FooterEntry(NamedTuple):
    """One key as the footer shows it. `description` is empty for a key of a group (its group's
    name follows the group's keys); `label` marks that name, which is no key. (A NamedTuple: a frozen
    dataclass's class costs the first frame about 1.5 ms of code generation at import.)"""

    key: str
    display: str
    description: str
    action: str
    enabled: bool = True
    tooltip: str = ""
    label: bool = False
    palette: bool = False


class KBFooter(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "kb-footer--item",
        "kb-footer--key",
        "kb-footer--description",
        "kb-footer--hover",
        "kb-footer--label",
        "kb-footer--bar",
    }
    # Textual's Footer, FooterKey and FooterLabel rules (compact), with kb.tcss's spacing for groups
    DEFAULT_CSS = """
    KBFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .kb-footer--item {
            background: $footer-item-background;
        }
        & > .kb-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .kb-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .kb-footer--hover {
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
        & > .kb-footer--label {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .kb-footer--bar {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.entries: tuple[FooterEntry, ...] = ()
        self._hover: int | None = None  # the entry under the mouse
        self._spans: list[tuple[int, int, int]] = []  # (start, end, entry) of each key as last drawn

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen) -> None:
        """The screen's keys changed (a focus move, a tab): draw again only if what is shown did."""
        if screen is not self.screen:
            return
        entries = self._entries()
        if entries != self.entries:
            self.entries = entries
            self._hover = None
            self.refresh()

    def _entries(self) -> tuple[FooterEntry, ...]:
        """What Textual's Footer composes from the screen's active bindings, in its order."""
        active = self.screen.active_bindings
        by_action: defaultdict[str, list[tuple[Binding, bool, str]]] = defaultdict(list)
        for _node, binding, enabled, tooltip in active.values():
            if binding.show:
                by_action[binding.action].append((binding, enabled, tooltip))
        app = self.app
        out: list[FooterEntry] = []
        for group, actions in groupby(by_action.values(), lambda bindings: bindings[0][0].group):
            shown = list(actions)
            if group is not None and len(shown) > 1:
                for bindings in shown:
                    binding, enabled, tooltip = bindings[0]
                    display = app.get_key_display(binding)
                    out.append(
                        FooterEntry(binding.key, display, "", binding.action, enabled, tooltip or binding.description)
                    )
                out.append(FooterEntry("", "", group.description, "", label=True))
            else:
                for bindings in shown:
                    binding, enabled, tooltip = bindings[0]
                    display = app.get_key_display(binding)
                    out.append(FooterEntry(binding.key, display, binding.description, binding.action, enabled, tooltip))
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _node, binding, enabled, _tooltip = active[app.COMMAND_PALETTE_BINDING]
            out.append(
                FooterEntry(
                    binding.key,
                    app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    enabled,
                    binding.tooltip or binding.description,
                    palette=True,
                )
            )
        return tuple(out)

    # --- drawing -----------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        gap = Style.from_color(bgcolor=base.bgcolor)  # a margin shows the footer's background only
        # a key's own background (item, or hover under the mouse) blended over the footer's, as a
        # FooterKey's is; its key and description drawn over that (their own backgrounds are clear)
        item = self.get_component_rich_style("kb-footer--item")
        hover_style = self.get_component_rich_style("kb-footer--hover")
        key_style = self.get_component_rich_style("kb-footer--key", partial=True)
        description_style = self.get_component_rich_style("kb-footer--description", partial=True)
        label_style = self.get_component_rich_style("kb-footer--label")
        dim = Style(dim=True)

        def key(index: int, entry: FooterEntry) -> list[Segment]:
            under = hover_style if index == self._hover else item
            if not entry.enabled:
                under += dim
            parts = [Segment(entry.display, under + key_style)]
            if entry.description:
                parts.append(Segment(" " + entry.description, under + description_style))
            return parts

        line: list[Segment] = []
        spans: list[tuple[int, int, int]] = []
        at = 0
        palette: tuple[int, FooterEntry] | None = None
        for index, entry in enumerate(self.entries):
            if entry.palette:
                palette = (index, entry)
                continue
            parts = [Segment(entry.description, label_style)] if entry.label else key(index, entry)
            length = Segment.get_line_length(parts)
            if not entry.label:
                spans.append((at, at + length, index))
            line += parts
            line.append(Segment(" ", gap))  # each key's and label's right margin
            at += length + 1
        right: list[Segment] = []
        room = width
        if palette is not None and not self.screen.has_class("-narrow"):
            index, entry = palette
            parts = key(index, entry)
            under = hover_style if index == self._hover else item
            # the bar is a border: its colour (the foreground at 20%) is blended over the key's background
            under_color = Color.from_rich_color(item.bgcolor)  # the key's own, hovered or not
            bar_color = under_color + self.get_component_styles("kb-footer--bar").color
            bar = Segment("▏", under + Style.from_color(bar_color.rich_color))
            right = [bar, *parts, Segment(" ", gap)]
            room -= Segment.get_line_length(right)
            spans.append((room + 1, width - 1, index))
        self._spans = spans
        left = Segment.adjust_line_length(line, max(room, 0), style=gap)
        # keys beyond the width are cut (Textual's Footer scrolled them); the palette's key goes first
        return Strip([*left, *right]).crop(0, width).adjust_cell_length(width, gap)

    # --- the mouse ---------------------------------------------------------------------------------

    def _entry_at(self, x: int) -> int | None:
        return next((index for start, end, index in self._spans if start <= x < end), None)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._set_hover(self._entry_at(event.x))

    def on_leave(self, event: events.Leave) -> None:
        self._set_hover(None)

    def _set_hover(self, index: int | None) -> None:
        if index == self._hover:
            return
        self._hover = index
        self.tooltip = self.entries[index].tooltip or None if index is not None else None
        self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        index = self._entry_at(event.x)
        if index is None:
            return
        entry = self.entries[index]
        if entry.enabled:
            self.app.simulate_key(entry.key)
        else:
            self.app.bell()


__all__ = ["FooterEntry", "KBFooter"]
