"""Issue 20's first frame, as behaviour (its time is bench/tui_bench.py's, never asserted here): what the
portfolio draws in its first frame with rows, and that everything left out of it still comes."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Static

from kb import portfolio
from kb.config import resolve_db_path
from kb.models import Project
from kb.service import KB
from kb_tui import second_pass
from kb_tui.app import KBApp
from kb_tui.screens.portfolio import PortfolioScreen
from tests.snapshot_apps.common import AS_OF, make_app, settle, until


def recording_frames(app: KBApp) -> list[int]:
    """For each frame the compositor hands over for display (Textual calls App._display once per frame,
    headless too), how many rows the portfolio's table held then."""
    frames: list[int] = []
    display = app._display

    def recorded(screen: Any, renderable: Any) -> None:
        if renderable is not None and isinstance(screen, PortfolioScreen):
            tables = screen.query(DataTable)
            frames.append(tables.first().row_count if tables else 0)
        display(screen, renderable)

    app._display = recorded  # type: ignore[method-assign]
    return frames


def _projects(path: Path, n: int) -> None:
    with KB(path, "tester") as kb:
        for i in range(n):
            kb.add_project(Project(slug=f"model-{i:02d}", stage="production", owner="ana", team="risk"))


def counts_line(app: KBApp) -> str:
    return str(app.screen.query_one("#portfolio-counts", Static).render())


def test_rows_read_while_textual_started_are_in_the_portfolios_first_frame(db_path: Path) -> None:
    """The app starts reading the rows as it is made (kb.portfolio.prefetch); when that read is done by
    the time the portfolio mounts, its first frame shows them (no "loading…" frame), and the second
    pass still follows: verdicts, then the overdue count."""
    _projects(db_path, 5)

    async def flow() -> None:
        app = make_app(db_path)
        portfolio.prefetch(db_path).result()  # the app's read, under way: done before the app mounts
        frames = recording_frames(app)
        async with app.run_test(size=(120, 24)) as pilot:
            await settle(pilot)
            home = app.screen
            assert isinstance(home, PortfolioScreen)
            assert frames[0] == 5, frames
            table = home.query_one(DataTable)
            assert [k.value for k in table.rows] == [f"model-{i:02d}" for i in range(5)]
            assert home.reads == 1
            await until(
                pilot, lambda: home.verdicts is not None and "overdue_actions" in home.counts, "the second pass"
            )
            assert counts_line(app).startswith("5 projects · 0 silent-failure suspects · 0 open incidents · 0 overdue")

    asyncio.run(flow())


def test_a_read_made_stale_by_a_commit_is_not_drawn_the_rows_are_read_again(db_path: Path) -> None:
    """A commit after the app's read began (another process adds a project): that read is not drawn;
    the portfolio says "loading…" and reads again, with the new project."""
    _projects(db_path, 3)

    async def flow() -> None:
        app = make_app(db_path)
        portfolio.prefetch(db_path).result()
        with KB(db_path, "someone-else") as kb:
            kb.add_project(Project(slug="new-model", stage="pilot", owner="cy", team="ops"))
        frames = recording_frames(app)
        async with app.run_test(size=(120, 24)) as pilot:
            await settle(pilot)
            home = app.screen
            assert isinstance(home, PortfolioScreen)
            await until(pilot, lambda: home.loaded, "the rows")
            assert frames[0] == 0, frames
            table = home.query_one(DataTable)
            assert sorted(str(k.value) for k in table.rows) == ["model-00", "model-01", "model-02", "new-model"]
            assert home.reads == 1

    asyncio.run(flow())


def test_the_first_frame_with_rows_holds_the_rows_the_terminal_shows_and_the_page_follows(db_path: Path) -> None:
    """DataTable measures every cell of each row it is given before it draws any: the first frame with
    rows holds the rows a 24-line terminal can show (24), the rest of the page (40) comes after it."""
    _projects(db_path, 40)

    async def flow() -> None:
        app = make_app(db_path)
        frames = recording_frames(app)
        async with app.run_test(size=(120, 24)) as pilot:
            # as bench/tui_bench.py waits for the first rows: a short pause at a time (each ends with a frame)
            for _ in range(5000):
                tables = app.screen.query(DataTable)
                if tables and tables.first().row_count:
                    break
                await pilot.pause(0.002)
            await settle(pilot)
            table = app.screen.query_one(DataTable)
            await until(pilot, lambda: table.row_count == 40, "the whole page")
            with_rows = [n for n in frames if n]
            assert with_rows[0] == 24, frames
            assert with_rows[-1] == 40
            assert [k.value for k in table.rows] == [f"model-{n:02d}" for n in range(40)]

    asyncio.run(flow())


