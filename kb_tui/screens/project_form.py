"""New project: a small form (slug, name, stage, owner, team, flags, baseline, monitoring), opened
from the portfolio (F9), the command palette, or inline from F2 when the project does not exist yet.
The project's other fields are edited on its Edit tab."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from kb.vocab import MONITORING_LEVELS, STAGES
from kb_tui.components.backdrop import StillBackdrop
from kb_tui.components.opening import StyledOnce
from kb_tui.messages import Failed, Saved
from kb_tui.screens._base import WorkerErrors
from kb_tui.workers import kb_worker

if TYPE_CHECKING:
    from kb.service import KB

TEXT = (
    ("slug", "Slug", "permanent id: lowercase, digits, - . _"),
    ("name", "Name", "what people call it"),
    ("owner", "Owner", "who answers for it"),
    ("team", "Team", ""),
    ("feature_flags", "Feature flags", "comma separated flag keys"),
    ("baseline", "Baseline", "what happens without the model"),
)


class ProjectFormScreen(StillBackdrop, StyledOnce, WorkerErrors, ModalScreen[str | None]):
    """Dismissed with the new project's slug, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="project_form.cancel"),
        Binding("ctrl+s", "save", "Create", id="project_form.save", priority=True),
    ]

    def __init__(self, slug: str = "", flags: list[str] | None = None, stage: str = "production") -> None:
        super().__init__()
        self.initial = {"slug": slug, "feature_flags": ", ".join(flags or []), "stage": stage}
        self.saving = False
        self.AUTO_FOCUS = "#np-name" if slug else "#np-slug"  # type: ignore[misc]  # the cursor from the first frame (read per instance)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="project-form"):
            yield Static("New project", classes="dialog-title")
            for name, label, hint in TEXT:
                with Horizontal(classes="form-row"):
                    yield Label(label)
                    yield Input(self.initial.get(name, ""), placeholder=hint, id=f"np-{name}")
            with Horizontal(classes="form-row"):
                yield Label("Stage")
                yield Select([(s, s) for s in STAGES], value=self.initial["stage"], allow_blank=False, id="np-stage")
            with Horizontal(classes="form-row"):
                yield Label("Monitoring")
                yield Select([(m, m) for m in MONITORING_LEVELS], value="none", allow_blank=False, id="np-monitoring")
            yield Static("", classes="error-line", id="np-error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="np-cancel")
                yield Button("Create (ctrl+s)", variant="primary", id="np-save")

    def on_mount(self) -> None:
        from kb_tui.components.forms import compact

        compact(self)
        self.query_one("#np-name" if self.initial["slug"] else "#np-slug", Input).focus()

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: self.query_one(f"#np-{name}", Input).value.strip() for name, _, _ in TEXT}
        out["feature_flags"] = [f.strip() for f in out["feature_flags"].split(",") if f.strip()]
        out["stage"] = self.query_one("#np-stage", Select).value
        out["monitoring"] = self.query_one("#np-monitoring", Select).value
        return out

    @property
    def dirty(self) -> bool:
        typed = self.values()
        return any(typed[n] for n in ("name", "owner", "team", "baseline")) or typed["slug"] != self.initial["slug"]

    unsaved_what = "The new project"

    @on(Input.Submitted)
    def _next_or_save(self, event: Input.Submitted) -> None:
        """Enter moves to the next field; on the last text field it creates the project."""
        if event.input.id == f"np-{TEXT[-1][0]}":
            self.action_save()
        else:
            self.focus_next()

    @on(Button.Pressed, "#np-save")
    def action_save(self) -> None:
        if self.saving:
            return
        self.saving = True
        self.query_one("#np-error", Static).update("")
        self.create(self.values())

    @kb_worker("project-create")
    def create(self, kb: KB, values: dict[str, Any]) -> None:
        from kb.models import Project

        project = kb.add_project(Project.model_validate(values))
        self.post_message(Saved(project.slug, project))

    def on_saved(self, message: Saved) -> None:
        self.app.notify(f"Created project {message.what}", title="Project")
        self.dismiss(message.what)
        if self._after_save is not None:
            self.app.call_later(self._after_save)

    _after_save: Callable[[], Any] | None = None

    def on_failed(self, message: Failed) -> None:
        self.saving = False
        self.query_one("#np-error", Static).update(message.error)

    @on(Button.Pressed, "#np-cancel")
    def action_cancel(self) -> None:
        ask_before_closing(self, lambda: self.dismiss(None))

    def save_before_leaving(self, then: Callable[[], Any]) -> None:
        self._after_save = then
        self.action_save()


def ask_before_closing(screen: Any, close: Callable[[], Any]) -> None:
    """Close a dialog at once when nothing was typed, else ask first (keep editing or discard)."""
    if not screen.dirty:
        close()
        return
    from kb_tui.screens.confirm import AskScreen

    def answered(discard: bool | None) -> None:
        if discard:
            close()

    screen.app.push_screen(AskScreen(f"{screen.unsaved_what} has text you typed. Discard it?", "Discard"), answered)
