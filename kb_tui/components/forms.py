"""Dense forms: borderless inputs, selects and buttons, so a whole postmortem form fits 80x24."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from textual.dom import DOMNode
from textual.widget import Widget
from textual.widgets import Button, Input, Select


def compact(root: DOMNode) -> None:
    """Switch every input, select and button under `root` to Textual's compact (borderless) style,
    and apply the app's cursor-blink setting (a steady cursor keeps snapshots reproducible)."""
    _compact(root.query("Input, Select, Button, TextArea"), getattr(root.app, "cursor_blink", True) is not False)


COMPACT_CLASS = "-textual-compact"  # what Input/Select/Button.compact toggles (Textual 8)


def _text_area() -> type[Any] | None:
    """TextArea if it is imported: a widget can be one only then, and importing it (its document
    model and syntax themes) cost every start-up about 15 ms for this check alone."""
    module = sys.modules.get("textual.widgets._text_area")
    return getattr(module, "TextArea", None)


def _compact(widgets: Iterable[Widget], blink: bool) -> None:
    text_area = _text_area()
    for widget in widgets:
        if isinstance(widget, Input | Select | Button) and not widget.compact:
            if widget.is_attached:
                widget.compact = True
            else:
                # not mounted yet: setting `compact` would style the detached widget and its
                # children at once (Textual restyles on every class change), and again on
                # mounting; the value and its class are set quietly and styled once, on mounting
                widget.set_reactive(type(widget).compact, True)
                widget.set_class(True, COMPACT_CLASS, update=False)
        if not blink and (isinstance(widget, Input) or (text_area is not None and isinstance(widget, text_area))):
            widget.cursor_blink = False


def prepare_to_mount(parent: DOMNode, widgets: list[Widget], *, select_on_focus: bool = True) -> None:
    """Widgets about to be mounted into an open screen made compact first (styled once, on mounting),
    their inputs' select-on-focus set as the screen's own are."""
    pending = list(_unmounted(widgets))
    _compact(pending, getattr(parent.app, "cursor_blink", True) is not False)
    for widget in pending:
        if isinstance(widget, Input):
            widget.select_on_focus = select_on_focus


class CompactOnCompose:
    """Mix into a screen or pane: what it composes is made compact before it is mounted.

    Made compact after mounting (`compact` in on_mount), each field had its styles worked out twice
    and the screen laid out again: most of what opening a form cost. Widgets composed later inside
    another widget's own compose are not seen here; `compact(root)` after mounting still catches
    those (and costs nothing for a widget already compact).
    """

    app: Any

    async def mount_composed_widgets(self, widgets: list[Widget]) -> None:
        blink = getattr(self.app, "cursor_blink", True) is not False
        _compact(_unmounted(widgets), blink)
        await super().mount_composed_widgets(widgets)  # type: ignore[misc]


def _unmounted(widgets: list[Widget]) -> Iterable[Widget]:
    """The composed widgets and every child given to them before mounting (Horizontal(Label, Input),
    `with` blocks): Textual keeps those in `_pending_children` until it mounts them, and a
    TabbedContent its panes in `_tab_content` (missed before: the incident editor's Fields tab was
    made compact only after mounting, restyling the screen)."""
    stack = list(widgets)
    while stack:
        widget = stack.pop()
        yield widget
        stack.extend(widget._pending_children)
        stack.extend(getattr(widget, "_tab_content", ()))  # a TabbedContent keeps its panes there
