"""A yes/no/cancel question as a modal, used before unsaved changes could be lost."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from kb_tui.components.backdrop import StillBackdrop
from kb_tui.components.opening import StyledOnce


class ConfirmScreen(StillBackdrop, StyledOnce, ModalScreen[str]):
    """Dismissed with "save", "discard" or "cancel"."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "choose('cancel')", "Cancel", id="confirm.cancel"),
        Binding("s", "choose('save')", "Save", id="confirm.save"),
        Binding("d", "choose('discard')", "Discard", id="confirm.discard"),
    ]

    def __init__(self, question: str, *, discard: str = "Discard") -> None:
        super().__init__()
        self.question = question
        self.discard = discard

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-title")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(f"{self.discard} (d)", variant="error", id="discard")
                yield Button("Save (s)", variant="primary", id="save")

    def on_mount(self) -> None:
        from kb_tui.components.forms import compact

        compact(self)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "cancel")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)


class AskScreen(StillBackdrop, StyledOnce, ModalScreen[bool]):
    """A question with one action and Cancel; dismissed with True when the action is chosen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "choose(False)", "Cancel", id="ask.cancel"),
        Binding("y", "choose(True)", "Yes", id="ask.yes"),
    ]

    def __init__(self, question: str, action: str) -> None:
        super().__init__()
        self.question, self.action = question, action

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-title")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(f"{self.action} (y)", variant="primary", id="yes")

    def on_mount(self) -> None:
        from kb_tui.components.forms import compact

        compact(self)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_choose(self, yes: bool) -> None:
        self.dismiss(yes)
