"""Quarterly review, run by a group from one screen: pick a quarter, read the summary, scorecard and
patterns, record a decision per project, freeze the review once the group is done, export it as
Markdown, HTML or JSON."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import (
    Button,
    DataTable,
    Header,
    Input,
    Label,
    Select,
    Static,
    TabbedContent,
    TabPane,
)

from kb.humanize import duration, percent, plural
from kb_tui.components.badges import stage_text, verdict_badge
from kb_tui.components.footer import KBFooter
from kb_tui.components.lazy_pane import LazyPane
from kb_tui.messages import Failed, Saved
from kb_tui.screen_messages import ReviewLoaded
from kb_tui.screens._base import KBScreen
from kb_tui.workers import kb_worker

if TYPE_CHECKING:
    from kb.service import KB

DECISIONS = ("continue", "fix", "pause", "retire")
QUARTER = Binding.Group("quarter")  # `^b ^f quarter` in the footer
FORMATS = (("Markdown", "md"), ("HTML", "html"), ("JSON", "json"))


class ReviewScreen(KBScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="review.back", show=False),
        Binding("ctrl+b", "shift_quarter(-1)", "Prev quarter", id="review.previous", group=QUARTER),
        Binding("ctrl+f", "shift_quarter(1)", "Next quarter", id="review.next", group=QUARTER),
        Binding("ctrl+r", "decide", "Decide", id="review.decide"),
        Binding("ctrl+y", "freeze", "Freeze", id="review.freeze"),
    ]

    def footer_hidden(self) -> set[str]:
        """ctrl+r records the Decide tab's form: the footer shows it there, in ctrl+y's place."""
        return {"review.freeze"} if self.active_tab() == "tab-decide" else {"review.decide"}

    def __init__(self, quarter: str | None = None, start: tuple[str, tuple[str, ...]] | None = None) -> None:
        super().__init__()
        self.quarter = quarter
        self.review: Any = None
        self.start = start  # an action to run once the screen is up (the command palette's way in)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="form-row", id="review-top"):
            yield Label("Quarter")
            yield Input(id="r-quarter", placeholder="2025Q3")
            yield Static("", id="review-state", classes="hint")
        with TabbedContent(id="review-tabs"):
            with TabPane("Summary", id="tab-summary"), VerticalScroll():
                yield Static("loading…", id="review-summary")
            with TabPane("Scorecard", id="tab-scorecard"):
                table: DataTable[Any] = DataTable(id="scorecard", cursor_type="row", zebra_stripes=True)
                table.add_columns("project", "stage", "verdict", "chg", "inc", "quiet", "overdue", "decision")
                yield table
            with TabPane("Patterns", id="tab-patterns"), VerticalScroll():
                yield Static("", id="review-patterns")
            # composed when first shown: a third of the screen's widgets, none of them in its first frame
            yield LazyPane("Decide", self._decide_tab, id="tab-decide")
            yield LazyPane("Diff", self._diff_tab, id="tab-diff")
            yield LazyPane("Export", self._export_tab, id="tab-export")
        yield KBFooter()

    def _decide_tab(self) -> ComposeResult:
        with VerticalScroll(classes="form"):
            yield Horizontal(Label("Project"), Input(id="d-project"), classes="form-row")
            yield Horizontal(
                Label("Decision"),
                Select([(d, d) for d in DECISIONS], value="fix", allow_blank=False, id="d-decision"),
                classes="form-row",
            )
            yield Horizontal(Label("Owner"), Input(id="d-owner", placeholder="who carries it out"), classes="form-row")
            yield Horizontal(
                Label("Due"), Input(id="d-due", placeholder="default: end of next quarter"), classes="form-row"
            )
            yield Horizontal(Label("Note"), Input(id="d-note"), classes="form-row")
            yield Static("", id="d-error", classes="error-line")
            with Horizontal(classes="buttons"):
                yield Button("Record (ctrl+r)", variant="primary", id="d-record")

    def _diff_tab(self) -> ComposeResult:
        with VerticalScroll(classes="form"):
            yield Horizontal(
                Label("Compare with"),
                Input(id="diff-with", placeholder="another quarter, e.g. 2025Q2 (Enter compares)"),
                classes="form-row",
            )
            yield Static("", id="review-diff")

    def _export_tab(self) -> ComposeResult:
        with VerticalScroll(classes="form"):
            yield Horizontal(
                Label("Format"),
                Select(list(FORMATS), value="md", allow_blank=False, id="x-format"),
                classes="form-row",
            )
            yield Horizontal(Label("File"), Input(id="x-path", placeholder="review.md"), classes="form-row")
            yield Static("", id="x-status", classes="hint")
            with Horizontal(classes="buttons"):
                yield Button("Export", variant="primary", id="x-export")

    def pane_built(self, pane_id: str) -> None:
        """A tab shown for the first time: the export's file name follows the review shown."""
        if pane_id == "tab-export":
            self._default_export_path()

    def _default_export_path(self) -> None:
        if self.review is not None and self.pane_ready("tab-export"):
            path = self.query_one("#x-path", Input)
            if not path.value:
                path.value = f"review-{self.review.quarter}.md"

    def on_mount(self) -> None:
        if self.quarter is None:
            from kb.timeutil import quarter_of

            self.quarter = quarter_of(self.kb_app.today()).previous().label
        self.query_one("#r-quarter", Input).value = self.quarter
        self.query_one("#r-quarter", Input).focus()
        self._computing(self.quarter)
        # after the first paint: the worker's thread would hold the GIL while the screen is drawn
        self.call_after_refresh(self.load, self.quarter)
        if self.start is not None:
            action, args = self.start
            self.do(action, *args)

    def do(self, action: str, *args: str) -> None:
        """One of the actions the command palette offers on the review, by its name (a tab's action
        runs once its tab is composed)."""
        actions: dict[str, Callable[..., Any]] = {
            "decide_tab": self.action_decide_tab,
            "freeze": self.action_freeze,
            "export_tab": self.action_export_tab,
            "diff_tab": self.action_diff_tab,
        }
        self.call_later(actions[action], *args)

    # --- loading -------------------------------------------------------------------------------

    @on(Input.Submitted, "#r-quarter")
    def _quarter(self, event: Input.Submitted) -> None:
        self.load(event.value.strip())

    def action_shift_quarter(self, step: int) -> None:
        from kb.timeutil import parse_period

        try:
            period = parse_period(self.quarter or "")
        except ValueError:
            return
        period = period.next() if step > 0 else period.previous()
        self.query_one("#r-quarter", Input).value = period.label
        self.load(period.label)

    def load(self, quarter: str) -> None:
        """Say what is being computed (it takes seconds at 2,000 projects), then compute it off the UI thread."""
        self._computing(quarter)
        self._load(quarter)

    def _computing(self, quarter: str) -> None:
        self.query_one("#review-state", Static).update(Text(f"computing the review of {quarter}…", style="italic"))

    @kb_worker("review-load")
    def _load(self, kb: KB, quarter: str) -> None:
        review = kb.review(quarter)
        self.post_message(ReviewLoaded(quarter, review, ""))

    def on_review_loaded(self, message: ReviewLoaded) -> None:
        summary = self.query_one("#review-summary", Static)
        self.review = r = message.review
        self.quarter = r.quarter
        state = "frozen" if r.frozen else "live (not frozen)"
        self.query_one("#review-state", Static).update(f"{r.start} … {r.end}  ·  {state}")
        summary.update(self._summary(r))
        self.query_one("#review-patterns", Static).update(self._patterns(r))
        table: DataTable[Any] = self.query_one("#scorecard", DataTable)
        table.clear()
        for card in r.scorecard:
            decision = card.decision.decision if card.decision else ""
            table.add_row(
                card.slug,
                stage_text(card.stage),
                verdict_badge(card.verdict),
                card.change,
                card.incidents,
                f"{card.quiet_shutdowns}/{card.quiet_shutdowns_unlogged}",  # logged / detected, no incident
                card.overdue_actions,
                decision,
                key=card.slug,
            )
        if self._freeze_when_loaded:
            self._freeze_when_loaded = False
            self.action_freeze()
        self._default_export_path()

    def _summary(self, r: Any) -> Text:
        from kb.review.render import quiet_line  # with the review's models (pydantic): not on F6 itself

        s = r.summary
        text = Text()
        text.append(f"Review of {r.quarter}\n", style="bold")
        stages = ", ".join(f"{n} {stage}" for stage, n in s.by_stage.items())
        text.append(f"{plural(s.projects, 'project')} ({stages})\n")
        text.append(f"{plural(s.incidents_opened, 'incident')} opened, {s.incidents_resolved} resolved\n")
        quiet = f"quiet shutdowns: {quiet_line(s.quiet_shutdowns, s.quiet_shutdowns_unlogged)}\n"
        text.append(quiet, style="bold red" if s.quiet_shutdowns or s.quiet_shutdowns_unlogged else "")
        ttd = s.time_to_detect.median_days
        ttr = s.time_to_resolve.median_days
        text.append(f"median time to detect {duration(ttd)}, to resolve {duration(ttr)}\n")
        detection = ", ".join(f"{k} {v}" for k, v in s.detection.items())
        text.append(f"detected by: {detection or '–'}\n")
        text.append(f"postmortems missing: {s.postmortems_missing}\n")
        a = s.actions
        text.append(f"actions: {a.opened} opened, {a.done} done, {a.still_open} open, {a.overdue} overdue\n")
        if r.follow_ups:
            text.append("\nFollow-up of last quarter's decisions\n", style="bold")
            for f in r.follow_ups:
                text.append(f"  {f.decision.project}: {f.decision.decision} → {f.status} ({f.evidence})\n")
        if r.undecided_twice:
            text.append(f"\nundecided twice: {', '.join(r.undecided_twice)}\n", style="bold yellow")
        for what, why in r.unavailable.items():
            text.append(f"\n{what}: {why}", style="italic dim")
        return text

    def _patterns(self, r: Any) -> Text:
        p = r.patterns
        text = Text()
        text.append("Failure modes this quarter (previous)\n", style="bold")
        for m in p.modes[:12]:
            text.append(f"  {m.incidents:>3} ({m.previous})  {m.code}  {m.name}\n")
        if p.root_causes:
            text.append("\nRoot causes\n", style="bold")
            for rc in p.root_causes[:8]:
                text.append(f"  {percent(rc.share):>4}  {rc.code}  {rc.name}\n")
        if p.keystones:
            text.append("\nKeystones\n", style="bold")
            for k in p.keystones[:8]:
                text.append(f"  {k.score:>5.2f}  {k.code}  {k.name}\n")
        if p.recurring_chains:
            text.append("\nRecurring chains\n", style="bold")
            for c in p.recurring_chains[:6]:
                text.append(f"  ×{c.count}  {' → '.join(c.modes)}\n")
        if r.recommendations:
            text.append("\nRecommendations\n", style="bold")
            for rec in r.recommendations[:6]:
                text.append(f"  {rec.code} ({rec.incidents}): {'; '.join(rec.mitigations[:2])}\n")
        return text

    # --- decisions -----------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#scorecard")
    async def _pick_project(self, event: DataTable.RowSelected) -> None:
        await self.action_decide_tab(str(event.row_key.value))

    @on(Button.Pressed, "#d-record")
    def action_decide(self) -> None:
        if self.quarter is None or not self.pane_ready("tab-decide"):
            return  # nothing typed into a decision yet
        self.record(
            self.quarter,
            self.query_one("#d-project", Input).value.strip(),
            str(self.query_one("#d-decision", Select).value),
            self.query_one("#d-owner", Input).value.strip(),
            self.query_one("#d-due", Input).value.strip() or None,
            self.query_one("#d-note", Input).value.strip(),
        )

    @kb_worker("review-decide")
    def record(self, kb: KB, quarter: str, slug: str, decision: str, owner: str, due: str | None, note: str) -> None:
        made = kb.decide(quarter, slug, decision, owner, due, note)
        self.post_message(Saved(f"{made.project}: {made.decision}", made))

    def on_saved(self, message: Saved) -> None:
        if getattr(message.model, "frozen", False):
            self.notify(f"{message.what} is frozen", title="Review")
            return
        if message.model is None or not hasattr(message.model, "decision"):
            if self.pane_ready("tab-export"):
                self.query_one("#x-status", Static).update(f"written: {message.what}")
            self.notify(f"Exported {message.what}")
            return
        if self.pane_ready("tab-decide"):
            self.query_one("#d-error", Static).update("")
            for name in ("d-project", "d-owner", "d-due", "d-note"):
                self.query_one(f"#{name}", Input).value = ""
        self.notify(f"Recorded {message.what}", title="Decision")
        if self.quarter:
            self.load(self.quarter)

    def on_failed(self, message: Failed) -> None:
        if self.pane_ready("tab-decide"):
            self.query_one("#d-error", Static).update(message.error)  # KBScreen.on_failed shows the toast

    _freeze_when_loaded = False

    # --- tabs the palette opens ---------------------------------------------------------------

    async def action_decide_tab(self, slug: str = "") -> None:
        await self.show_tab("tab-decide")
        if slug:
            self.query_one("#d-project", Input).value = slug
        self.query_one("#d-owner" if slug else "#d-project", Input).focus()

    async def action_export_tab(self) -> None:
        await self.show_tab("tab-export")
        self.query_one("#x-path", Input).focus()

    async def action_diff_tab(self) -> None:
        await self.show_tab("tab-diff")
        field = self.query_one("#diff-with", Input)
        if not field.value and self.quarter:
            from kb.timeutil import parse_period

            field.value = parse_period(self.quarter).previous().label
        field.focus()
        if field.value:
            self.compare(field.value.strip())

    # --- diff ----------------------------------------------------------------------------------

    @on(Input.Submitted, "#diff-with")
    def _diff_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.compare(event.value.strip())

    def compare(self, other: str) -> None:
        if self.quarter is None:
            return
        self.query_one("#review-diff", Static).update(Text(f"comparing {other} with {self.quarter}…", style="italic"))
        self.diff(other, self.quarter)

    @kb_worker("review-diff")
    def diff(self, kb: KB, a: str, b: str) -> None:
        found = kb.review_diff(a, b)
        self.post_message(DiffLoaded(found))

    def on_diff_loaded(self, message: DiffLoaded) -> None:
        self.diff_shown = message.diff
        if self.pane_ready("tab-diff"):
            self.query_one("#review-diff", Static).update(_diff_view(message.diff))

    diff_shown: Any = None

    # --- freezing ------------------------------------------------------------------------------

    def action_freeze(self) -> None:
        """Store the review as it stands, with its decisions (asks first: a frozen review never changes)."""
        if self.review is None and self.quarter is not None:
            self._freeze_when_loaded = True  # asked for before the review arrived: ask once it has
            return
        if self.review is None or self.review.frozen or self.quarter is None:
            if self.review is not None and self.review.frozen:
                self.notify(f"{self.review.quarter} is already frozen", severity="warning")
            return
        from kb_tui.screens.confirm import AskScreen

        quarter = self.quarter
        question = (
            f"Freeze the review of {quarter}? Its numbers and decisions are stored as they are now, "
            "and later edits never change them."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.freeze(quarter)

        self.app.push_screen(AskScreen(question, "Freeze"), answered)

    @kb_worker("review-freeze")
    def freeze(self, kb: KB, quarter: str) -> None:
        review = kb.freeze_review(quarter)
        self.post_message(ReviewLoaded(quarter, review, ""))
        self.post_message(Saved(quarter, review))

    # --- export --------------------------------------------------------------------------------

    @on(Button.Pressed, "#x-export")
    def action_export(self) -> None:
        if self.review is None or not self.pane_ready("tab-export"):
            return
        fmt = str(self.query_one("#x-format", Select).value)
        path = self.query_one("#x-path", Input).value.strip() or f"review-{self.review.quarter}.{fmt}"
        self.export(self.review, fmt, path)

    @work(thread=True, exclusive=True, group="review-export", exit_on_error=False)
    def export(self, review: Any, fmt: str, path: str) -> None:
        from kb.review.render import to_html, to_markdown

        render = {"md": to_markdown, "html": to_html, "json": lambda r: r.model_dump_json(indent=2) + "\n"}[fmt]
        target = Path(path).expanduser()
        target.write_text(render(review), encoding="utf-8")
        self.post_message(Saved(str(target), None))


@dataclass
class DiffLoaded(Message):
    diff: Any


def _diff_view(d: Any) -> Any:
    """The CLI's `kb review diff` as one renderable: headline numbers, verdict changes, modes."""
    from rich.console import Group
    from rich.table import Table

    from kb.review.render import diff_label, diff_value

    label = {True: "frozen", False: "live"}
    numbers = Table("measure", f"{d.a} ({label[d.a_frozen]})", f"{d.b} ({label[d.b_frozen]})", box=None)
    for n in d.numbers:
        numbers.add_row(diff_label(n.metric), diff_value(n.metric, n.a), diff_value(n.metric, n.b))
    parts: list[Any] = [numbers]
    if d.verdicts:
        verdicts = Table("project", d.a, d.b, "change", box=None, title="verdict changes")
        for x in d.verdicts:
            verdicts.add_row(x.project, x.a or "n/a", x.b or "n/a", x.change)
        parts.append(verdicts)
    if d.projects_added or d.projects_removed:
        parts.append(
            Text(
                f"projects added: {', '.join(d.projects_added) or 'none'}; "
                f"removed: {', '.join(d.projects_removed) or 'none'}"
            )
        )
    if d.modes:
        modes = Table("mode", d.a, d.b, box=None, title="incidents per mode")
        for x in d.modes[:15]:
            modes.add_row(x.code, str(x.a), str(x.b))
        parts.append(modes)
    return Group(*parts)
