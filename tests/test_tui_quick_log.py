"""Quick log: a quiet feature-flag shutdown typed into the F2 form is stored as an incident."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from textual.widgets import Static

from kb.models import Project
from kb.service import KB
from kb_tui.screens.confirm import AskScreen
from kb_tui.screens.quick_log import QuickLogScreen
from tests.snapshot_apps.common import make_app, settle, until


def _setup(path: Path) -> None:
    with KB(path, "tester") as kb:
        kb.add_project(Project(slug="churn-propensity", stage="production", feature_flags=["churn-model-enabled"]))


def test_quick_log_stores_a_quiet_shutdown(db_path: Path) -> None:
    _setup(db_path)

    async def flow() -> None:
        app = make_app(db_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("f2")
            await settle(pilot)
            assert isinstance(app.screen, QuickLogScreen)
            await pilot.press(*"churn-propensity", "enter")
            await pilot.press(*"churn-model-enabled", "enter")
            app.screen.query_one("#ql-at").value = "2025-09-01"
            await pilot.press("enter")  # the date is set; the next field is the announced? switch
            app.screen.query_one("#ql-reason").focus()
            await pilot.press(*"latency spiked", "enter")
            await until(pilot, lambda: not isinstance(app.screen, QuickLogScreen), "the form to close")

    asyncio.run(flow())
    with KB(db_path) as kb:
        incidents = list(kb.incidents())
    assert len(incidents) == 1
    inc = incidents[0]
    assert inc.project == "churn-propensity"
    assert inc.kind == "quiet-shutdown"
    assert inc.announced is False
    assert inc.flag is not None and inc.flag.key == "churn-model-enabled"
    assert inc.flag.at is not None and str(inc.flag.at)[:10] == "2025-09-01"
    assert "silent.quiet-shutdown" in inc.mode_codes()
    assert "latency spiked" in f"{inc.title} {inc.summary}"


def test_quick_log_unknown_project_shows_one_line_and_writes_nothing(db_path: Path) -> None:
    _setup(db_path)

    async def flow() -> None:
        app = make_app(db_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.action_quick_log(project="no-such-project", flag="x-enabled", at=date(2025, 9, 1).isoformat())
            await settle(pilot)
            await pilot.press("ctrl+s")
            # the project does not exist: the dialog offers to create it; declining leaves one line
            await until(pilot, lambda: isinstance(app.screen, AskScreen), "the offer to create it")
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, QuickLogScreen), "back in the dialog")
            error = app.screen.query_one("#ql-error", Static)
            assert "no-such-project" in str(error.render())
            assert "\n" not in str(error.render()).strip()

    asyncio.run(flow())
    with KB(db_path) as kb:
        assert list(kb.incidents()) == []