def test_the_second_pass_starts_once_the_rows_are_read_before_they_are_handed_over(db_path: Path) -> None:
    """On two cores the UI thread, the first rows' read and the second pass's child would be three
    things at once: the child is started by the read's thread once it is done, before the rows are
    handed over, so whoever takes the rows finds the child already there."""
    _projects(db_path, 2)
    seen: list[bool] = []
    holder: list[Future[Any]] = []
    handed = threading.Event()  # the read's thread may finish before prefetch has returned its future
    resolved = resolve_db_path(db_path)

    def then() -> None:
        handed.wait(10)
        seen.append(holder[0].done())

    holder.append(portfolio.prefetch(db_path, then=then))
    handed.set()
    rows, counts = holder[0].result()
    assert seen == [False]  # called once, before the result was set
    assert [r.slug for r in rows] == ["model-00", "model-01"] and counts["projects"] == 2
    assert portfolio.first_rows(db_path) is not None  # the prefetch is taken (and the file read again)

    second_pass.start_portfolio(db_path, AS_OF)
    portfolio.prefetch(db_path).result()  # the app's read, under way: done
    assert (resolved, AS_OF) in second_pass._started  # the child was started before that returned
    proc = second_pass.take(resolved, AS_OF)
    try:
        messages = list(second_pass.lines(proc))
    finally:
        second_pass.stop(proc)
    assert [sorted(m) for m in messages] == [["verdicts"], ["overdue", "usage"]]
    assert sorted(v[0] for v in messages[0]["verdicts"]) == ["model-00", "model-01"]


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="process priorities are POSIX")
def test_the_second_pass_runs_at_a_lower_priority_than_the_ui(db_path: Path) -> None:
    """The second pass is background work: on a busy machine it took CPU from the UI's first frame.
    Its process runs `nice`d 10 below the UI (19, the lowest, at most), and still answers."""
    _projects(db_path, 2)
    proc = second_pass._spawn(resolve_db_path(db_path), AS_OF)
    try:
        assert proc.stdout is not None
        answered = [json.loads(line) for line in proc.stdout]  # to its end: the child has exited
        # not yet reaped, so the kernel still holds its priority
        assert os.getpriority(os.PRIO_PROCESS, proc.pid) == min(os.getpriority(os.PRIO_PROCESS, 0) + 10, 19)
    finally:
        second_pass.stop(proc)
    assert [sorted(m) for m in answered] == [["verdicts"], ["overdue", "usage"]]


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="process priorities are POSIX")
def test_a_background_module_is_lowered_before_it_is_imported(tmp_path: Path) -> None:
    """kb_tui.background lowers the process before it imports the module it runs, and hands the module
    its own argv (as `python -m MODULE ARG...` would): the module, at import, sees itself lowered."""
    (tmp_path / "probe_module.py").write_text(
        "import os, sys, json\nprint(json.dumps([os.getpriority(os.PRIO_PROCESS, 0), sys.argv[1:], __name__]))\n",
        encoding="utf-8",
    )
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(root)])}
    done = subprocess.run(
        [sys.executable, "-m", "kb_tui.background", "probe_module", "a b", "--c"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    niceness, argv, name = json.loads(done.stdout)
    assert niceness == min(os.getpriority(os.PRIO_PROCESS, 0) + 10, 19)
    assert argv == ["a b", "--c"] and name == "__main__"


def test_the_portfolio_table_draws_each_cell_exactly_as_datatable_does() -> None:
    """PortfolioTable draws one-line Text cells without DataTable's wrappers: every cell, with the
    cursor on it or not, hovered or not, at its width, wider or as narrow as its padding allows,
    comes out as the same segments DataTable's own drawing gives (styles, spans, text, padding,
    cropping, right-justified with trailing space, left-justified, wide characters, a tab, another
    line end, empty)."""
    from rich.text import Text
    from textual.app import App, ComposeResult

    from kb_tui.components.badges import owner_text, stage_text, verdict_badge
    from kb_tui.components.portfolio_table import PortfolioTable

    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield PortfolioTable(cursor_type="row", zebra_stripes=True)

    widths = [12, 10, 3, 1, 8, 6]
    rows = [
        [
            Text("fraud-review"),
            stage_text("production"),
            owner_text(""),
            verdict_badge("silent-failure"),
            Text("3/10", justify="right", style="bold"),
            Text("日本語テキスト"),
        ],
        [
            Text("a very long project slug indeed"),
            Text(""),
            Text("x", justify="center"),
            verdict_badge(None),
            Text("12/345", justify="right"),
            Text("▁▂▃▄", style="cyan"),
        ],
        [
            Text.assemble("ab", ("cd", "red"), "e"),
            Text("7 ", justify="right"),
            Text("left", justify="left"),
            Text("no end", end=""),
            Text(" 3/4  ", justify="right", style="italic"),
            Text("tab\there"),
        ],
    ]

    async def flow() -> None:
        app = One()
        async with app.run_test(size=(120, 24)) as pilot:
            table = app.query_one(PortfolioTable)
            for i, width in enumerate(widths):
                table.add_column(Text(f"c{i}"), key=f"c{i}", width=width)
            for n, cells in enumerate(rows * 3):
                table.add_row(*cells, key=f"r{n}")
            await pilot.pause()
            base = table.rich_style
            checked = 0
            for row in range(len(rows) * 3):
                for column, width in enumerate(widths):
                    for cursor in (False, True):
                        for hover in (False, True):
                            for at in (width, width + 3, 2):
                                table._cell_render_cache.clear()
                                ours = table._render_cell(row, column, base, at, cursor, hover)
                                table._cell_render_cache.clear()
                                theirs = DataTable._render_cell(table, row, column, base, at, cursor, hover)
                                assert ours == theirs, (row, column, cursor, hover, at)
                                checked += 1
            assert checked == 9 * 6 * 2 * 2 * 3

    asyncio.run(flow())


def test_the_portfolio_table_draws_each_line_exactly_as_datatable_does() -> None:
    """PortfolioTable works out once per frame what DataTable asks for on every line (the widget's
    style, size, columns, row and cursor styles): each line of a screenful, the header, zebra rows,
    the cursor's row, a hovered row, the space right of the last column and a scrolled table, is
    the same strip as a DataTable's with the same rows."""
    from rich.text import Text
    from textual.app import App, ComposeResult
    from textual.geometry import Region

    from kb_tui.components.badges import stage_text, verdict_badge
    from kb_tui.components.portfolio_table import PortfolioTable

    class Two(App[None]):
        CSS = "DataTable { height: 12; }"

        def compose(self) -> ComposeResult:
            yield PortfolioTable(cursor_type="row", zebra_stripes=True, id="ours")
            yield DataTable(cursor_type="row", zebra_stripes=True, id="theirs")

    async def flow() -> None:
        app = Two()
        async with app.run_test(size=(100, 30)) as pilot:
            ours, theirs = app.query_one("#ours", DataTable), app.query_one("#theirs", DataTable)
            for table in (ours, theirs):
                for key, width in (("slug", 14), ("stage", 10), ("verdict", 10), ("n", 6), ("same", 6)):
                    table.add_column(Text(key), key=key, width=width)
                # the same words in another style, spans or justification are drawn as themselves
                same = (
                    Text("ab c"),
                    Text("ab c", style="red"),
                    Text.assemble(("ab", "bold"), " c"),
                    Text("ab c", justify="right"),
                    Text("ab c", style="red", justify="right"),
                )  # five: each falls on even and odd (zebra) rows among the first ten
                for n in range(30):
                    table.add_row(
                        Text(f"model-{n:02d}"),
                        stage_text("production" if n % 3 else "pilot"),
                        verdict_badge("silent-failure" if n % 4 == 0 else None),
                        Text(f"{n}/{2 * n}", justify="right"),
                        same[n % 5],
                        key=f"m{n}",
                    )
                table.move_cursor(row=3)
            await pilot.pause()

            def lines(table: DataTable[Any]) -> list[list[Any]]:
                for cache in (table._cell_render_cache, table._row_render_cache, table._line_cache):
                    cache.clear()
                table._styles_cache.clear()
                return [list(strip) for strip in table.render_lines(Region(0, 0, table.size.width, table.size.height))]

            async def same() -> list[list[Any]]:
                """Each table's lines with the focus on it, then with the focus elsewhere."""
                drawn = []
                for focus in (None, ours, theirs):
                    app.set_focus(focus)
                    await pilot.pause()
                    drawn.append(lines(ours) if focus is not theirs else None)
                    drawn.append(lines(theirs) if focus is not ours else None)
                unfocused_ours, unfocused_theirs, focused_ours, _, _, focused_theirs = drawn
                assert unfocused_ours == unfocused_theirs
                assert focused_ours == focused_theirs
                assert focused_ours != unfocused_ours  # the cursor's row is drawn as focused
                return focused_ours

            plain = await same()
            for table in (ours, theirs):  # the mouse over row 5
                table._set_hover_cursor(True)
                table.hover_coordinate = table.hover_coordinate.__class__(5, 1)
            hovered = await same()
            assert hovered[6] != plain[6] and hovered[5] == plain[5]  # row 5 (below the header) is hovered
            for table in (ours, theirs):
                table.scroll_to(y=9, animate=False, immediate=True)
            await pilot.pause()
            assert ours.scroll_offset.y == theirs.scroll_offset.y == 9
            drawn = await same()
            assert "model-09" in "".join(segment.text for segment in drawn[1])  # the first row below the header

    asyncio.run(flow())


_COLLECTOR_PROBE = r"""
import asyncio, gc, json, sys
from pathlib import Path
from textual.widgets import DataTable
from tests.snapshot_apps.common import make_app, until


async def one_app(path):
    app = make_app(Path(path))
    held, made = not gc.isenabled(), gc.get_freeze_count()  # the app's creation froze the imports
    drawn = []
    display = app._display

    def shown(screen, renderable):
        if renderable is not None and not drawn and screen.query(DataTable):
            table = screen.query(DataTable).first()
            if table.row_count or getattr(screen, "loaded", False):
                drawn.append([table.row_count, gc.isenabled()])
        display(screen, renderable)

    app._display = shown
    async with app.run_test(size=(120, 24)) as pilot:
        await until(pilot, lambda: drawn, "the portfolio drawn")
        await until(pilot, gc.isenabled, "the collector back", tries=50)  # not the 5 s fallback
        frozen = gc.get_freeze_count() - made
    return {"held": held, "rows": drawn[0][0], "on when drawn": drawn[0][1], "frozen": frozen, "on": gc.isenabled()}


print(json.dumps([asyncio.run(one_app(path)) for path in sys.argv[1:]]))
"""


def _probe_collector(*paths: Path) -> list[dict[str, Any]]:
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", _COLLECTOR_PROBE, *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_collector_is_held_until_the_first_rows_are_drawn_then_what_start_up_made_is_frozen(
    db_path: Path,
) -> None:
    """Start-up makes ~100,000 long-lived objects and no garbage worth a walk: Python's cyclic collector
    is off from the first app's creation until the portfolio's rows are on screen; then what is alive
    (the screen's widgets and rows among it) is frozen, never walked again, and the collector is on.
    Once per process: a second app there (as in the tests) leaves the collector alone. Each app runs
    in a fresh process, as `kb tui` does."""
    _projects(db_path, 3)
    first, second = _probe_collector(db_path, db_path)
    assert first["held"] and first["rows"] == 3 and first["on when drawn"] is False
    assert first["frozen"] > 1000 and first["on"] is True
    # a freeze would add thousands; frozen objects freed meanwhile make the difference go negative
    assert not second["held"] and second["rows"] == 3 and second["on when drawn"] is True
    assert second["frozen"] < 100 and second["on"] is True


def test_with_no_project_to_draw_the_collector_comes_back_at_once(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite"
    KB(empty).close()
    (alone,) = _probe_collector(empty)
    assert alone["held"] and alone["rows"] == 0 and alone["on"] is True and alone["frozen"] > 0


def test_the_portfolio_table_measures_no_cell_when_every_column_has_its_width() -> None:
    """DataTable measures each cell of every row added (the first frame's dozen milliseconds) for the
    content width only an auto-width column uses. PortfolioTable skips that when each column has its
    width, and is laid out as DataTable is all the same: its virtual size and column widths; a labelled
    row, a row of auto height and an auto-width column are measured as DataTable measures them."""
    from rich.text import Text
    from textual.app import App, ComposeResult

    from kb_tui.components.portfolio_table import PortfolioTable

    measured: list[str] = []
    measure = Text.__rich_measure__

    def counted(self: Text, console: Any, options: Any) -> Any:
        measured.append(self.plain)
        return measure(self, console, options)

    class Two(App[None]):
        def compose(self) -> ComposeResult:
            yield PortfolioTable(id="ours")
            yield DataTable(id="theirs")

    def layout(table: DataTable[Any]) -> tuple[Any, ...]:
        widths = [(c.get_render_width(table), c.auto_width) for c in table.ordered_columns]
        return table.virtual_size, widths, [row.height for row in table.ordered_rows], table._row_label_column_width

    async def flow() -> None:
        app = Two()
        async with app.run_test(size=(100, 30)) as pilot:
            ours, theirs = app.query_one("#ours", DataTable), app.query_one("#theirs", DataTable)
            Text.__rich_measure__ = counted  # type: ignore[method-assign]
            try:
                for table in (ours, theirs):
                    table.add_column(Text("slug"), key="slug", width=12)
                    table.add_column(Text("n"), key="n", width=5)
                    for n in range(20):
                        table.add_row(Text(f"model-{n:02d}-long-name"), Text(str(n)), key=f"m{n}")
                measured.clear()
                await pilot.pause()
                # DataTable measured each of its own 40 cells once; PortfolioTable none of its own
                theirs_cells = [f"model-{n:02d}-long-name" for n in range(20)] + [str(n) for n in range(20)]
                assert sorted(measured) == sorted(theirs_cells)
                assert layout(ours) == layout(theirs)
                # what still needs measuring is measured: a label, an auto height, then an auto-width column
                for table in (ours, theirs):
                    table.add_row(Text("labelled"), Text("1"), key="l", label=Text("a long label"))
                    table.add_row(Text("two\nlines"), Text("2"), key="a", height=None)
                await pilot.pause()
                assert layout(ours) == layout(theirs) and layout(ours)[2][-1] == 2
                assert layout(ours)[3] == len("a long label") + 2
                for table in (ours, theirs):
                    table.add_column(Text("auto"), key="auto")
                    table.add_row(Text("x"), Text("3"), Text("a much wider cell"), key="w")
                await pilot.pause()
                assert layout(ours) == layout(theirs) and layout(ours)[1][-1] == (len("a much wider cell") + 2, True)
            finally:
                Text.__rich_measure__ = measure  # type: ignore[method-assign]

    asyncio.run(flow())


def test_the_portfolio_is_the_first_screen_drawn_in_the_users_theme_and_home_never_leaves_it(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The portfolio is the bottom of the screen stack (not pushed over Textual's empty default screen):
    its first frame is already in the theme the settings name, and F7 or escape on any screen above
    it come back to it, never past it."""
    from textual.color import Color
    from textual.widgets import Input

    from kb_tui.screens.search import SearchScreen
    from kb_tui.screens.taxonomy import TaxonomyScreen

    _projects(db_path, 2)
    monkeypatch.setenv("KB_THEME", "textual-light")

    async def flow() -> None:
        app = make_app(db_path, theme=None)  # the theme the settings (here KB_THEME) name
        first: list[tuple[Any, str, Any]] = []
        display = app._display

        def shown(screen: Any, renderable: Any) -> None:
            if renderable is not None and not first:
                first.append((screen, app.theme, screen.styles.background))
            display(screen, renderable)

        app._display = shown  # type: ignore[method-assign]
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            home = app.screen
            assert isinstance(home, PortfolioScreen) and app.screen_stack == [home]
            screen, theme, background = first[0]
            light = app.get_theme("textual-light")
            assert light is not None and light.background is not None
            assert screen is home and theme == "textual-light"
            assert background == Color.parse(light.background)  # the first frame is light, not restyled later
            await pilot.press("f4")
            await until(pilot, lambda: isinstance(app.screen, TaxonomyScreen), "the taxonomy")
            await pilot.press("f3")
            await until(pilot, lambda: isinstance(app.screen, SearchScreen), "search")
            assert len(app.screen_stack) == 3
            await pilot.press("f7")
            await until(pilot, lambda: app.screen is home, "home")
            assert app.screen_stack == [home]
            for _ in range(2):  # escape clears the filter on the portfolio, and goes nowhere
                await pilot.press("escape")
                await settle(pilot)
            assert app.screen_stack == [home] and isinstance(app.focused, Input)

    asyncio.run(flow())
