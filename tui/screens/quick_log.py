"""Quick log: a small form, reachable from anywhere (F2), for the commonest incident of all: a model
quietly switched off by a feature flag. Project, flag, date, announced?, reason; Enter saves."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Static, Switch

from tui.backend import one_line, session
from tui.messages import Choices, Failed, Saved


class QuickLogScreen(ModalScreen[str | None]):
    """Dismissed with the new incident's id, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="quick_log.cancel"),
        Binding("ctrl+s", "save", "Save", id="quick_log.save", priority=True),
    ]

    def __init__(self, project: str | None = None, flag: str | None = None, at: str | None = None) -> None:
        super().__init__()
        self.initial = {"project": project or "", "flag": flag or "", "at": at or ""}
        self.flags: dict[str, list[str]] = {}
        self.saving = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="quick-log"):
            yield Static("Log a quiet feature-flag shutdown", classes="dialog-title")
            with Horizontal(classes="form-row"):
                yield Label("Project")
                yield Input(self.initial["project"], placeholder="project slug", id="ql-project")
            with Horizontal(classes="form-row"):
                yield Label("Flag")
                yield Input(self.initial["flag"], placeholder="flag key that was switched off", id="ql-flag")
            with Horizontal(classes="form-row"):
                yield Label("Switched off")
                yield Input(self.initial["at"] or self._today(), placeholder="YYYY-MM-DD", id="ql-at")
            with Horizontal(classes="form-row"):
                yield Label("Announced?")
                yield Switch(False, id="ql-announced")
            with Horizontal(classes="form-row"):
                yield Label("Reason")
                yield Input(placeholder="why, if known (optional)", id="ql-reason")
            yield Static("", classes="error-line", id="ql-error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="ql-cancel")
                yield Button("Save (ctrl+s)", variant="primary", id="ql-save")

    def _today(self) -> str:
        today = getattr(self.app, "today", None)
        return today().isoformat() if callable(today) else ""

    def on_mount(self) -> None:
        from tui.components.forms import compact

        compact(self)
        target = "#ql-flag" if self.initial["project"] else "#ql-project"
        self.query_one(target, Input).focus()
        self.load_choices()

    @work(thread=True, exclusive=True, group="quick-log-choices")
    def load_choices(self) -> None:
        app: Any = self.app
        try:
            with session(app.db_path, app.actor) as kb:
                projects = kb.projects()
            self.post_message(Choices([p.slug for p in projects], {p.slug: p.feature_flags for p in projects}))
        except Exception as exc:
            self.post_message(Failed(str(exc)))

    def on_choices(self, message: Choices) -> None:
        self.flags = message.flags
        self.query_one("#ql-project", Input).suggester = SuggestFromList(message.projects, case_sensitive=True)
        self._suggest_flags()

    @on(Input.Changed, "#ql-project")
    def _suggest_flags(self) -> None:
        slug = self.query_one("#ql-project", Input).value.strip()
        flags = self.flags.get(slug, [])
        flag_input = self.query_one("#ql-flag", Input)
        flag_input.suggester = SuggestFromList(flags, case_sensitive=True) if flags else None
        if len(flags) == 1 and not flag_input.value:
            flag_input.placeholder = f"{flags[0]} (the project's only flag; tab to accept)"

    @on(Input.Submitted)
    def _next_or_save(self, event: Input.Submitted) -> None:
        """Enter moves to the next field; on the last one it saves."""
        if event.input.id == "ql-reason":
            self.action_save()
        else:
            self.focus_next()

    @on(Button.Pressed, "#ql-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#ql-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        if self.saving:
            return
        project = self.query_one("#ql-project", Input).value.strip()
        flag = self.query_one("#ql-flag", Input).value.strip()
        if not flag and len(self.flags.get(project, [])) == 1:
            flag = self.flags[project][0]
        if not project or not flag:
            self._error("project and flag are both needed")
            return
        self.saving = True
        self._error("")
        self.save(
            project,
            flag,
            self.query_one("#ql-at", Input).value.strip(),
            self.query_one("#ql-reason", Input).value.strip(),
            self.query_one("#ql-announced", Switch).value,
        )

    @work(thread=True, exclusive=True, group="quick-log-save")
    def save(self, project: str, flag: str, at: str, reason: str, announced: bool) -> None:
        app: Any = self.app
        try:
            with session(app.db_path, app.actor) as kb:
                incident = _log(kb, project, flag, at, reason, announced)
            self.post_message(Saved(incident.id or "", incident))
        except Exception as exc:
            self.post_message(Failed(one_line(exc)))

    def on_saved(self, message: Saved) -> None:
        self.app.notify(f"Logged {message.what}: {message.model.title}", title="Quiet shutdown")
        self.dismiss(message.what)

    def on_failed(self, message: Failed) -> None:
        self.saving = False
        self._error(message.error)

    def _error(self, text: str) -> None:
        self.query_one("#ql-error", Static).update(text)


def _log(kb: Any, project: str, flag: str, at: str, reason: str, announced: bool) -> Any:
    """One `KB.log_shutdown` call: the service builds and stores the incident."""
    from kb.errors import KBError
    from kb.timeutil import from_text

    try:
        when = from_text(at) if at else None
    except ValueError as exc:
        raise KBError(str(exc), "date") from None
    return kb.log_shutdown(project, flag, at=when, reason=reason, announced=announced)
