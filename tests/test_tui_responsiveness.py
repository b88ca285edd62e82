"""Issue 18's responsiveness, as behaviour (the timings are in bench/tui_bench.py, never asserted here):
the portfolio's second pass runs in a child process, not in the UI's own (where it held the GIL
behind every key), and coming back to the portfolio reads again only when the file changed."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from textual.widgets import DataTable, Input, Static

from kb.models import Incident, Project
from kb.service import KB
from kb_tui.screens.search import SearchScreen
from tests.snapshot_apps.common import AS_OF, make_app, on_portfolio, settle, until

ROOT = Path(__file__).resolve().parent.parent


def _portfolio(path: Path) -> None:
    with KB(path, "tester") as kb:
        kb.add_project(Project(slug="fraud-review", stage="production", owner="ana", team="risk"))
        kb.add_project(Project(slug="lead-scoring", stage="pilot", owner="bo", team="sales"))
        kb.add_incident(Incident(project="fraud-review", title="queue overflow", started_at="2025-11-02"))


def test_returning_to_the_portfolio_reads_again_only_after_a_change(db_path: Path) -> None:
    _portfolio(db_path)

    async def flow() -> None:
        async with on_portfolio(db_path, (120, 40)) as (app, pilot, home):
            await until(pilot, lambda: home.verdicts is not None and not home.enriching, "the verdicts")
            assert home.reads == 1
            # nothing changed while the search was open: the rows and verdicts stand, nothing is redone
            await pilot.press("f3")
            await until(pilot, lambda: isinstance(app.screen, SearchScreen), "the search")
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is home, "the portfolio")
            await settle(pilot)
            assert home.reads == 1 and not home.enriching
            # another process adds a project meanwhile: on return it is read, and scanned
            await pilot.press("f3")
            await until(pilot, lambda: isinstance(app.screen, SearchScreen), "the search")
            with KB(db_path, "someone-else") as kb:
                kb.add_project(Project(slug="new-model", stage="pilot", owner="cy", team="ops"))
            await pilot.press("escape")
            await until(pilot, lambda: "new-model" in {r.slug for r in home.rows}, "the new project")
            assert home.reads == 2
            await until(pilot, lambda: home.verdicts is not None and "new-model" in home.verdicts, "its verdict")
            assert home.query_one(DataTable).get_row("new-model")[0].plain == "new-model"
            assert isinstance(app.focused, Input)

    asyncio.run(flow())


def test_the_second_pass_answers_what_the_service_does(db_path: Path) -> None:
    """The child's verdicts are the detector's, project by project; its usage and overdue count too."""
    _portfolio(db_path)
    with KB(db_path) as kb:
        expected = {v.project: (v.verdict, v.score, [s.code for s in v.signals]) for v in kb.silent_scan(as_of=AS_OF)}
        overdue = kb.overdue_actions(AS_OF)
    done = subprocess.run(
        [sys.executable, "-m", "kb_tui.second_pass", str(db_path), AS_OF.isoformat()],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    assert {p: (v, s, codes) for p, v, s, codes in first["verdicts"]} == expected
    assert set(expected) == {"fraud-review", "lead-scoring"}
    assert second["overdue"] == overdue
    assert set(second["usage"]) == {"fraud-review", "lead-scoring"}


def test_the_second_pass_leaves_a_file_that_is_not_a_current_kb_database_alone(tmp_path: Path) -> None:
    missing = tmp_path / "missing.sqlite"
    done = subprocess.run(
        [sys.executable, "-m", "kb_tui.second_pass", str(missing), ""],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert [json.loads(line) for line in done.stdout.splitlines()] == [{"stale": True}]
    assert not missing.exists()  # the UI creates it (kb.service), then asks again


def test_the_ui_process_never_imports_the_detector(db_path: Path) -> None:
    """Verdicts on screen, yet kb.service was not imported by the UI's process when they arrived, and
    the detector never: the scan ran in the child, on another core, not in a thread holding this
    process's GIL. (Once the verdicts are in, the forms' warm-up imports the service on purpose.)"""
    _portfolio(db_path)
    code = """
