"""Incident editor: every field of a postmortem, its modes, cause chain, actions and timeline.

The form holds plain dicts; after every change they are validated with the same pydantic model the
store uses, and the first problem is shown under the form (the field is marked). Save is one
`KB.save_incident` call, so the whole postmortem lands in one transaction or not at all. Leaving with
unsaved changes asks first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, get_args

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.suggester import SuggestFromList
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import (
    Button,
    DataTable,
    Header,
    Input,
    Label,
    OptionList,
    Select,
    Static,
    Switch,
    TabbedContent,
    TabPane,
    TextArea,
)
from textual.widgets.option_list import Option

from kb.vocab import (
    DETECTED_BY,
    INCIDENT_KINDS,
    POSTMORTEM_SOURCES,
    POSTMORTEMS,
    STATUSES,
    ActionKind,
    ActionStatus,
    Confidence,
    Role,
)
from kb_tui.components.cause_tree import CauseTree
from kb_tui.components.footer import KBFooter
from kb_tui.components.lazy_pane import LazyPane
from kb_tui.components.taxonomy_picker import TaxonomyPicker
from kb_tui.messages import Failed, Saved
from kb_tui.screen_messages import IncidentLoaded, TaxonomyLoaded, WhySuggestions
from kb_tui.screens._base import KBScreen
from kb_tui.workers import kb_worker

if TYPE_CHECKING:
    from kb.service import KB

TEXT_FIELDS = ("project", "title", "started_at", "detected_at", "resolved_at", "tags")
FLAG_FIELDS = ("key", "environment", "from", "to", "at", "actor")
ROLES: tuple[str, ...] = get_args(Role)
CONFIDENCES: tuple[str, ...] = get_args(Confidence)
ACTION_STATUSES: tuple[str, ...] = get_args(ActionStatus)
ACTION_KINDS: tuple[str, ...] = get_args(ActionKind)
CHOICE_FIELDS: dict[str, tuple[str, ...]] = {
    "kind": INCIDENT_KINDS,
    "severity": ("1", "2", "3", "4", "5"),
    "status": STATUSES,
    "detected_by": DETECTED_BY,
    "postmortem": POSTMORTEMS,
}


# The fields the form edits; every other field of a loaded incident is kept as it was (FORM_KEYS).
FORM_KEYS = frozenset(
    [
        *("id", "project", "title", "kind", "severity", "status", "started_at", "detected_at", "resolved_at"),
        *("detected_by", "announced", "postmortem", "flag", "summary", "modes", "causes", "actions", "timeline"),
        *("tags", "made_public_at", "postmortem_source", "postmortem_link"),
    ]
)


def _chosen(value: Any) -> Any:
    return None if value is Select.NULL else value


def _row(label: str, widget: Any) -> Horizontal:
    return Horizontal(Label(label), widget, classes="form-row")


def _field(label: str, widget: Any, name: str) -> tuple[Horizontal, Static]:
    """A labelled field and, under it, the line that shows its problem (hidden while there is none)."""
    return _row(label, widget), Static("", id=f"e-{name}", classes="field-error")


SEVERITY_LABELS = {"1": "1 (worst)", "5": "5 (least)"}

# What the Fields tab holds before anything is typed (an Input not named here starts empty). A new
# incident's unedited state is read from here, not from the widgets, which may hold typed text already.
FIRST: dict[str, Any] = {
    **{"f-kind": "degradation", "f-severity": "3", "f-status": "open", "f-detected_by": "nobody"},
    **{"f-postmortem": "none", "f-postmortem_source": Select.NULL, "f-announced": False, "f-summary": ""},
    **{"f-flag-environment": "production", "f-flag-from": "on", "f-flag-to": "off"},
}
# The Fields tab is mounted in steps: the id line, Project and Title (with their problem lines) in the
# screen's first frame, then the other rows in two steps, a frame apart. Its ~140 widgets mounted at
# once were most of what ctrl+n cost before the cursor showed; keys typed meanwhile go to the field
# holding the cursor. (Steps of four rows cost a third more CPU in all, each one laying out the screen.)
FIRST_ROWS = 5
ROWS_PER_STEP = 9
TIME_FIELDS = ("started_at", "detected_at", "resolved_at")
SUMMARY_PAUSE_S = 0.3


def _select(name: str, options: tuple[str, ...], value: str, prefix: str = "f-") -> Select[str]:
    labels = SEVERITY_LABELS if name == "severity" else {}
    return Select([(labels.get(o, o), o) for o in options], value=value, allow_blank=False, id=f"{prefix}{name}")


def _show(line: Static, content: str | Text) -> None:
    """Update a line only when what it shows changes (an update lays the screen out again)."""
    if line.content != content:
        line.update(content)


def _minute(stored: str) -> str:
    """A stored instant as the form shows it: UTC to the minute (2026-11-29T16:25Z); a date stays a date."""
    if "T" not in stored:
        return stored
    from kb.humanize import when

    shown = when(stored, utc=True)  # "2026-11-29 16:25 UTC"
    return shown.replace(" UTC", "Z").replace(" ", "T") if shown.endswith(" UTC") else stored


class IncidentScreen(KBScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="incident.back", show=False),
        Binding("ctrl+s", "save", "Save", id="incident.save", priority=True),
        Binding("ctrl+g", "chain", "Chain", id="incident.graph"),
        Binding("tab", "next_field", "Next field", id="incident.next_field", show=False),
        Binding("f8", "show_mode", "Mode", id="incident.show_mode"),
        Binding(
            "f9", "add_why", "Add why", id="incident.add_why", tooltip="Add the typed cause behind the selected one"
        ),
        Binding(
            "f10", "why_list", "Ask why", id="incident.why_list", tooltip="Why? suggestions for the selected cause"
        ),
    ]

    def __init__(self, incident_id: str | None = None, project: str | None = None) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.new_project = project or ""
        self.taxonomy: Any = None
        self.loaded = incident_id is None
        self.extra: dict[str, Any] = {}
        self.modes: list[dict[str, Any]] = []
        self.causes: list[dict[str, Any]] = []
        self.actions: list[dict[str, Any]] = []
        self.timeline: list[dict[str, Any]] = []
        self.selected_cause: str | None = None
        self.saved_state: dict[str, Any] | None = None
        self.error = ""
        self.saving = False
        self.touched: set[str] = set()  # fields the user has edited: only their problems are shown
        self.show_all = False  # after a save attempt every problem is shown
        self.why_of: str | None = None  # a why? suggestion was picked for this cause: Enter adds behind it
        self.stored_times: dict[str, tuple[str, str]] = {}  # field -> (as shown, as stored): nothing is lost
        self._rest: list[Widget] = []  # the Fields tab's rows still to mount (see FIRST_ROWS)
        self.form_complete = False  # every row of the Fields tab is mounted
        self._form_whole = asyncio.Event()
        self._loaded_message: IncidentLoaded | None = None  # arrived before the form was whole
        # the first thing a person types (the project of a new incident, else its title) has the cursor
        # from the first frame: Textual focuses it as the screen is composed, not the tab bar first
        self.AUTO_FOCUS = "#f-title" if self.new_project or incident_id else "#f-project"  # type: ignore[misc]

    # --- layout ----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # the fields' first values are not edits: the Changed messages they post while mounting would
        # validate the whole (empty) incident once per field, importing pydantic on the key
        with self.prevent(Input.Changed, Select.Changed, Switch.Changed, TextArea.Changed):
            yield from self._form()

    def _form(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="incident-tabs"):
            with TabPane("Fields", id="tab-fields"), VerticalScroll(classes="form", id="fields-form"):
                # built here, inside compose's `prevent`, so the rows mounted later post no Changed either
                rows = self._fields()
                yield from rows[:FIRST_ROWS]
                self._rest = rows[FIRST_ROWS:]
            # the other tabs are composed when first shown (most of what ctrl+n cost was building them)
            yield LazyPane("Modes", self._modes_tab, id="tab-modes")
            yield LazyPane("Causes", self._causes_tab, id="tab-causes")
            yield LazyPane("Actions", self._actions_tab, id="tab-actions")
            yield LazyPane("Timeline", self._timeline_tab, id="tab-timeline")
            yield LazyPane("Links", self._links_tab, id="tab-links")
        yield Static("", id="inc-error", classes="error-line")
        yield KBFooter()

    def _fields(self) -> list[Widget]:
        """The Fields tab, row by row (each field's problem line follows its row)."""
        return [
            Static("", id="f-id", classes="panel-title"),
            *_field("Project", Input(self.new_project, id="f-project", placeholder="project slug"), "project"),
            *_field("Title", Input(id="f-title", placeholder="what happened, in one line"), "title"),
            _row("Kind", _select("kind", INCIDENT_KINDS, FIRST["f-kind"])),
            _row("Severity", _select("severity", CHOICE_FIELDS["severity"], FIRST["f-severity"])),
            _row("Status", _select("status", STATUSES, FIRST["f-status"])),
            *_field(
                "Started",
                Input(id="f-started_at", placeholder="impact began: YYYY-MM-DD[THH:MMZ], 2021Q3, 2021-11"),
                "started_at",
            ),
            *_field("Detected", Input(id="f-detected_at", placeholder="YYYY-MM-DD"), "detected_at"),
            *_field("Resolved", Input(id="f-resolved_at", placeholder="YYYY-MM-DD"), "resolved_at"),
            _row("Detected by", _select("detected_by", DETECTED_BY, FIRST["f-detected_by"])),
            _row("Announced", Switch(False, id="f-announced")),
            _row("Made public", Input(id="f-made_public_at", placeholder="when it became public (optional)")),
            _row("Postmortem", _select("postmortem", POSTMORTEMS, FIRST["f-postmortem"])),
            _row(
                "Written by",
                Select([(o, o) for o in POSTMORTEM_SOURCES], prompt="(not recorded)", id="f-postmortem_source"),
            ),
            _row("Postmortem link", Input(id="f-postmortem_link", placeholder="https://…")),
            *_field("Flag key", Input(id="f-flag-key", placeholder="feature flag switched (optional)"), "flag"),
            _row("Flag env", Input(FIRST["f-flag-environment"], id="f-flag-environment")),
            _row(
                "Flag from→to",
                Horizontal(Input(FIRST["f-flag-from"], id="f-flag-from"), Input(FIRST["f-flag-to"], id="f-flag-to")),
            ),
            _row("Flag at", Input(id="f-flag-at", placeholder="YYYY-MM-DD[THH:MMZ]")),
            _row("Flag actor", Input(id="f-flag-actor")),
            *_field("Tags", Input(id="f-tags", placeholder="comma separated"), "tags"),
            Label("Summary", classes="panel-title"),
            TextArea(id="f-summary"),
        ]

    def _modes_tab(self) -> ComposeResult:
        with Horizontal(classes="split"):
            yield TaxonomyPicker(id="mode-picker", classes="side")
            with Vertical(classes="main"):
                table: DataTable[Any] = DataTable(id="modes-table", cursor_type="row")
                table.add_columns("code", "role", "conf.", "evidence")
                yield table
                yield _row("Role", Select([(r, r) for r in ROLES], value="primary", allow_blank=False, id="m-role"))
                yield _row(
                    "Confidence",
                    Select([(c, c) for c in CONFIDENCES], value="known", allow_blank=False, id="m-confidence"),
                )
                yield _row("Evidence", Input(id="m-evidence", placeholder="why this mode applies"))
                with Horizontal(classes="buttons"):
                    yield Button("Remove mode", id="m-remove")

    def _causes_tab(self) -> ComposeResult:
        with Horizontal(classes="split"):
            yield CauseTree(id="cause-tree", classes="side")
            with VerticalScroll(classes="main"):
                yield Static("new cause", id="c-editing", classes="panel-title")
                yield _row("Statement", Input(id="c-statement", placeholder="what was true"))
                yield _row("Mode", Input(id="c-mode", placeholder="taxonomy code"))
                yield _row("Because", Input(id="c-because", placeholder="ids of causes behind it: c2, c3"))
                yield _row("Trigger", Switch(False, id="c-trigger"))
                with Horizontal(classes="buttons"):
                    yield Button("Add", id="c-add", variant="primary")
                    yield Button("Add as why?", id="c-add-why")
                    yield Button("Update", id="c-update")
                    yield Button("Remove", id="c-remove")
                yield Label("Why? suggestions for the selected cause", classes="panel-title")
                yield OptionList(id="why-list")

    def _actions_tab(self) -> ComposeResult:
        with Vertical():
            actions: DataTable[Any] = DataTable(id="actions-table", cursor_type="row")
            actions.add_columns("title", "owner", "due", "status", "kind")
            yield actions
            yield _row("Title", Input(id="a-title", placeholder="action item"))
            yield _row("Owner", Input(id="a-owner"))
            yield _row("Due", Input(id="a-due", placeholder="YYYY-MM-DD"))
            yield _row("Status", _select("status", ACTION_STATUSES, "open", "a-"))
            yield _row("Kind", _select("kind", ACTION_KINDS, "prevent", "a-"))
            with Horizontal(classes="buttons"):
                yield Button("Add action", id="a-add", variant="primary")
                yield Button("Remove", id="a-remove")

    def _timeline_tab(self) -> ComposeResult:
        with Vertical():
            timeline: DataTable[Any] = DataTable(id="timeline-table", cursor_type="row")
            timeline.add_columns("at", "what happened")
            yield timeline
            yield _row("At", Input(id="t-at", placeholder="YYYY-MM-DD[THH:MMZ]"))
            yield _row("Text", Input(id="t-text"))
            with Horizontal(classes="buttons"):
                yield Button("Add entry", id="t-add", variant="primary")
                yield Button("Remove", id="t-remove")

    def _links_tab(self) -> ComposeResult:
        with Vertical():
            links: DataTable[Any] = DataTable(id="links-table", cursor_type="row")
            links.add_columns("title", "url / document")
            yield links
            yield _row("Title", Input(id="l-title", placeholder="what the link is"))
            yield _row("URL", Input(id="l-url", placeholder="https://… (or a document name below)"))
            yield _row("Document", Input(id="l-document", placeholder="a document without a URL"))
            yield _row("Quote", Input(id="l-quote", placeholder="the passage that matters (optional)"))
            with Horizontal(classes="buttons"):
                yield Button("Add link", id="l-add", variant="primary")
                yield Button("Remove", id="l-remove")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The cause-chain keys show (and work) on the Causes tab only."""
        if action in ("add_why", "why_list") and self.is_mounted:
            return self.query_one(TabbedContent).active == "tab-causes"
        return super().check_action(action, parameters)

    def footer_hidden(self) -> set[str]:
        """On Causes, F9 and F10 take the footer places of ctrl+g and F8 (which still work there)."""
        return {"incident.graph", "incident.show_mode"} if self.active_tab() == "tab-causes" else set()

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()

    def on_mount(self) -> None:
        self.query_one("#f-id", Static).update(self.incident_id or "new incident (id assigned on save)")
        for field in self.query(Input):
            # an editor, not a search box: focusing a stored value must not select it for the next key to
            # replace (and the focus would race the load over where a long value scrolls to)
            field.select_on_focus = False
        # the first thing a person types: the project of a new incident, else its title
        self.query_one("#f-title" if self.new_project or self.incident_id else "#f-project", Input).focus()
        self.load()
        self.run_worker(self._mount_rest(), group="incident-form", name="the rest of the Fields tab")

    async def _mount_rest(self) -> None:
        """The Fields tab's other rows, a few per frame, once the first frame is painted."""
        from kb_tui.components.forms import prepare_to_mount

        form = self.query_one("#fields-form", VerticalScroll)
        while self._rest:
            await self._next_frame()
            step, self._rest = self._rest[:ROWS_PER_STEP], self._rest[ROWS_PER_STEP:]
            prepare_to_mount(self, step, select_on_focus=False)
            await form.mount_all(step)
        self.form_complete = True
        self._form_whole.set()
        if self._loaded_message is not None:
            self.on_incident_loaded(self._loaded_message)
        elif self.touched:
            self.validate_form()

    async def _next_frame(self) -> None:
        painted = asyncio.Event()
        self.call_after_refresh(painted.set)
        await painted.wait()

    async def action_next_field(self) -> None:
        """Tab: the next field, once it is mounted (a Tab pressed while the form is still being built
        waits for it here, and so do the keys after it, which then land in that field)."""
        if not self.form_complete and self.active_tab() == "tab-fields":
            await self._form_whole.wait()
        self.focus_next()

    # --- loading -------------------------------------------------------------------------------

    @kb_worker("incident-load")
    def load(self, kb: KB) -> None:
        tax = kb.taxonomy
        self.post_message(TaxonomyLoaded(tax, {}))
        slugs = [r.slug for r in kb.project_rows()]
        incident = kb.get_incident(self.incident_id) if self.incident_id else None
        self.post_message(IncidentLoaded(incident, slugs))

    def on_taxonomy_loaded(self, message: TaxonomyLoaded) -> None:
        self.taxonomy = message.taxonomy
        self._give_taxonomy()

    def _give_taxonomy(self) -> None:
        """The mode picker and the cause form's mode suggestions, on the tabs built so far."""
        if self.taxonomy is None:
            return
        if self.pane_ready("tab-modes"):
            self.query_one(TaxonomyPicker).set_taxonomy(self.taxonomy)
        if self.pane_ready("tab-causes"):
            self.query_one("#c-mode", Input).suggester = SuggestFromList(list(self.taxonomy.modes), case_sensitive=True)

    def pane_built(self, pane_id: str) -> None:
        """A tab shown for the first time: its lists and pickers come from the state held so far."""
        for field in self.query_one(f"#{pane_id}").query(Input):
            field.select_on_focus = False
        self._give_taxonomy()
        self.refresh_lists()

    def on_incident_loaded(self, message: IncidentLoaded) -> None:
        if not self.form_complete:
            self._loaded_message = message  # filled in once every field is mounted
            return
        self._loaded_message = None
        self.query_one("#f-project", Input).suggester = SuggestFromList(message.projects, case_sensitive=True)
        if message.incident is not None:
            self.fill(message.incident.model_dump(mode="json", by_alias=True))
        self.loaded = True
        if message.incident is not None:
            self.saved_state = self.collect()
        elif self.saved_state is None:  # (a new incident saved before its choices arrived keeps its saved state)
            self.saved_state = self._blank_state()
        self.refresh_lists()
        self.validate_form()

    def _blank_state(self) -> dict[str, Any]:
        """What a new incident looks like before anything is typed: leaving it costs nothing. Read from
        the fields' first values, not the widgets, which may hold what was typed while it loaded."""
        return self.collect(first=True)

    def fill(self, data: dict[str, Any]) -> None:
        for name in ("project", "title"):
            self.query_one(f"#f-{name}", Input).value = data.get(name) or ""
        for name in TIME_FIELDS:
            stored = data.get(name) or ""
            self.stored_times[name] = (_minute(stored), stored)
            self.query_one(f"#f-{name}", Input).value = _minute(stored)
        self.query_one("#f-tags", Input).value = ", ".join(data.get("tags") or [])
        for name in CHOICE_FIELDS:
            self.query_one(f"#f-{name}", Select).value = str(data.get(name))
        self.query_one("#f-announced", Switch).value = bool(data.get("announced"))
        flag = data.get("flag") or {}
        for name in FLAG_FIELDS:
            default = {"environment": "production", "from": "on", "to": "off"}.get(name, "")
            self.query_one(f"#f-flag-{name}", Input).value = str(flag.get(name) or default) if flag else default
        flag_at = str(flag.get("at") or "")  # to the minute like the other times, the stored precision kept
        self.stored_times["flag-at"] = (_minute(flag_at), flag_at)
        self.query_one("#f-flag-at", Input).value = _minute(flag_at)
        self.query_one("#f-summary", TextArea).text = data.get("summary") or ""
        self.query_one("#f-made_public_at", Input).value = data.get("made_public_at") or ""
        self.query_one("#f-postmortem_link", Input).value = data.get("postmortem_link") or ""
        source = self.query_one("#f-postmortem_source", Select)
        source.value = data.get("postmortem_source") or Select.NULL
        self.modes = [dict(m) for m in data.get("modes", [])]
        self.causes = [dict(c) for c in data.get("causes", [])]
        self.actions = [dict(a) for a in data.get("actions", [])]
        self.timeline = [dict(t) for t in data.get("timeline", [])]
        # everything the form does not show (links, impact, lessons, metrics...) rides along unchanged
        self.extra = {k: v for k, v in data.items() if k not in FORM_KEYS}
        # a long value is read from its start (Input's first value puts the cursor at the end, and whether
        # it then scrolls there depends on whether layout has run yet)
        for field in self.query(Input):
            if (field.id or "").startswith("f-"):
                field.cursor_position = 0

    # --- the model -----------------------------------------------------------------------------

    def _read(self, widget_id: str, first: bool = False) -> Any:
        """A field's value (a TextArea's text), or with `first` what it held before anything was typed."""
        if first:
            return FIRST.get(widget_id, self.new_project if widget_id == "f-project" else "")
        widget = self.query_one(f"#{widget_id}")
        return widget.text if isinstance(widget, TextArea) else widget.value  # type: ignore[attr-defined]

    def collect(self, first: bool = False) -> dict[str, Any]:
        """The incident as the form holds it, in the YAML document's field names (with `first`, as it
        stood before anything was typed)."""

        def read(name: str) -> Any:
            return self._read(f"f-{name}", first)

        def text(name: str) -> str:
            value = str(read(name)).strip()
            shown, stored = self.stored_times.get(name, ("", ""))
            return stored if shown and value == shown else value  # unchanged: keep the stored precision

        flag_key = text("flag-key")
        flag = None
        if flag_key:
            flag = {name: text(f"flag-{name}") for name in FLAG_FIELDS}
            flag = {k: v for k, v in flag.items() if v or k == "key"}
        return {
            "id": self.incident_id,
            "project": text("project"),
            "title": text("title"),
            "kind": read("kind"),
            "severity": int(str(read("severity"))),
            "status": read("status"),
            "started_at": text("started_at") or None,
            "detected_at": text("detected_at") or None,
            "resolved_at": text("resolved_at") or None,
            "detected_by": read("detected_by"),
            "announced": read("announced"),
            "postmortem": read("postmortem"),
            "flag": flag,
            "summary": str(read("summary")).strip(),
            "modes": [dict(m) for m in self.modes],
            "causes": [dict(c, because=list(c.get("because", []))) for c in self.causes],
            "actions": [dict(a) for a in self.actions],
            "timeline": [dict(t) for t in self.timeline],
            "tags": [t.strip() for t in text("tags").split(",") if t.strip()],
            "made_public_at": text("made_public_at") or None,
            "postmortem_source": _chosen(read("postmortem_source")),
            "postmortem_link": text("postmortem_link"),
            **self.extra,
        }

    def build(self) -> tuple[Any, list[tuple[str, str]]]:
        """(incident or None, problems) from the form, checked as the store will check it.

        Each problem is (field, "where: what"); field is the form's name for it ("" for the whole form).
        """
        from pydantic import ValidationError

        from kb.errors import loc_text, problems
        from kb.models import Incident

        try:
            incident = Incident.model_validate(self.collect())
        except ValidationError as exc:
            found = []
            for loc, msg in problems(exc):
                where = loc_text(loc)
                field = str(loc[0]) if loc else next((f for f in TIME_FIELDS if msg.startswith(f)), "")
                found.append((field, f"{where}: {msg}" if where else msg))
            return None, found
        if self.taxonomy is not None:
            refs = [(f"modes[{n}].code", m.code) for n, m in enumerate(incident.modes)]
            refs += [(f"causes[{n}].mode", c.mode) for n, c in enumerate(incident.causes) if c.mode]
            for where, code in refs:
                if self.taxonomy.resolve(code) is None:
                    return None, [(where.split("[")[0], f"{where}: {self.taxonomy.unknown_code(code)}")]
        return incident, []

    def validate_form(self) -> Any:
        """Check the form; show the problems of the fields the user has touched (all after a save
        attempt) beside those fields, and the first one under the form. Text stays visible."""
        incident, found = self.build()
        shown = [(f, m) for f, m in found if self.show_all or f in self.touched or f in ("modes", "causes")]
        problem = shown[0][1] if shown else ""
        self.error = found[0][1] if found else ""
        # only what differs is changed: each update or class change lays out or restyles the form,
        # and most checks (every key typed) change nothing shown
        _show(self.query_one("#inc-error", Static), Text(problem, style="bold") if problem else "")
        beside = {field: message.split(": ", 1)[-1] for field, message in shown}  # the last one per field
        marked: set[Any] = set()
        for field in beside:
            marked.update(self.query(f"#f-{field}, #f-flag-key" if field == "flag" else f"#f-{field}"))
        for widget in self.query(".-invalid-field"):
            if widget not in marked:
                widget.remove_class("-invalid-field")
        for widget in marked:
            widget.add_class("-invalid-field")
        for line in self.query(".field-error").results(Static):
            message = beside.get((line.id or "").removeprefix("e-"), "")
            _show(line, message)
            line.set_class(bool(message), "-shown")
        return incident

    @property
    def dirty(self) -> bool:
        """Changed since the last save, or text typed into a cause, action or timeline entry not yet added."""
        if self.saved_state is None:
            # still opening: whatever was typed into the fields mounted so far
            return any(
                self._read(w.id or "") != self._read(w.id or "", first=True)
                for w in self.query_one("#fields-form").query("Input, TextArea")
            )
        if not self.loaded:
            return False
        if self.collect() != self.saved_state:
            return True
        drafts = [("tab-actions", "#a-title"), ("tab-timeline", "#t-text")]
        if not self.selected_cause:
            drafts.append(("tab-causes", "#c-statement"))
        # a tab never shown holds no draft
        return any(self.pane_ready(pane) and self.query_one(name, Input).value.strip() for pane, name in drafts)

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Switch.Changed)
    @on(TextArea.Changed)
    def _changed(self, event: Any) -> None:
        widget_id = getattr(getattr(event, "control", None), "id", "") or ""
        if self.loaded and widget_id.startswith("f-"):
            name = widget_id.removeprefix("f-")
            self.touched.add("flag" if name.startswith("flag-") else name)
            if not self.form_complete:
                return  # checked once every field is there
            if isinstance(event, TextArea.Changed):
                # long text: check once typing pauses, not on every key (a whole-incident check each time lags)
                if self._summary_timer is not None:
                    self._summary_timer.stop()
                self._summary_timer = self.set_timer(SUMMARY_PAUSE_S, self.validate_form)
            else:
                self.validate_form()

    _summary_timer: Timer | None = None

    # --- modes ---------------------------------------------------------------------------------

    @on(TaxonomyPicker.Picked)
    def _mode_picked(self, event: TaxonomyPicker.Picked) -> None:
        self.add_mode(event.code)

    def add_mode(self, code: str, role: str | None = None, confidence: str | None = None, evidence: str = "") -> None:
        entry = {
            "code": code,
            "role": role or str(self.query_one("#m-role", Select).value),
            "confidence": confidence or str(self.query_one("#m-confidence", Select).value),
            "evidence": evidence or self.query_one("#m-evidence", Input).value.strip(),
        }
        existing = next((m for m in self.modes if m["code"] == code), None)
        if existing is not None:
            existing.update(entry)
        else:
            self.modes.append(entry)
        if entry["role"] == "primary":
            self.query_one("#m-role", Select).value = "contributing"
        self.query_one("#m-evidence", Input).value = ""
        self.refresh_lists()
        self.validate_form()

    @on(Button.Pressed, "#m-remove")
    def _remove_mode(self) -> None:
        table: DataTable[Any] = self.query_one("#modes-table", DataTable)
        if self.modes and table.row_count:
            del self.modes[table.cursor_row]
            self.refresh_lists()
            self.validate_form()

    # --- causes --------------------------------------------------------------------------------

    def _cause_form(self) -> dict[str, Any]:
        because = [b.strip() for b in self.query_one("#c-because", Input).value.replace(",", " ").split() if b.strip()]
        mode = self.query_one("#c-mode", Input).value.strip() or None
        return {
            "statement": self.query_one("#c-statement", Input).value.strip(),
            "mode": mode,
            "trigger": self.query_one("#c-trigger", Switch).value,
            "because": because,
        }

    def _next_cause_id(self) -> str:
        used = {c["id"] for c in self.causes}
        n = len(self.causes) + 1
        while f"c{n}" in used:
            n += 1
        return f"c{n}"

    def add_cause(self, *, as_why_of: str | None = None) -> str | None:
        """Add the cause in the form; `as_why_of` links it as the reason behind that cause."""
        form = self._cause_form()
        if not form["statement"]:
            self.notify("a cause needs a statement", severity="warning")
            return None
        cause_id = self._next_cause_id()
        if form["trigger"]:
            for c in self.causes:
                c["trigger"] = False
        self.causes.append({"id": cause_id, **form})
        if as_why_of is not None:
            parent = next((c for c in self.causes if c["id"] == as_why_of), None)
            if parent is not None and cause_id not in parent["because"]:
                parent["because"].append(cause_id)
        self._clear_cause_form()
        self.selected_cause = cause_id
        self.query_one("#c-editing", Static).update(f"new cause (F9 adds it behind {cause_id})")
        self.query_one("#c-statement", Input).focus()  # the next cause is typed at once
        self.refresh_lists()
        self.validate_form()
        return cause_id

    def _clear_cause_form(self) -> None:
        for name in ("c-statement", "c-mode", "c-because"):
            self.query_one(f"#{name}", Input).value = ""
        self.query_one("#c-trigger", Switch).value = False

    @on(Button.Pressed, "#c-add")
    def _add_cause(self) -> None:
        self.add_cause()

    @on(Button.Pressed, "#c-add-why")
    def _add_why(self) -> None:
        if self.selected_cause is None:
            self.notify("select the cause to ask why? about first", severity="warning")
            return
        self.add_cause(as_why_of=self.selected_cause)

    @on(Button.Pressed, "#c-update")
    def _update_cause(self) -> None:
        cause = next((c for c in self.causes if c["id"] == self.selected_cause), None)
        if cause is None:
            return
        form = self._cause_form()
        if form["trigger"]:
            for c in self.causes:
                c["trigger"] = False
        cause.update(form)
        self.refresh_lists()
        self.validate_form()

    @on(Button.Pressed, "#c-remove")
    def _remove_cause(self) -> None:
        if self.selected_cause is None:
            return
        gone = self.selected_cause
        self.causes = [c for c in self.causes if c["id"] != gone]
        for c in self.causes:
            c["because"] = [b for b in c["because"] if b != gone]
        self.selected_cause = None
        self.refresh_lists()
        self.validate_form()

    @on(CauseTree.NodeHighlighted, "#cause-tree")
    def _cause_highlighted(self, event: CauseTree.NodeHighlighted[str]) -> None:
        self.selected_cause = event.node.data
        cause = next((c for c in self.causes if c["id"] == event.node.data), None)
        label = self.query_one("#c-editing", Static)
        if cause is None:
            label.update("new cause")
            return
        label.update(f"selected: {cause['id']} (Update changes it; 'Add as why?' adds a cause behind it)")
        self.query_one("#c-statement", Input).value = cause.get("statement", "")
        self.query_one("#c-mode", Input).value = cause.get("mode") or ""
        self.query_one("#c-because", Input).value = ", ".join(cause.get("because", []))
        self.query_one("#c-trigger", Switch).value = bool(cause.get("trigger"))
        self.ask_why([cause["mode"]] if cause.get("mode") else [])

    @kb_worker("why")
    def ask_why(self, kb: KB, codes: list[str]) -> None:
        if not codes:
            self.post_message(WhySuggestions([]))
            return
        items = kb.why(codes, limit=8)
        self.post_message(WhySuggestions(list(items)))

    def on_why_suggestions(self, message: WhySuggestions) -> None:
        options: OptionList = self.query_one("#why-list", OptionList)
        options.clear_options()
        for item in message.items:
            label = Text()
            label.append(item.code, style="bold")
            label.append(f"  {item.name}  ")
            label.append(f"seen {item.evidence}×" + (" · taxonomy" if item.from_taxonomy else ""), style="dim")
            options.add_option(Option(label, id=item.code))

    @on(OptionList.OptionSelected, "#why-list")
    def _why_picked(self, event: OptionList.OptionSelected) -> None:
        """A suggestion starts the cause behind the selected one: its mode is filled in, the
        statement is next, and Enter adds it as the why of that cause."""
        if not event.option.id:
            return
        self.why_of = self.selected_cause
        self._clear_cause_form()
        self.query_one("#c-mode", Input).value = event.option.id
        behind = f" behind {self.why_of}" if self.why_of else ""
        self.query_one("#c-editing", Static).update(f"new cause{behind} (Enter adds it)")
        self.query_one("#c-statement", Input).focus()

    @on(Input.Submitted, "#c-statement, #c-mode, #c-because")
    def _cause_submitted(self) -> None:
        """Enter in the cause form adds the cause (behind the picked why? suggestion's cause, if any)."""
        why_of, self.why_of = self.why_of, None
        self.add_cause(as_why_of=why_of)

    def action_add_why(self) -> None:
        self._add_why()

    async def action_why_list(self) -> None:
        await self.show_tab("tab-causes")
        options = self.query_one("#why-list", OptionList)
        options.focus()
        if options.option_count and options.highlighted is None:
            options.highlighted = 0

    # --- actions and timeline ------------------------------------------------------------------

    @on(Button.Pressed, "#a-add")
    @on(Input.Submitted, "#a-title, #a-owner, #a-due")
    def _add_action(self) -> None:
        title = self.query_one("#a-title", Input).value.strip()
        if not title:
            self.notify("an action needs a title", severity="warning")
            return
        due = self.query_one("#a-due", Input).value.strip() or None
        self.actions.append(
            {
                "title": title,
                "owner": self.query_one("#a-owner", Input).value.strip(),
                "due": due,
                "status": str(self.query_one("#a-status", Select).value),
                "kind": str(self.query_one("#a-kind", Select).value),
            }
        )
        for name in ("a-title", "a-owner", "a-due"):
            self.query_one(f"#{name}", Input).value = ""
        self.query_one("#a-title", Input).focus()
        self.refresh_lists()
        self.validate_form()

    @on(Button.Pressed, "#a-remove")
    def _remove_action(self) -> None:
        table: DataTable[Any] = self.query_one("#actions-table", DataTable)
        if self.actions and table.row_count:
            del self.actions[table.cursor_row]
            self.refresh_lists()
            self.validate_form()

    @on(Button.Pressed, "#t-add")
    @on(Input.Submitted, "#t-at, #t-text")
    def _add_entry(self) -> None:
        at = self.query_one("#t-at", Input).value.strip()
        text = self.query_one("#t-text", Input).value.strip()
        if not at or not text:
            self.notify("a timeline entry needs a time and a text", severity="warning")
            return
        self.timeline.append({"at": at, "text": text})
        self.timeline.sort(key=lambda t: t["at"])
        self.query_one("#t-at", Input).value = ""
        self.query_one("#t-text", Input).value = ""
        self.refresh_lists()
        self.validate_form()

    @on(Button.Pressed, "#t-remove")
    def _remove_entry(self) -> None:
        table: DataTable[Any] = self.query_one("#timeline-table", DataTable)
        if self.timeline and table.row_count:
            del self.timeline[table.cursor_row]
            self.refresh_lists()
            self.validate_form()

    @on(Button.Pressed, "#l-add")
    @on(Input.Submitted, "#l-title, #l-url, #l-document, #l-quote")
    def _add_link(self) -> None:
        link = {
            name: self.query_one(f"#l-{name}", Input).value.strip() for name in ("title", "url", "document", "quote")
        }
        if not (link["url"] or link["document"]):
            self.notify("a link needs a URL or a document", severity="warning")
            return
        self.extra["links"] = [*self.extra.get("links", []), link]
        for name in ("title", "url", "document", "quote"):
            self.query_one(f"#l-{name}", Input).value = ""
        self.query_one("#l-title", Input).focus()
        self.refresh_lists()
        self.validate_form()

    @on(Button.Pressed, "#l-remove")
    def _remove_link(self) -> None:
        table: DataTable[Any] = self.query_one("#links-table", DataTable)
        if self.extra.get("links") and table.row_count:
            links = list(self.extra["links"])
            del links[table.cursor_row]
            self.extra["links"] = links
            self.refresh_lists()
            self.validate_form()

    def refresh_lists(self) -> None:
        """Draw the modes, causes, actions, timeline and links on the tabs built so far."""
        if self.pane_ready("tab-modes"):
            modes: DataTable[Any] = self.query_one("#modes-table", DataTable)
            modes.clear()
            for m in self.modes:
                modes.add_row(m["code"], m["role"], m["confidence"], m.get("evidence", ""))
        if self.pane_ready("tab-causes"):
            self.query_one(CauseTree).show_causes(self.causes)
        if self.pane_ready("tab-actions"):
            actions: DataTable[Any] = self.query_one("#actions-table", DataTable)
            actions.clear()
            for a in self.actions:
                actions.add_row(a["title"], a.get("owner", ""), a.get("due") or "", a["status"], a["kind"])
        if self.pane_ready("tab-timeline"):
            timeline: DataTable[Any] = self.query_one("#timeline-table", DataTable)
            timeline.clear()
            for t in self.timeline:
                timeline.add_row(str(t["at"]), t["text"])
        if self.pane_ready("tab-links"):
            links: DataTable[Any] = self.query_one("#links-table", DataTable)
            links.clear()
            for link in self.extra.get("links", []):
                links.add_row(link.get("title") or "", link.get("url") or link.get("document") or "")

    # --- save and leave ------------------------------------------------------------------------

    async def action_save(self) -> None:
        if not self.form_complete:
            await self._form_whole.wait()  # ctrl+s while the form is still being built: what is typed counts
        self.save_now()

    def save_now(self) -> None:
        if self.saving or not self.loaded:
            return
        self.show_all = True
        incident = self.validate_form()
        if incident is None:
            self.notify(self.error, title="Not saved", severity="error")
            return
        self.saving = True
        self.save(incident)

    @kb_worker("incident-save")
    def save(self, kb: KB, incident: Any) -> None:
        stored = kb.save_incident(incident)
        self.post_message(Saved(stored.id or "", stored))

    def on_saved(self, message: Saved) -> None:
        self.saving = False
        self.incident_id = message.what
        self.query_one("#f-id", Static).update(message.what)
        self.saved_state = self.collect()
        self.notify(f"Saved {message.what}", title="Incident")
        then, self._after_save = self._after_save, None
        if then is not None:
            then()

    def on_failed(self, message: Failed) -> None:
        self.saving = False
        self._after_save = None
        self.query_one("#inc-error", Static).update(Text(message.error, style="bold"))  # and KBScreen's toast

    _after_save: Callable[[], Any] | None = None

    @property
    def unsaved_what(self) -> str:
        return f"Incident {self.incident_id}" if self.incident_id else "The new incident"

    def action_back(self) -> None:
        self.leave_or_confirm(self.dirty, f"{self.unsaved_what} has unsaved changes.")

    def save_before_leaving(self, then: Callable[[], Any]) -> None:
        self._after_save = then
        self.save_now()
        if not self.saving:
            self._after_save = None

    def action_show_mode(self) -> None:
        """Jump to the taxonomy browser on the highlighted mode (Modes tab) or the selected cause's mode."""
        code: str | None = None
        if self.query_one(TabbedContent).active == "tab-modes" and self.modes and self.pane_ready("tab-modes"):
            code = self.modes[self.query_one("#modes-table", DataTable).cursor_row]["code"]
        elif self.selected_cause is not None:
            cause = next((c for c in self.causes if c["id"] == self.selected_cause), None)
            code = cause.get("mode") if cause else None
        elif self.modes:
            code = self.modes[0]["code"]
        if code:
            self.kb_app.action_taxonomy(code)

    def action_chain(self) -> None:
        if self.incident_id:
            self.kb_app.action_graph(self.incident_id)
