"""Quick log: a small form, reachable from anywhere (F2), for the commonest incident of all: a model
quietly switched off by a feature flag. Project, flag, date, announced?, reason; Enter saves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Static, Switch

from kb_tui.components.backdrop import StillBackdrop
from kb_tui.components.opening import StyledOnce
from kb_tui.messages import Failed, Saved
from kb_tui.screen_messages import Choices
from kb_tui.screens._base import WorkerErrors
from kb_tui.workers import kb_worker

if TYPE_CHECKING:
    from kb.service import KB
    from kb_tui.app import KBApp


class QuickLogScreen(StillBackdrop, StyledOnce, WorkerErrors, ModalScreen[str | None]):
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
        self.AUTO_FOCUS = "#ql-flag" if self.initial["project"] else "#ql-project"  # type: ignore[misc]  # the cursor from the first frame (read per instance)

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
        return cast("KBApp", self.app).today().isoformat()

    def on_mount(self) -> None:
        from kb_tui.components.forms import compact

        compact(self)
        target = "#ql-flag" if self.initial["project"] else "#ql-project"
        self.query_one(target, Input).focus()
        self.load_choices()

    @kb_worker("quick-log-choices")
    def load_choices(self, kb: KB) -> None:
        projects = kb.projects()
        self.post_message(Choices([p.slug for p in projects], {p.slug: p.feature_flags for p in projects}))

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

    def action_save(self, add_flag: bool = False) -> None:
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
            add_flag,
        )

    @kb_worker("quick-log-save")
    def save(self, kb: KB, project: str, flag: str, at: str, reason: str, announced: bool, add_flag: bool) -> None:
        from kb.errors import NotFound, UnknownFlag

        try:
            incident = _log(kb, project, flag, at, reason, announced, add_flag)
        except NotFound as exc:
            if exc.where != "project":
                raise
            self.post_message(MissingProject(project, flag))
            return
        except UnknownFlag as exc:
            self.post_message(MissingFlag(exc.project, exc.flag, exc.known))
            return
        self.post_message(Saved(incident.id or "", incident))

    def on_saved(self, message: Saved) -> None:
        from kb.models import Incident  # loaded already: the worker that saved it imported the service

        logged = message.model
        title = f": {logged.title}" if isinstance(logged, Incident) else ""
        self.app.notify(f"Logged {message.what}{title}", title="Quiet shutdown")
        self.dismiss(message.what)
        if self._after_save is not None:
            self.app.call_later(self._after_save)

    _after_save: Callable[[], Any] | None = None

    def on_failed(self, message: Failed) -> None:
        self.saving = False
        self._error(message.error)

    def on_missing_project(self, message: MissingProject) -> None:
        """Offer to create the project inline, then log the shutdown against it."""
        from kb_tui.screens.confirm import AskScreen
        from kb_tui.screens.project_form import ProjectFormScreen

        self.saving = False
        self._error(f"no project {message.project!r} yet")

        def created(slug: str | None) -> None:
            if slug:
                self.query_one("#ql-project", Input).value = slug
                self.flags.setdefault(slug, [message.flag])
                self.action_save()

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.push_screen(ProjectFormScreen(message.project, [message.flag]), created)

        self.app.push_screen(AskScreen(f"There is no project {message.project!r}. Create it now?", "Create"), answered)

    def on_missing_flag(self, message: MissingFlag) -> None:
        """A flag the project does not list: name the ones it does, and add it only if confirmed."""
        from kb_tui.screens.confirm import AskScreen

        self.saving = False
        known = ", ".join(message.known) if message.known else "none yet"
        self._error(f"{message.flag!r} is not a flag of {message.project} (its flags: {known})")

        def answered(yes: bool | None) -> None:
            if yes:
                self.action_save(add_flag=True)
            else:
                self.query_one("#ql-flag", Input).focus()

        question = (
            f"{message.flag!r} is not a flag of {message.project} (its flags: {known}). "
            f"Add it to {message.project} and log the shutdown?"
        )
        self.app.push_screen(AskScreen(question, "Add flag"), answered)

    def _error(self, text: str) -> None:
        self.query_one("#ql-error", Static).update(text)

    # --- leaving -------------------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        """Anything typed beyond what the dialog opened with."""
        typed = {name: self.query_one(f"#ql-{name}", Input).value.strip() for name in ("project", "flag", "reason")}
        at = self.query_one("#ql-at", Input).value.strip()
        return (
            any(typed[n] != self.initial.get(n, "") for n in typed)
            or at != (self.initial["at"] or self._today())
            or self.query_one("#ql-announced", Switch).value
        )

    unsaved_what = "The quick log"

    @on(Button.Pressed, "#ql-cancel")
    def action_cancel(self) -> None:
        from kb_tui.screens.project_form import ask_before_closing

        ask_before_closing(self, lambda: self.dismiss(None))

    def save_before_leaving(self, then: Callable[[], Any]) -> None:
        self._after_save = then
        self.action_save()


@dataclass
class MissingProject(Message):
    project: str
    flag: str


@dataclass
class MissingFlag(Message):
    project: str
    flag: str
    known: list[str]


def _log(kb: Any, project: str, flag: str, at: str, reason: str, announced: bool, add_flag: bool) -> Any:
    """One `KB.log_shutdown` call: the service builds and stores the incident and the flag event."""
    from kb.errors import KBError
    from kb.timeutil import from_text

    try:
        when = from_text(at) if at else None
    except ValueError as exc:
        raise KBError(str(exc), "date") from None
    return kb.log_shutdown(project, flag, at=when, reason=reason, announced=announced, add_flag=add_flag)
