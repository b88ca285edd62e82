"""Home: every project with its stage, owner, silent-failure verdict, incidents and usage trend.

The frame appears first; a worker fills the table through `kb.portfolio.first_rows` (read-only, the
standard library's sqlite3 only, so it does not wait for kb.service's imports), then a second pass
in a child process (kb_tui.second_pass) sends verdicts, usage sparklines and the overdue count (the
slower analyses), so the table is usable, and keys are answered, before they arrive. Coming back
to this screen reads again only when the file changed meanwhile (kb.portfolio.stamp).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Header, Input, Static
from textual.widgets.data_table import CellDoesNotExist

from kb.humanize import day, plural, score
from kb.rules import verdict_rank
from kb_tui.backend import session
from kb_tui.components.badges import owner_text, stage_text, verdict_badge
from kb_tui.components.footer import KBFooter
from kb_tui.components.portfolio_table import PortfolioTable
from kb_tui.components.sparkline import spark_text
from kb_tui.frozen import release_collector
from kb_tui.messages import PortfolioLoaded, PortfolioUsage, PortfolioVerdicts
from kb_tui.screens._base import KBScreen
from kb_tui.workers import kb_worker

if TYPE_CHECKING:
    pass

# key, label, width (None: sized to the terminal, see _widths). The slug is never cut; when the
# terminal is narrow the optional columns go, the last-incident date first, then the usage sparkline
COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("slug", "Project", None),
    ("stage", "Stage", 10),
    ("owner", "Owner", None),
    ("verdict", "Verdict", 10),
    ("incidents", "Open/all", 8),
    ("last", "Last inc.", 10),
    ("usage", "Usage", 6),
)
OPTIONAL = (("owner", 8), ("usage", 6), ("last", 10))  # (key, least width) in the order they get room
PAGE = 200  # rows added to the table at a time: reaching the last one adds the next page
FILTER_DEBOUNCE_S = 0.06
PREFETCH_WAIT_S = 0.15  # at most, before the first frame says "loading…" instead
SORT_KEYS = ("verdict", "score", "slug", "stage", "owner", "incidents", "last", "usage")


class PortfolioScreen(KBScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear_filter", "Clear filter", id="portfolio.clear_filter", show=False),
        Binding("ctrl+s", "cycle_sort", "Sort", id="portfolio.sort"),
        Binding("ctrl+n", "app.new_incident", "New incident", id="portfolio.new_incident"),
        Binding("ctrl+r", "reverse_sort", "Reverse", id="portfolio.reverse", show=False),
        Binding("down", "cursor(1)", "Down", id="portfolio.down", show=False),
        Binding("up", "cursor(-1)", "Up", id="portfolio.up", show=False),
        Binding("ctrl+o", "open_selected", "Open", id="portfolio.open", show=False),
        Binding("f9", "new_project", "New project", id="portfolio.new_project"),
        Binding("ctrl+l", "reload", "Reload", id="portfolio.reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Any] = []
        self.verdicts: dict[str, Any] | None = None
        self.usage: dict[str, list[float]] = {}
        self.counts: dict[str, int] = {}
        self.suspects: int | None = None
        self.sort_key = "verdict"
        self.sort_reverse = False
        self.loaded = False
        self.enriching = False  # the second pass is running: the counts line says so
        self.stamp: tuple[object, ...] = ()  # the file's kb.portfolio.stamp when the rows were read
        self.reads = 0  # times the rows were read (and the second pass started)
        self._child: Any = None  # the second pass's process (kb_tui.second_pass), while it runs
        self.matching: list[Any] = []
        self.shown = 0  # rows added to the table
        self.listed = 0  # rows it lists once the page is filled in (the counts line says so)
        self._drawn = 0  # times the table was redrawn: a page filled in later belongs to one
        self._filter_timer: Any = None
        self._drawn_widths: dict[str, int] = {}  # the columns the table was last drawn with

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("loading…", id="portfolio-counts", classes="counts")
        yield Input(placeholder="filter projects (slug, name, team, owner, stage)…", id="portfolio-filter")
        yield PortfolioTable(id="portfolio-table", cursor_type="row", zebra_stripes=True)
        yield KBFooter()

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        from kb.portfolio import prefetched  # stdlib sqlite3 only: no pydantic, no sqlite-utils

        # the read started with the app is usually done; if not, a moment's wait for it is cheaper
        # than drawing the screen twice ("loading…", then the rows)
        got = prefetched(self.kb_app.db_path, wait=PREFETCH_WAIT_S)
        if got is not None:  # read while Textual started: the first frame shows the rows, not "loading…"
            (rows, counts), began = got
            self.on_portfolio_loaded(PortfolioLoaded(rows, counts, stamp=began))
        else:
            self.action_reload()

    # --- loading ---------------------------------------------------------------------------------

    def action_reload(self) -> None:
        self.load()

    @kb_worker("portfolio", db=False)  # the stdlib first read needs no KB (nor its imports)
    def load(self) -> None:
        app = self.kb_app
        from kb.portfolio import first_rows, stamp  # stdlib sqlite3 only: no pydantic, no sqlite-utils

        began = stamp(app.db_path)  # before the read: a commit during it makes the next return read again
        got = first_rows(app.db_path)
        if got is None:  # not a current kb database: the service creates, migrates or explains
            with session(app.db_path, app.actor) as kb:
                got = kb.project_rows(), kb.counts()
            began = stamp(app.db_path)
        self.post_message(PortfolioLoaded(*got, stamp=began))

    @kb_worker("portfolio-enrich", db=False)  # the child opens the store; this thread only reads its pipe
    def enrich(self) -> None:
        """The slower second pass, in a child process (kb_tui.second_pass) so that it never holds this
        process's GIL: verdicts first, posted as soon as they are known; then the usage sparklines
        and the overdue count. This thread only waits on the child's pipe; a failure there is raised
        here, so it reaches the screen as the one Failed line of every worker (kb_tui.workers)."""
        from textual.worker import get_current_worker

        from kb.config import resolve_db_path
        from kb_tui import second_pass

        app, worker = self.kb_app, get_current_worker()
        path = resolve_db_path(app.db_path)
        for _ in range(2):  # a child started before the UI opened (and migrated) the file says "stale"
            proc = self._child = second_pass.take(path, app.as_of)
            try:
                for message in second_pass.lines(proc):
                    if worker.is_cancelled or proc is not self._child:  # superseded by a reload, or closed
                        return
                    if "error" in message:
                        raise second_pass.failure(message, proc)
                    if "verdicts" in message:
                        verdicts = second_pass.cells(message)
                        suspects = sum(v.verdict == "silent-failure" for v in verdicts.values())
                        self.post_message(PortfolioVerdicts(verdicts, suspects))
                    elif "usage" in message:
                        self.post_message(PortfolioUsage(message["usage"], message["overdue"]))
                    elif message.get("stale"):
                        break
                else:
                    return
            finally:
                second_pass.stop(proc)

    def _end_child(self) -> None:
        """Stop a second pass still running (a reload starts another; a closed screen wants none)."""
        child, self._child = self._child, None
        if child is not None and child.poll() is None:
            child.kill()  # its reader sees the end of the pipe, and that it was superseded

    def on_unmount(self) -> None:
        self._end_child()

    def on_portfolio_loaded(self, message: PortfolioLoaded) -> None:
        self.rows, self.counts, self.loaded = message.rows, message.counts, True
        self.stamp = message.stamp
        self.reads += 1
        self.enriching = True
        self.refresh_table()
        self._end_child()
        self.call_after_refresh(self.enrich)
        # the collector, held since start-up (kb_tui.frozen), comes back once these rows are drawn
        table = self.query_one(PortfolioTable)
        if table.row_count:
            table.after_paint(release_collector)
        else:
            self.call_after_refresh(release_collector)

    def on_portfolio_verdicts(self, message: PortfolioVerdicts) -> None:
        self.verdicts, self.suspects = message.verdicts, message.suspects
        self.enriching = False
        self.refresh_table()

    def on_portfolio_usage(self, message: PortfolioUsage) -> None:
        self.usage = message.usage
        self.counts["overdue_actions"] = message.overdue
        self.refresh_table()

    # --- rendering -------------------------------------------------------------------------------

    def visible_rows(self) -> list[Any]:
        words = self.query_one(Input).value.lower().split()
        rows = [r for r in self.rows if all(w in _haystack(r) for w in words)] if words else list(self.rows)
        rows.sort(key=self._sort_key(), reverse=self.sort_reverse)
        return rows

    def _sort_key(self) -> Callable[[Any], Any]:
        """The sort's key for one row (each verdict's rank worked out once, not once per row)."""
        verdicts = self.verdicts or {}
        match self.sort_key:
            case "verdict":
                ranks = {v.verdict: verdict_rank(v.verdict) for v in verdicts.values()}
                last = verdict_rank(None)

                def by_verdict(row: Any) -> Any:
                    verdict = verdicts.get(row.slug)
                    if verdict is None:
                        return (last, -0.0, row.slug)
                    return (ranks[verdict.verdict], -verdict.score, row.slug)

                return by_verdict
            case "score":

                def by_score(row: Any) -> Any:
                    verdict = verdicts.get(row.slug)
                    return (-(verdict.score if verdict else -1.0), row.slug)

                return by_score
            case "incidents":
                return lambda row: (-row.incidents, row.slug)
            case "last":
                return lambda row: (row.last_incident or "", row.slug)
            case "usage":
                usage = self.usage

                def by_usage(row: Any) -> Any:
                    series = usage.get(row.slug) or []
                    return (series[-1] if series else -1.0, row.slug)

                return by_usage
            case key:
                return lambda row: (str(getattr(row, key, "")), row.slug)

    def _widths(self) -> dict[str, int]:
        """Column widths for this terminal: whole slugs, stage, verdict and counts first; then the
        owner, the usage and the last date, each only when it fits; the owner takes what is left."""
        slug = min(40, max([7, *(len(r.slug) for r in self.rows)]))
        widths = {"slug": slug, **{k: w for k, _, w in COLUMNS if w and k not in dict(OPTIONAL)}}
        # before its first layout (rows drawn on mounting) the screen has no size yet: it gets the app's
        room = (self.size.width or self.app.size.width or 80) - 3 - sum(w + 2 for w in widths.values())
        for key, least in OPTIONAL:
            if room >= least + 2:
                widths[key] = least
                room -= least + 2
        if "owner" in widths:
            widths["owner"] += max(0, min(12, room))
        return widths

    def _columns(self, table: DataTable[Any]) -> None:
        """Fit the columns to the terminal (see _widths)."""
        widths = self._drawn_widths = self._widths()
        for key, label, _ in COLUMNS:
            if key not in widths:
                continue
            arrow = ""
            if key == self.sort_key or (key == "verdict" and self.sort_key == "score"):
                arrow = " ▲" if self.sort_reverse else " ▼"
            # a Text label: a str is parsed as markup, which imports rich's emoji table on the first frame
            table.add_column(Text(label + arrow), key=key, width=widths[key])

    def refresh_table(self) -> None:
        table = self.query_one(PortfolioTable)
        keep = self.highlighted_slug()
        table.clear(columns=True)
        self._columns(table)
        rows = self.matching = self.visible_rows()
        self.shown, self.listed = 0, min(len(rows), PAGE)
        self._drawn += 1
        at = next((i for i, r in enumerate(rows[: self.listed]) if r.slug == keep), None)
        # the rows the terminal can show now, the rest of the page once this frame is painted:
        # DataTable measures every cell of each row it is given before it draws any
        self._add_rows(table, max(self.app.size.height, 0 if at is None else at + 1))
        if self.shown < self.listed:
            table.after_paint(partial(self._fill, self._drawn))
        if at is not None:
            table.move_cursor(row=at)
        self.query_one("#portfolio-counts", Static).update(self.counts_line(len(rows)))

    def _fill(self, drawn: int) -> None:
        """The rest of the page, unless the table was redrawn meanwhile."""
        if drawn == self._drawn:
            self._add_rows(self.query_one(DataTable), self.listed)

    def _add_rows(self, table: DataTable[Any], upto: int) -> None:
        """Add the matching rows up to `upto` (at most `listed`): a 2,000-project portfolio never
        rebuilds 2,000 rows per key."""
        keys = [str(c.value) for c in table.columns]
        end = min(upto, self.listed)
        for row in self.matching[self.shown : end]:
            verdict = (self.verdicts or {}).get(row.slug)
            cells = {
                "slug": Text(row.slug),
                "stage": stage_text(row.stage),
                "owner": owner_text(row.owner),
                "verdict": _verdict_cell(verdict),
                "incidents": Text(
                    f"{row.open_incidents}/{row.incidents}", justify="right", style="bold" if row.open_incidents else ""
                ),
                "last": Text(day(row.last_incident)),
                "usage": Text(spark_text(self.usage.get(row.slug, [])), style="cyan"),
            }
            table.add_row(*(cells[k] for k in keys), key=row.slug)
        self.shown = max(self.shown, end)

    @on(DataTable.RowHighlighted)
    def _maybe_more(self, event: DataTable.RowHighlighted) -> None:
        """Reaching the last row lists the next PAGE matching rows."""
        table = event.data_table
        if event.cursor_row >= table.row_count - 1 and self.shown < len(self.matching):
            if self.shown >= self.listed:
                self.listed = min(len(self.matching), self.listed + PAGE)
            self._add_rows(table, self.listed)
            self.query_one("#portfolio-counts", Static).update(self.counts_line(len(self.matching)))

    def counts_line(self, shown: int) -> Text:
        c = self.counts
        suspects = "–" if self.suspects is None else str(self.suspects)
        overdue = str(c["overdue_actions"]) if "overdue_actions" in c else "–"
        line = Text()
        line.append(plural(c.get("projects", 0), "project"), style="bold")
        line.append(" · ")
        suspect_words = f"{suspects} silent-failure suspect{'' if self.suspects == 1 else 's'}"
        line.append(suspect_words, style="bold red" if self.suspects else "")
        line.append(" · ")
        line.append(plural(c.get("open_incidents", 0), "open incident"))
        line.append(" · ")
        line.append(f"{overdue} overdue action{'' if overdue == '1' else 's'}")
        if shown != c.get("projects", 0):
            line.append(f" · {plural(shown, 'match')}", style="dim")
        if self.enriching:
            line.append(" · verdicts: computing…", style="italic dim")
        if self.listed < shown:
            line.append(f" · first {self.listed} listed (↓ past the end for more)", style="dim")
        return line

    def highlighted_slug(self) -> str | None:
        table: DataTable[Any] = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        try:
            return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        except CellDoesNotExist:  # the cursor past the rows (a refill under way)
            return None

    # --- interaction -----------------------------------------------------------------------------

    @on(Input.Changed, "#portfolio-filter")
    def _filter_changed(self) -> None:
        if not self.loaded:
            return
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(FILTER_DEBOUNCE_S, self.refresh_table)

    @on(Input.Submitted, "#portfolio-filter")
    def _filter_submitted(self) -> None:
        self.action_open_selected()

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.kb_app.action_open_project(str(event.row_key.value))

    @on(DataTable.HeaderSelected)
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key == self.sort_key:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_key, self.sort_reverse = key, False
        self.refresh_table()

    def on_key(self, event: Any) -> None:
        """Typing while the table has focus goes to the filter: filter as you type from anywhere."""
        table = self.query_one(DataTable)
        if self.focused is table and event.is_printable and event.character:
            field = self.query_one(Input)
            field.focus()
            field.insert_text_at_cursor(event.character)
            event.stop()

    def action_cursor(self, step: int) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + step)))

    def action_open_selected(self) -> None:
        slug = self.highlighted_slug()
        if slug is not None:
            self.kb_app.action_open_project(slug)

    def action_new_project(self) -> None:
        self.kb_app.action_new_project()

    def action_clear_filter(self) -> None:
        self.query_one(Input).value = ""

    def action_cycle_sort(self) -> None:
        self.sort_key = SORT_KEYS[(SORT_KEYS.index(self.sort_key) + 1) % len(SORT_KEYS)]
        self.sort_reverse = False
        self.refresh_table()

    def action_reverse_sort(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self.refresh_table()

    def on_resize(self) -> None:
        """Redraw only when the columns change: the first Resize comes once the rows are drawn, at
        the size they were drawn for, and rebuilding them then doubled the first frame's table work."""
        if self.loaded and self._widths() != self._drawn_widths:
            self.refresh_table()

    def on_screen_resume(self) -> None:
        """Back from another screen: read again only if the file changed since (a save there, or another
        process). Reading unchanged rows again redid the whole second pass behind the next key."""
        from kb.portfolio import stamp

        if self.loaded and stamp(self.kb_app.db_path) != self.stamp:
            self.load()


def _verdict_cell(verdict: Any) -> Text:
    """Badge and score in one cell, so the table fits 80 columns."""
    if verdict is None:
        return verdict_badge(None)
    cell = verdict_badge(verdict.verdict, pad=False)
    cell.append(f" {score(verdict.score)}")
    return cell


def _haystack(row: Any) -> str:
    return f"{row.slug} {row.name} {row.team} {row.owner} {row.stage}".lower()
