"""Dense forms: borderless inputs, selects and buttons, so a whole postmortem form fits 80x24."""

from __future__ import annotations

from textual.dom import DOMNode
from textual.widgets import Button, Input, Select, TextArea


def compact(root: DOMNode) -> None:
    """Switch every input, select and button under `root` to Textual's compact (borderless) style,
    and apply the app's cursor-blink setting (a steady cursor keeps snapshots reproducible)."""
    blink = getattr(root.app, "cursor_blink", True) is not False
    for widget in root.query("Input, Select, Button, TextArea"):
        if isinstance(widget, Input | Select | Button):
            widget.compact = True
        if isinstance(widget, Input | TextArea) and not blink:
            widget.cursor_blink = False
