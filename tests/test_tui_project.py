"""Project screen: edits go through KB.edit_project; a disable event is logged as an incident in one key."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import DataTable, Input, Select, TabbedContent

from kb.models import Project
from kb.service import KB
from kb_tui.screens.project import ProjectScreen
from tests.snapshot_apps.common import make_app, settle, until

FLAG_LOG = """flag,environment,action,at,actor,comment
churn-model-enabled,production,enabled,2025-06-02T09:00:00Z,ana,launch
churn-model-enabled,production,disabled,2025-09-01T21:40:00Z,bo,latency
"""


def _setup(path: Path, tmp: Path) -> None:
    log = tmp / "flags.csv"
    log.write_text(FLAG_LOG, encoding="utf-8")
    with KB(path, "tester") as kb:
        kb.add_project(
            Project(slug="churn-propensity", stage="production", owner="", feature_flags=["churn-model-enabled"])
        )
        kb.import_flags(str(log))


def test_edit_project_fields(db_path: Path, tmp_path: Path) -> None:
    _setup(db_path, tmp_path)

    async def flow() -> None:
        app = make_app(db_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.action_open_project("churn-propensity")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ProjectScreen)
            screen.query_one(TabbedContent).active = "tab-edit"
            await pilot.pause()
            owner = screen.query_one("#p-owner", Input)
            owner.focus()
            await pilot.press(*"dana")
            screen.query_one("#p-stage", Select).value = "disabled"
            screen.query_one("#p-tags", Input).value = "churn, retention"
            assert screen.changes() == {"owner": "dana", "stage": "disabled", "tags": ["churn", "retention"]}
            await pilot.press("ctrl+s")
            await until(pilot, lambda: not screen.dirty and screen.project.owner == "dana", "the save")

    asyncio.run(flow())
    with KB(db_path) as kb:
        p = kb.get_project("churn-propensity")
        assert (p.owner, p.stage, p.tags) == ("dana", "disabled", ["churn", "retention"])
        assert p.feature_flags == ["churn-model-enabled"]  # untouched
        history = kb.history("project", "churn-propensity")
        assert history[-1].actor == "tester"


def test_one_key_logs_a_disable_event(db_path: Path, tmp_path: Path) -> None:
    _setup(db_path, tmp_path)

    async def flow() -> None:
        app = make_app(db_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.action_open_project("churn-propensity")
            await settle(pilot)
            screen = app.screen
            screen.query_one(TabbedContent).active = "tab-flags"
            await pilot.pause()
            table = screen.query_one("#project-flags", DataTable)
            assert table.row_count == 2
            assert str(table.get_row_at(1)[6]) == "none"  # the disable has no incident yet
            table.focus()
            table.move_cursor(row=1)
            await pilot.press("ctrl+l")
            await until(pilot, lambda: str(table.get_row_at(1)[6]) == "logged", "the event to show as logged")

    asyncio.run(flow())
    with KB(db_path) as kb:
        [inc] = list(kb.incidents())
    assert inc.kind == "quiet-shutdown"
    assert inc.flag is not None and inc.flag.key == "churn-model-enabled"
    assert str(inc.flag.at)[:16] == "2025-09-01 21:40"