import asyncio, sys
from datetime import date
from pathlib import Path
import kb_tui.app
from kb_tui.app import KBApp

HEAVY = ("kb.silent.detector", "kb.service", "scipy")
seen = []

class Watched(KBApp):
    CSS_PATH = str(Path(kb_tui.app.__file__).with_name("kb.tcss"))

    def on_portfolio_verdicts(self) -> None:
        seen.append(sorted(m for m in HEAVY if m in sys.modules))  # as the verdicts reach the app
        super().on_portfolio_verdicts()

async def main():
    app = Watched(sys.argv[1], as_of=date(2026, 1, 15), cursor_blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(3000):
            if getattr(app.screen, "verdicts", None) is not None and seen:
                break
            await pilot.pause(0.01)
        print(sorted(app.screen.verdicts))
        await app.workers.wait_for_complete()
    print(seen[0])
    print(sorted(m for m in ("kb.silent.detector", "scipy") if m in sys.modules))

asyncio.run(main())
"""
    script = db_path.with_name("watched.py")  # a file: Textual reads an App subclass's source location
    script.write_text(code)
    done = subprocess.run(
        [sys.executable, str(script), str(db_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    verdicts, at_verdicts, at_exit = done.stdout.strip().splitlines()[-3:]
    assert verdicts == "['fraud-review', 'lead-scoring']"
    assert at_verdicts == "[]"
    assert at_exit == "[]"


def test_the_forms_modules_load_without_pydantic() -> None:
    """ctrl+n, F9, F3 to F6 and a project's screen import their module on the key: their lists of choices
    come from kb.vocab (plain literals), so the key does not wait for pydantic and kb.models
    (about 0.3 s idle, over a second under load); the service arrives with the form's worker."""
    code = """
import sys
import kb_tui.screens.incident, kb_tui.screens.project_form, kb_tui.screens.search, kb_tui.screens.project
import kb_tui.screens.quick_log, kb_tui.screens.taxonomy, kb_tui.screens.graph, kb_tui.screens.review
print(sorted(m for m in ("pydantic", "kb.models", "kb.service", "sqlite_utils") if m in sys.modules))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


def test_moving_between_fields_does_not_redraw_the_footer(db_path: Path) -> None:
    """Textual's Footer mounted its keys again on every focus move, each styled anew, although the
    keys it shows stay the same; kb's footer is one widget that keeps what it shows until the keys
    change (a tab with other keys), and mounts nothing."""
    from kb_tui.components.footer import KBFooter
    from kb_tui.screens.incident import IncidentScreen

    _portfolio(db_path)

    async def flow() -> None:
        app = make_app(db_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+n")
            await until(pilot, lambda: isinstance(app.screen, IncidentScreen), "the editor")
            await settle(pilot)
            screen = app.screen
            footer = screen.query_one(KBFooter)
            shown = footer.entries
            assert [e.description for e in shown][:3] == ["Tab", "Save", "Chain"]
            assert app.focused is not None and app.focused.id == "f-project"
            await pilot.press("tab")
            await until(pilot, lambda: app.focused is not None and app.focused.id == "f-title", "the title")
            await settle(pilot)
            assert footer.entries is shown  # the same keys: nothing worked out or drawn again
            assert not footer.children
            await pilot.press("alt+right", "alt+right")  # Causes: f9/f10 take ^g/f8's places
            await until(pilot, lambda: screen.active_tab() == "tab-causes", "the causes tab")
            await settle(pilot)
            descriptions = [e.description for e in footer.entries]
            assert "Add why" in descriptions and "Chain" not in descriptions

    asyncio.run(flow())


def test_a_resize_that_keeps_the_columns_keeps_the_rows(db_path: Path) -> None:
    """The portfolio's first Resize comes once its rows are drawn, at the size they were drawn for:
    rebuilding them then doubled the first frame's table work. The rows are rebuilt only when the
    terminal's width changes the columns (at 80 columns the last-incident date goes: 3 + 14 + 12 +
    12 + 10 for the slug, stage, verdict and counts leave 29 columns, room for the owner's 8 + 2
    and the usage's 6 + 2, not for the date's 10 + 2)."""
    _portfolio(db_path)

    async def flow() -> None:
        async with on_portfolio(db_path, (160, 40)) as (_app, pilot, home):
            await until(pilot, lambda: home.verdicts is not None and not home.enriching, "the verdicts")
            await settle(pilot)
            table = home.query_one(DataTable)
            keys = list(table.rows)
            await pilot.resize_terminal(150, 40)  # the owner column already has all the room it takes
            await settle(pilot)
            assert "Last inc." in [c.label.plain for c in table.columns.values()]
            assert all(a is b for a, b in zip(list(table.rows), keys, strict=True))  # not added again
            await pilot.resize_terminal(80, 24)
            await settle(pilot)
            assert [c.label.plain for c in table.columns.values()] == [
                "Project",
                "Stage",
                "Owner",
                "Verdict ▼",
                "Open/all",
                "Usage",
            ]
            assert [k.value for k in table.rows] == ["fraud-review", "lead-scoring"]
            assert not any(a is b for a, b in zip(list(table.rows), keys, strict=True))

    asyncio.run(flow())


def test_the_first_app_keeps_the_collector_off_what_was_imported(db_path: Path) -> None:
    """Everything imported before the first KBApp is made goes to the permanent generation (no
    collection walks it again), once per process: a second app must not freeze the first one's garbage."""
    _portfolio(db_path)
    code = """
import gc, sys
from kb_tui import second_pass
from kb_tui.app import KBApp
before = gc.get_freeze_count()
KBApp(sys.argv[1])
first = gc.get_freeze_count()
garbage = [[] for _ in range(1000)]
for a, b in zip(garbage, garbage[1:]):
    a.append(b); b.append(a)
KBApp(sys.argv[1])
second = gc.get_freeze_count()
second_pass.stop_all()
print(before, first > 10_000, second == first)
"""
    done = subprocess.run(
        [sys.executable, "-c", code, str(db_path)], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.split() == ["0", "True", "True"]


def test_the_portfolio_draws_the_rows_it_shows_first_and_the_rest_of_the_page_after(db_path: Path) -> None:
    """DataTable measures every cell of each row it is given before it draws any: the portfolio gives
    it the rows the terminal can show (24 at 24 lines), then the rest of the page once that frame is
    painted, so the first frame does not wait for 200 rows (kb_tui.screens.portfolio.PAGE)."""
    with KB(db_path, "tester") as kb:
        for n in range(40):
            kb.add_project(Project(slug=f"model-{n:02d}", stage="production", owner="ana", team="risk"))

    async def flow() -> None:
        async with on_portfolio(db_path, (120, 24)) as (_app, pilot, home):
            table = home.query_one(DataTable)
            await until(pilot, lambda: table.row_count == 40, "the whole page")
            home.sort_key = "slug"
            home.refresh_table()
            assert [k.value for k in table.rows] == [f"model-{n:02d}" for n in range(24)]
            await settle(pilot)
            assert [k.value for k in table.rows] == [f"model-{n:02d}" for n in range(40)]
            assert "listed" not in str(home.query_one("#portfolio-counts", Static).render())

    asyncio.run(flow())


def test_the_first_session_keeps_the_collector_off_the_service_it_imported(db_path: Path) -> None:
    """The first worker's session imports the service (pydantic, sqlite-utils, numpy); what exists then
    goes to the permanent generation too, once: later sessions freeze nothing more."""
    _portfolio(db_path)
    code = """
import gc, sys
from kb_tui.backend import session
before = gc.get_freeze_count()
with session(sys.argv[1]) as kb:
    slugs = [p.slug for p in kb.project_rows()]
first = gc.get_freeze_count()
with session(sys.argv[1]) as kb:
    pass
print(before, first > before + 10_000, gc.get_freeze_count() == first, *slugs)
"""
    done = subprocess.run(
        [sys.executable, "-c", code, str(db_path)], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.split() == ["0", "True", "True", "fraud-review", "lead-scoring"]
