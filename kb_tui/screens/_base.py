"""What every kb screen shares: a back key, one handler for failed workers, leave-or-ask, and the
rule that nothing typed is lost without asking."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import ActiveBinding, Binding, BindingType
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from kb_tui.components.opening import StyledOnce
from kb_tui.messages import Failed

if TYPE_CHECKING:
    from textual.widget import Widget
    from textual.widgets import TabbedContent


class WorkerErrors:
    """The safety net under `kb_tui.workers.kb_worker`: a worker started some other way that fails is
    reported the same way (logged with its traceback, shown as one `Failed` line), never ending the app."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR or event.worker.error is None:
            return
        from kb_tui.workers import report_failure

        report_failure(self, event.worker.group, event.worker.error)  # type: ignore[arg-type]


class KBScreen(StyledOnce, WorkerErrors, Screen[None]):
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

    def footer_hidden(self) -> set[str]:
        """Ids of keys that work here but stay out of the footer just now, so that the keys of the tab
        in front fit 80 columns (F1's help lists every key). Screens with tabs override it."""
        return set()

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """Textual's active bindings (read by the footer only; keys are dispatched elsewhere), with
        `footer_hidden()`'s keys marked not to show."""
        bindings = super().active_bindings
        hidden = self.footer_hidden() if self.is_mounted else set()
        if not hidden:
            return bindings
        return {
            key: active._replace(binding=replace(active.binding, show=False)) if active.binding.id in hidden else active
            for key, active in bindings.items()
        }

    def active_tab(self) -> str:
        """The id of the tab in front ("" on a screen without tabs)."""
        from textual.widgets import TabbedContent

        tabs = self.query(TabbedContent)
        return tabs.first(TabbedContent).active if tabs else ""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Tab keys only where there are tabs (hidden from the footer elsewhere)."""
        if action == "switch_tab":
            return bool(self.query("TabbedContent"))
        return True

    async def action_switch_tab(self, step: int) -> None:
        """Move to the next (or previous) tab and put the cursor in its first field, once the tab is
        composed (a LazyPane is built on its first visit)."""
        from textual.widgets import TabbedContent, Tabs
        from textual.widgets._tabbed_content import ContentTab

        tabs = self.query(TabbedContent).first(TabbedContent)
        bar = tabs.query_one(Tabs)
        # through the tab bar, whose state changes at once, so two quick presses move two tabs
        # (setting TabbedContent.active twice could be undone by the first change's late message)
        if step > 0:
            bar.action_next_tab()
        else:
            bar.action_previous_tab()
        if not bar.active:
            return
        self._focus_tab = target = ContentTab.sans_prefix(bar.active)
        await self.build_pane(self.query_one(f"#{target}"))
        self._focus_pending_tab()

    _focus_tab: str | None = None  # the tab last switched to by key: its first field gets the cursor

    def _focus_pending_tab(self) -> None:
        """Focus the first field of the tab switched to by key, once TabbedContent shows it and it is built
        (whichever comes last calls this: the key's action or the TabActivated handler)."""
        from textual.widgets import TabbedContent

        from kb_tui.components.lazy_pane import LazyPane

        if self._focus_tab is None or self.query(TabbedContent).first(TabbedContent).active != self._focus_tab:
            return
        pane = self.query_one(f"#{self._focus_tab}")
        if isinstance(pane, LazyPane) and not pane.built:
            return
        self._focus_tab = None
        self.focus_first_field(pane.id or "")

    async def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """A lazy tab is composed the first time it is shown (by key, click, ← → on the tab bar, or code);
        the footer shows the new tab's keys."""
        self.refresh_bindings()
        await self.build_pane(event.pane)
        self._focus_pending_tab()

    async def build_pane(self, pane: Widget) -> None:
        from kb_tui.components.forms import compact
        from kb_tui.components.lazy_pane import LazyPane

        if isinstance(pane, LazyPane) and await pane.build():
            compact(pane)
            self.pane_built(pane.id or "")

    async def show_tab(self, pane_id: str) -> None:
        """Make a tab the active one, with its content composed when this returns."""
        from textual.widgets import TabbedContent

        self.query(TabbedContent).first(TabbedContent).active = pane_id
        await self.build_pane(self.query_one(f"#{pane_id}"))

    def pane_built(self, pane_id: str) -> None:
        """A lazy tab's widgets have just been mounted: fill them from the screen's state."""

    def pane_ready(self, pane_id: str) -> bool:
        """Whether a tab's widgets exist (a lazy tab not shown yet has none)."""
        from kb_tui.components.lazy_pane import LazyPane

        pane = self.query_one(f"#{pane_id}")
        return not isinstance(pane, LazyPane) or pane.built

    def focus_first_field(self, pane_id: str) -> None:
        """The first input (else the first focusable widget) of a tab pane gets the focus."""
        from textual.widgets import Input, TextArea

        pane = self.query_one(f"#{pane_id}")
        for widget in pane.query("*"):
            if isinstance(widget, Input | TextArea) and widget.focusable:
                self.set_focus(widget)  # now, not after the keys already waiting in the queue
                return
        for widget in pane.query("*"):
            if widget.focusable:
                self.set_focus(widget)
                return

    @property
    def dirty(self) -> bool:
        """Whether leaving now would lose something typed; editors override it."""
        return False

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:  # never the portfolio, the first screen
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
        """A worker's failure, as one line (kb_tui.workers.report_failure has logged the traceback)."""
        self.notify(message.error, severity="error", timeout=8)

    @property
    def kb_app(self):  # type: ignore[no-untyped-def]
        from kb_tui.app import KBApp

        app = self.app
        assert isinstance(app, KBApp)
        return app
