"""What every kb screen shares: a back key, one handler for failed workers, leave-or-ask, and the
rule that nothing typed is lost without asking."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from kb_tui.messages import Failed

log = logging.getLogger("kb.tui")


class WorkerErrors:
    """One handler for every worker of a screen: its exception is logged with the traceback through
    `logging` and shown as one line (Failed), instead of a try/except copied into each worker.

    Workers are declared `@work(thread=True, exit_on_error=False)` so a failure never ends the app.
    """

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR or event.worker.error is None:
            return
        from kb.errors import KBError
        from kb_tui.backend import one_line

        error = event.worker.error
        if isinstance(error, KBError):  # a problem the user can fix: no traceback needed
            log.info("%s: %s", event.worker.name, error)
        else:
            log.error("worker %s failed", event.worker.name, exc_info=(type(error), error, error.__traceback__))
        self.post_message(Failed(one_line(error), getattr(error, "where", "")))  # type: ignore[attr-defined]


class KBScreen(WorkerErrors, Screen[None]):
    """Escape goes back; a Failed message from a worker becomes a toast, never a crash."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="screen.back", show=False),
        Binding("alt+right", "switch_tab(1)", "Tab", id="screen.next_tab"),
        Binding("alt+left", "switch_tab(-1)", "Prev tab", id="screen.previous_tab", show=False),
    ]

    def on_mount(self) -> None:
        """Runs before each screen's own on_mount (Textual calls the handlers of every class)."""
        from kb_tui.components.forms import compact

        compact(self)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Tab keys only where there are tabs (hidden from the footer elsewhere)."""
        if action == "switch_tab":
            return bool(self.query("TabbedContent"))
        return True

    def action_switch_tab(self, step: int) -> None:
        """Move to the next (or previous) tab and put the cursor in its first field."""
        from textual.widgets import TabbedContent, Tabs

        tabs = self.query(TabbedContent).first(TabbedContent)
        bar = tabs.query_one(Tabs)
        # through the tab bar, whose state changes at once, so two quick presses move two tabs
        # (setting TabbedContent.active twice could be undone by the first change's late message)
        if step > 0:
            bar.action_next_tab()
        else:
            bar.action_previous_tab()
        self.call_after_refresh(lambda: self.focus_first_field(tabs.active))

    def focus_first_field(self, pane_id: str) -> None:
        """The first input (else the first focusable widget) of a tab pane gets the focus."""
        from textual.widgets import Input, TextArea

        pane = self.query_one(f"#{pane_id}")
        for widget in pane.query("*"):
            if isinstance(widget, Input | TextArea) and widget.focusable:
                widget.focus()
                return
        for widget in pane.query("*"):
            if widget.focusable:
                widget.focus()
                return

    @property
    def dirty(self) -> bool:
        """Whether leaving now would lose something typed; editors override it."""
        return False

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def leave_or_confirm(self, dirty: bool, prompt: str, leave: Callable[[], Any] | None = None) -> None:
        """Leave at once, or first ask (save, discard, stay) when there are unsaved changes."""
        leave = leave or self.app.pop_screen
        if not dirty:
            leave()
            return
        from kb_tui.screens.confirm import ConfirmScreen

        def answer(choice: str | None) -> None:
            if choice == "discard":
                leave()
            elif choice == "save":
                self.save_before_leaving(leave)

        self.app.push_screen(ConfirmScreen(prompt), answer)

    def save_before_leaving(self, then: Callable[[], Any]) -> None:
        """What "save" in the leave prompt does, then `then()` once it is stored; editors override it."""
        then()

    def on_failed(self, message: Failed) -> None:
        self.notify(message.error, severity="error", timeout=8)

    @property
    def kb_app(self):  # type: ignore[no-untyped-def]
        from kb_tui.app import KBApp

        app = self.app
        assert isinstance(app, KBApp)
        return app
