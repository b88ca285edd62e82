"""What every kb screen shares: a back key, error toasts, and running service calls off the UI thread."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui.messages import Failed


class KBScreen(Screen[None]):
    """Escape goes back; a Failed message from a worker becomes a toast, never a crash."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back", id="screen.back")]

    def on_mount(self) -> None:
        """Runs before each screen's own on_mount (Textual calls the handlers of every class)."""
        from tui.components.forms import compact

        compact(self)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def leave_or_confirm(self, dirty: bool, prompt: str) -> None:
        """Leave at once, or first ask (save, discard, stay) when there are unsaved changes."""
        if not dirty:
            self.app.pop_screen()
            return
        from tui.screens.confirm import ConfirmScreen

        def answer(choice: str | None) -> None:
            if choice == "discard":
                self.app.pop_screen()
            elif choice == "save":
                self.save_before_leaving()

        self.app.push_screen(ConfirmScreen(prompt), answer)

    def save_before_leaving(self) -> None:
        """What "save" in the leave prompt does; screens that edit something override it."""

    def on_failed(self, message: Failed) -> None:
        self.notify(message.error, severity="error", timeout=8)

    @property
    def kb_app(self):  # type: ignore[no-untyped-def]
        from tui.app import KBApp

        app = self.app
        assert isinstance(app, KBApp)
        return app
