"""One project: its fields (editable), the silent-failure verdict with every signal and its evidence,
health trends, incidents, and flag events (one key logs an unlogged disable event as an incident)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import (
    Button,
    DataTable,
    Header,
    Input,
    Label,
    Select,
    Sparkline,
    Static,
    TabbedContent,
    TabPane,
)

from kb.approxdate import shown
from kb.humanize import day, evidence, number, plural, score, when
from kb.vocab import MONITORING_LEVELS, STAGES
from kb_tui.components.badges import owner_text, severity_text, stage_text, verdict_badge
from kb_tui.components.footer import KBFooter
from kb_tui.messages import Failed, Saved
from kb_tui.screen_messages import ProjectLoaded
from kb_tui.screens._base import KBScreen
from kb_tui.workers import kb_worker

if TYPE_CHECKING:
    from kb.service import KB

TEXT_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "Name"),
    ("team", "Team"),
    ("owner", "Owner"),
    ("business_owner", "Business owner"),
    ("decision", "Decision"),
    ("success_metric", "Success metric"),
    ("baseline", "Baseline"),
    ("vendor", "Vendor"),
    ("outcome_lag_days", "Outcome lag (d)"),
    ("feature_flags", "Feature flags"),
    ("tags", "Tags"),
    ("notes", "Notes"),
)
LIST_FIELDS = {"feature_flags", "tags"}
METRICS: tuple[tuple[str, str], ...] = (
    ("predictions", "predictions served"),
    ("acted_on", "acted on"),
    ("adoption", "adoption (acted on / served)"),
    ("override_rate", "override rate"),
    ("quality", "quality"),
    ("latency_p95_ms", "latency p95 (ms)"),
    ("cost", "cost"),
    ("value", "value"),
)


def _as_text(project: Any, name: str) -> str:
    value = getattr(project, name)
    if name in LIST_FIELDS:
        return ", ".join(value)
    return "" if value is None else str(value)


class ProjectScreen(KBScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="project.back", show=False),
        Binding("ctrl+s", "save", "Save", id="project.save", priority=True),
        Binding("ctrl+l", "log_event", "Log shutdown", id="project.log_event"),
        Binding("ctrl+n", "new_incident", "New incident", id="project.new_incident"),
    ]

    def __init__(self, slug: str) -> None:
        super().__init__()
        self.slug = slug
        self.project: Any = None
        self.flag_rows: list[tuple[Any, bool]] = []
        self.saving = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.slug, id="project-title", classes="counts")
        with TabbedContent(id="project-tabs"):
            with TabPane("Verdict", id="tab-verdict"), VerticalScroll():
                yield Static("loading…", id="verdict")
                yield Static("", id="fields")
            with TabPane("Edit", id="tab-edit"), VerticalScroll(classes="form"):
                for name, label in TEXT_FIELDS[:4]:
                    yield Horizontal(Label(label), Input(id=f"p-{name}"), classes="form-row")
                yield Horizontal(
                    Label("Stage"),
                    Select([(s, s) for s in STAGES], allow_blank=False, value="pilot", id="p-stage"),
                    classes="form-row",
                )
                yield Horizontal(
                    Label("Monitoring"),
                    Select([(m, m) for m in MONITORING_LEVELS], allow_blank=False, value="none", id="p-monitoring"),
                    classes="form-row",
                )
                for name, label in TEXT_FIELDS[4:]:
                    yield Horizontal(Label(label), Input(id=f"p-{name}"), classes="form-row")
                yield Static("", id="p-error", classes="error-line")
                with Horizontal(classes="buttons"):
                    yield Button("Save (ctrl+s)", variant="primary", id="p-save")
            with TabPane("Health", id="tab-health"), VerticalScroll(id="health"):
                yield Static("loading…", classes="unavailable")
            with TabPane("Incidents", id="tab-incidents"):
                table: DataTable[Any] = DataTable(id="project-incidents", cursor_type="row", zebra_stripes=True)
                table.add_columns("id", "started", "kind", "sev (1 worst)", "status", "title")
                yield table
            with TabPane("Flags", id="tab-flags"):
                yield Static("ctrl+l logs the highlighted disable event as a quiet-shutdown incident", classes="hint")
                flags: DataTable[Any] = DataTable(id="project-flags", cursor_type="row", zebra_stripes=True)
                flags.add_columns("at", "flag", "env", "action", "change", "actor", "incident")
                yield flags
        yield KBFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Save belongs to the Edit tab and logging a flag event to the Flags tab."""
        tab = {"save": "tab-edit", "log_event": "tab-flags"}.get(action)
        if tab is not None and self.is_mounted:
            return self.query_one(TabbedContent).active == tab
        return super().check_action(action, parameters)

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()

    def on_mount(self) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        if self.project is not None:
            self.load()

    # --- loading -------------------------------------------------------------------------------

    @kb_worker("project-load")
    def load(self, kb: KB) -> None:
        app = self.kb_app
        project = kb.get_project(self.slug)
        incidents = kb.incident_rows(project=self.slug, limit=500)
        found = kb.silent_scan(as_of=app.as_of, project=self.slug)
        verdict = found[0] if found else None
        note = "" if found else "no verdict (retired projects are not scanned)"
        health = kb.health_series(self.slug)
        events = kb.flag_events(project=self.slug)
        flagged = [kb.get_incident(r.id).flag for r in incidents if r.kind == "quiet-shutdown"]
        logged = {(f.key, str(f.at)[:10]) for f in flagged if f is not None and f.at is not None}
        flags = [(e, (e.flag_key, e.at.date().isoformat()) in logged) for e in events]
        self.post_message(ProjectLoaded(project, incidents, verdict, note, health, flags))

    def on_project_loaded(self, message: ProjectLoaded) -> None:
        first = self.project is None
        self.project = p = message.project
        # one line at any width: slug, verdict and score first, the name last, cut with … when too long
        title = Text()  # kept to one row by kb.tcss (#project-title)
        title.append(p.slug, style="bold")
        if message.verdict is not None:
            title.append("  ")
            title.append_text(verdict_badge(message.verdict.verdict))
            title.append(f" {score(message.verdict.score)}")
        title.append("  ")
        title.append_text(stage_text(p.stage))
        title.append("  owner: ")
        title.append_text(owner_text(p.owner))
        title.append(f"  {p.name}")
        self.query_one("#project-title", Static).update(title)
        self.query_one("#verdict", Static).update(self._verdict(message.verdict, message.verdict_note))
        self.query_one("#fields", Static).update(self._fields(p))
        if first:
            self._fill_form(p)
        self._show_health(message.health)
        incidents: DataTable[Any] = self.query_one("#project-incidents", DataTable)
        incidents.clear()
        for r in message.incidents:
            incidents.add_row(r.id, day(r.started_at), r.kind, severity_text(r.severity), r.status, r.title, key=r.id)
        flags: DataTable[Any] = self.query_one("#project-flags", DataTable)
        flags.clear()
        self.flag_rows = message.flags or []
        if message.flags is None:
            flags.add_row(Text("flag events are not available", style="dim"), "", "", "", "", "", "")
        for n, (e, logged) in enumerate(self.flag_rows):
            change = f"{e.state_from or '?'}→{e.state_to or '?'}"
            mark = Text("logged", style="green") if logged else (Text("none", style="bold red") if _is_off(e) else "")
            flags.add_row(when(e.at), e.flag_key, e.environment, e.action, change, e.actor, mark, key=str(n))

    def _verdict(self, verdict: Any, note: str) -> Any:
        if verdict is None:
            return Text(note or "no verdict", style="italic")
        table = Table(title=None, box=None, expand=True, padding=(0, 1))
        table.add_column("signal", style="bold", no_wrap=True)
        table.add_column("weight", justify="right")
        table.add_column("evidence", ratio=1)
        for s in verdict.signals:
            plain, stats = evidence(s)
            cell = Text(plain)
            if stats:
                cell.append(f"\n{stats}", style="dim")
            table.add_row(s.code, score(s.weight), cell)
        if not verdict.signals:
            table.add_row("–", "", "no warning signal")
        head = Text()
        head.append_text(verdict_badge(verdict.verdict))
        head.append(f"  score {score(verdict.score)}", style="bold")
        from rich.console import Group

        return Group(head, table)

    def _fields(self, p: Any) -> Table:
        table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
        table.add_column(style="dim", no_wrap=True)
        table.add_column(ratio=1)
        rows = [
            ("team", p.team),
            ("business owner", p.business_owner),
            ("monitoring", p.monitoring),
            ("decision", p.decision),
            ("success metric", p.success_metric),
            ("baseline", p.baseline or Text("(none: no counterfactual)", style="italic red")),
            ("flags", ", ".join(p.feature_flags)),
            ("launched", shown(p.launched_on)),
            ("retraining", f"{p.retraining.owner or '(nobody)'} every {p.retraining.cadence_days or '?'} days"),
            ("vendor", p.vendor),
            ("notes", p.notes),
        ]
        # format 2 (issue 16): shown only when recorded
        rows += [
            (k, v)
            for k, v in (
                ("automation", p.automation or ""),
                ("retired", shown(p.retired_on)),
                ("stages", " → ".join(f"{c.stage} {shown(c.at)}" for c in p.lifecycle)),
            )
            if v
        ]
        for k, v in rows:
            table.add_row(k, v)
        return table

    def _show_health(self, points: list[Any] | None) -> None:
        box = self.query_one("#health", VerticalScroll)
        if not box.is_attached:  # the app is closing under a late answer
            return
        box.remove_children()
        if points is None:
            box.mount(Static("health metrics are not available", classes="unavailable"))
            return
        if not points:
            box.mount(Static("no health data for this project (kb health import)", classes="unavailable"))
            return
        span = f"{points[0].period} … {points[-1].period}"
        for name, label in METRICS:
            values = [getattr(pt, name) for pt in points]
            known = [float(v) for v in values if v is not None]
            if not known:
                continue
            line = f"{label}: last {number(known[-1])}  ({span}, {plural(len(known), 'period')})"
            box.mount(Static(line, classes="metric-label"))
            box.mount(Sparkline(known))

    def _fill_form(self, p: Any) -> None:
        for name, _ in TEXT_FIELDS:
            field = self.query_one(f"#p-{name}", Input)
            field.value = _as_text(p, name)
            field.cursor_position = 0  # read a long value from its start, whatever layout has done so far
        self.query_one("#p-stage", Select).value = p.stage
        self.query_one("#p-monitoring", Select).value = p.monitoring

    # --- editing -------------------------------------------------------------------------------

    def changes(self) -> dict[str, Any]:
        """Only the fields the user changed, as `KB.edit_project` takes them."""
        if self.project is None:
            return {}
        out: dict[str, Any] = {}
        for name, _ in TEXT_FIELDS:
            value = self.query_one(f"#p-{name}", Input).value.strip()
            if value == _as_text(self.project, name):
                continue
            if name in LIST_FIELDS:
                out[name] = [v.strip() for v in value.split(",") if v.strip()]
            elif name == "outcome_lag_days":
                out[name] = value or None
            else:
                out[name] = value
        for name in ("stage", "monitoring"):
            chosen = self.query_one(f"#p-{name}", Select).value
            if chosen != getattr(self.project, name):
                out[name] = chosen
        return out

    @on(Button.Pressed, "#p-save")
    def action_save(self) -> None:
        changes = self.changes()
        if not changes or self.saving:
            self.notify("nothing to save")
            return
        self.saving = True
        self.save(changes)

    @kb_worker("project-save")
    def save(self, kb: KB, changes: dict[str, Any]) -> None:
        project = kb.edit_project(self.slug, changes)
        self.post_message(Saved(project.slug, project))

    def on_saved(self, message: Saved) -> None:
        self.saving = False
        self.query_one("#p-error", Static).update("")
        if message.model is not None and hasattr(message.model, "slug"):
            self.project = message.model
            self.notify(f"Saved {message.what}")
        else:
            self.notify(f"Logged {message.what}", title="Quiet shutdown")
        self.load()
        then, self._after_save = self._after_save, None
        if then is not None:
            then()

    def on_failed(self, message: Failed) -> None:
        self.saving = False
        self._after_save = None
        self.query_one("#p-error", Static).update(message.error)  # KBScreen.on_failed shows the toast

    _after_save: Callable[[], Any] | None = None

    @property
    def unsaved_what(self) -> str:
        return f"Project {self.slug}"

    @property
    def dirty(self) -> bool:
        return bool(self.changes())

    def action_back(self) -> None:
        self.leave_or_confirm(self.dirty, f"Project {self.slug} has unsaved changes.")

    def save_before_leaving(self, then: Callable[[], Any]) -> None:
        self._after_save = then
        self.action_save()
        if not self.saving:
            self._after_save = None

    # --- incidents and flag events -------------------------------------------------------------

    @on(DataTable.RowSelected, "#project-incidents")
    def _open_incident(self, event: DataTable.RowSelected) -> None:
        self.kb_app.action_open_incident(str(event.row_key.value))

    def action_new_incident(self) -> None:
        self.kb_app.action_new_incident(project=self.slug)

    def action_log_event(self) -> None:
        table: DataTable[Any] = self.query_one("#project-flags", DataTable)
        if not self.flag_rows or table.row_count == 0:
            self.notify("no flag event to log", severity="warning")
            return
        event, logged = self.flag_rows[table.cursor_row]
        if logged or not _is_off(event):
            self.notify("pick a disable event that has no incident yet", severity="warning")
            return
        self.log_event(event)

    @kb_worker("project-log")
    def log_event(self, kb: KB, event: Any) -> None:
        incident = kb.log_shutdown(self.slug, event.flag_key, at=event.at, environment=event.environment)
        self.post_message(Saved(incident.id or "", None))


def _is_off(event: Any) -> bool:
    return event.state_to == "off"
