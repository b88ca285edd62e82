"""Taxonomy browser: the category/mode tree (with incident counts); for the highlighted mode its
description, source quotes, signals, questions, mitigations, leads_to neighbours, and the incidents
classified under it. Enter on an incident opens it; from the editor, F8 comes back to a mode."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Header, Input, Static

from kb.humanize import day, plural
from kb_tui.components.badges import severity_text
from kb_tui.components.footer import KBFooter
from kb_tui.components.taxonomy_picker import TaxonomyPicker
from kb_tui.screen_messages import ModeIncidents, TaxonomyLoaded
from kb_tui.screens._base import KBScreen
from kb_tui.workers import kb_worker

if TYPE_CHECKING:
    from kb.service import KB


class TaxonomyScreen(KBScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="taxonomy.back", show=False),
        Binding("ctrl+o", "focus_incidents", "Incidents", id="taxonomy.incidents"),
    ]

    def __init__(self, code: str | None = None) -> None:
        super().__init__()
        self.initial_code = code
        self.taxonomy: Any = None
        self.counts: dict[str, int] = {}
        self.by_category: dict[str, int] = {}
        self.current: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="split"):
            yield TaxonomyPicker(id="tax-picker", classes="side")
            with Vertical(classes="main"):
                with VerticalScroll(id="mode-detail-box"):
                    yield Static("loading the taxonomy…", id="mode-detail")
                yield Static("incidents under this mode", classes="panel-title", id="mode-incidents-title")
                table: DataTable[Any] = DataTable(id="mode-incidents", cursor_type="row", zebra_stripes=True)
                # fixed widths: the layout must not depend on when the rows arrive
                for label, width in (("id", 10), ("project", 18), ("sev", 3), ("started", 10), ("title", 60)):
                    table.add_column(label, width=width)
                yield table
        yield KBFooter()

    def on_mount(self) -> None:
        # typing goes to the find box; Down moves into the tree
        self.query_one(".picker-search", Input).focus()
        # after the first paint: the worker's thread would hold the GIL while the screen is drawn
        self.call_after_refresh(self.load)

    @kb_worker("taxonomy-load")
    def load(self, kb: KB) -> None:
        by_mode, by_category = kb.usage_counts()
        counts = {code: n for code, n in by_mode.items() if n}
        self.post_message(TaxonomyLoaded(kb.taxonomy, counts, by_category))

    def on_taxonomy_loaded(self, message: TaxonomyLoaded) -> None:
        self.taxonomy, self.counts, self.by_category = message.taxonomy, message.counts, message.categories
        picker = self.query_one(TaxonomyPicker)
        picker.set_taxonomy(message.taxonomy, message.counts)
        code = self.taxonomy.resolve(self.initial_code) if self.initial_code else None
        if code:
            picker.reveal(code)
            self.show_mode(code)
        else:
            self.query_one("#mode-detail", Static).update(self._overview())

    def _overview(self) -> Text:
        total = sum(self.counts.values())
        text = Text()
        text.append(f"{len(self.taxonomy.modes)} failure modes in {len(self.taxonomy.categories)} categories", "bold")
        text.append(f"  ·  {plural(total, 'incident classification')}\n\n")
        for cat in self.taxonomy.categories:
            n = self.by_category.get(cat.code, 0)  # an incident under two of its modes counts once
            text.append(f"{cat.code:<12}", style="bold cyan")
            text.append(f"{cat.name}  ")
            modes = plural(len(self.taxonomy.modes_in(cat.code)), "mode")
            text.append(f"({modes}, {plural(n, 'incident')})\n", style="dim")
        return text

    @on(TaxonomyPicker.Highlighted)
    def _highlighted(self, event: TaxonomyPicker.Highlighted) -> None:
        if event.code:
            self.show_mode(event.code)

    @on(TaxonomyPicker.Picked)
    def _picked(self, event: TaxonomyPicker.Picked) -> None:
        self.show_mode(event.code)
        self.action_focus_incidents()

    def show_mode(self, code: str) -> None:
        if self.taxonomy is None or code == self.current:
            return
        self.current = code
        mode = self.taxonomy.mode(code)
        self.query_one("#mode-detail", Static).update(self._detail(mode))
        self.query_one("#mode-detail-box", VerticalScroll).scroll_home(animate=False)
        self.load_incidents(code)

    def _detail(self, mode: Any) -> Text:
        tax = self.taxonomy
        head = Text()
        head.append(mode.name, style="bold")
        head.append(f"  {mode.code}", style="cyan")
        head.append(
            f"  · {tax.category(mode.category).name} · {mode.stage} · "
            + plural(self.counts.get(mode.code, 0), "incident")
        )
        parts: list[Text] = [head, Text(mode.summary, style="italic"), Text(""), Text(mode.description)]

        def section(title: str, items: list[Any]) -> None:
            if items:
                parts.append(Text(f"\n{title}", style="bold"))
                for item in items:
                    parts.append(item if isinstance(item, Text) else Text(f"  • {item}"))

        section(
            "Sources",
            [Text.assemble("  “", (s.text, "italic"), "” — ", (s.document, "dim")) for s in mode.sources],
        )
        section("Signals", mode.signals)
        section("Questions to ask", mode.questions)
        section("Mitigations", mode.mitigations)
        leads = [Text.assemble("  → ", (c, "cyan"), f"  {_name(tax, c)}") for c in mode.leads_to]
        section("Leads to", leads)
        led_by = [
            Text.assemble("  ← ", (a, "cyan"), f"  {_name(tax, a)}") for a, b in tax.leads_to_edges() if b == mode.code
        ]
        section("Led to by", led_by)
        section("See also", [f"{s.taxonomy} {s.code} {s.name}".strip() for s in mode.see_also])
        return Text("\n").join(parts)

    @kb_worker("mode-incidents")
    def load_incidents(self, kb: KB, code: str) -> None:
        rows = kb.incident_rows(mode=code, limit=500)
        self.post_message(ModeIncidents(code, rows))

    def on_mode_incidents(self, message: ModeIncidents) -> None:
        if message.code != self.current:
            return
        table: DataTable[Any] = self.query_one("#mode-incidents", DataTable)
        table.clear()
        for r in message.rows:
            table.add_row(r.id, r.project, severity_text(r.severity), day(r.started_at), r.title, key=r.id)
        title = f"{plural(len(message.rows), 'incident')} under {message.code}"
        self.query_one("#mode-incidents-title", Static).update(title)

    @on(DataTable.RowSelected, "#mode-incidents")
    def _open(self, event: DataTable.RowSelected) -> None:
        self.kb_app.action_open_incident(str(event.row_key.value))

    def action_focus_incidents(self) -> None:
        self.query_one("#mode-incidents", DataTable).focus()


def _name(tax: Any, code: str) -> str:
    resolved = tax.resolve(code)
    return tax.modes[resolved].name if resolved else "(unknown code)"
