"""The TUI stays usable while other processes write: its own save lands and nobody's write is lost."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

from textual.widgets import DataTable

from kb.models import Project
from kb.service import KB
from kb_tui.screens.quick_log import QuickLogScreen
from tests.snapshot_apps.common import make_app, settle, until

WRITES = 150

WRITER = """
import sys
from kb.models import Incident
from kb.service import KB
path, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.stdin.readline()  # start when the test says the UI is up, so the writes overlap the UI's work
with KB(path, actor=name) as kb:
    for i in range(n):
        kb.add_incident(Incident(project="batch-" + name, title=f"{name} write {i}"))
"""


def _setup(path: Path) -> None:
    with KB(path, "tester") as kb:
        kb.add_project(Project(slug="churn-propensity", stage="production", feature_flags=["churn-model-enabled"]))
        kb.add_project(Project(slug="fraud-review", stage="production", team="risk"))
        for name in ("a", "b"):
            kb.add_project(Project(slug=f"batch-{name}", stage="pilot"))


def _slugs(table: DataTable[Any]) -> list[str]:
    return [str(table.coordinate_to_cell_key((i, 0)).row_key.value) for i in range(table.row_count)]


def test_ui_filters_and_saves_while_two_processes_write(db_path: Path) -> None:
    _setup(db_path)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db_path), name, str(WRITES)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]

    async def flow() -> None:
        app = make_app(db_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            for w in writers:
                assert w.stdin is not None
                w.stdin.write("go\n")
                w.stdin.flush()
            table = app.screen.query_one(DataTable)
            await pilot.press(*"risk")  # filtering answers while the writers hold the write lock in turns
            await until(pilot, lambda: _slugs(table) == ["fraud-review"], "the filter")
            await pilot.press("escape")
            await pilot.press("f2")
            await settle(pilot)
            assert isinstance(app.screen, QuickLogScreen)
            await pilot.press(*"churn-propensity", "enter")
            await pilot.press(*"churn-model-enabled", "enter")
            app.screen.query_one("#ql-at").value = "2026-04-28"
            await pilot.press("enter")
            app.screen.query_one("#ql-reason").focus()
            await pilot.press(*"logged during a busy import", "enter")
            await until(pilot, lambda: not isinstance(app.screen, QuickLogScreen), "the quick log to save")

    asyncio.run(flow())
    for w in writers:
        _out, err = w.communicate(input="", timeout=300)
        assert w.returncode == 0, err
        assert "locked" not in err
    with KB(db_path) as kb:
        by_project: dict[str, int] = {}
        for row in kb.incident_rows():
            by_project[row.project] = by_project.get(row.project, 0) + 1
        assert by_project == {"batch-a": WRITES, "batch-b": WRITES, "churn-propensity": 1}
        ids = sorted(int(r.id.split("-")[1]) for r in kb.incident_rows())
        assert ids == list(range(1, 2 * WRITES + 2))  # every id handed out once, none lost or reused
