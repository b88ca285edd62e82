"""Portfolio screen: the table, filter-as-you-type, sorting and the header counts, on a small portfolio."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Static

from kb.models import Incident, Project
from kb.service import KB
from tests.snapshot_apps.common import make_app, settle, until


def _portfolio(path: Path) -> None:
    with KB(path, "tester") as kb:
        kb.add_project(Project(slug="churn-propensity", stage="disabled", owner="", team="retention"))
        kb.add_project(Project(slug="fraud-review", stage="production", owner="ana", team="risk"))
        kb.add_project(Project(slug="lead-scoring", stage="pilot", owner="bo", team="sales"))
        kb.add_incident(Incident(project="fraud-review", title="queue overflow", started_at="2025-11-02"))
        kb.add_incident(
            Incident(project="fraud-review", title="rolled back", status="resolved", started_at="2025-12-20")
        )
        kb.add_incident(Incident(project="churn-propensity", title="flag off", started_at="2025-09-01"))


def _slugs(table: DataTable[Any]) -> list[str]:
    return [str(table.coordinate_to_cell_key((i, 0)).row_key.value) for i in range(table.row_count)]


def test_table_counts_filter_and_sort(db_path: Path) -> None:
    _portfolio(db_path)
    asyncio.run(_table_counts_filter_and_sort(db_path))


async def _table_counts_filter_and_sort(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 3
        counts = str(app.screen.query_one("#portfolio-counts", Static).render())
        # 3 projects; open incidents: fraud-review's first and churn's (the rollback is resolved)
        assert "3 projects" in counts
        assert "2 open incidents" in counts
        row = table.get_row("fraud-review")
        assert str(row[4]) == "1/2"  # open / all: two incidents, one still open
        assert str(row[5]) == "2025-12-20"  # the latest one
        assert str(table.get_row("churn-propensity")[2]) == "(nobody)"

        await pilot.press("r", "i", "s", "k")  # filter on the team name
        await until(pilot, lambda: _slugs(table) == ["fraud-review"], "the filter")
        await pilot.press("escape")
        await until(pilot, lambda: table.row_count == 3, "the cleared filter")

        app.screen.sort_key = "incidents"
        app.screen.refresh_table()
        assert _slugs(table) == ["fraud-review", "churn-propensity", "lead-scoring"]
        await pilot.press("ctrl+r")
        assert _slugs(table) == ["lead-scoring", "churn-propensity", "fraud-review"]


def test_typing_in_the_table_filters(db_path: Path) -> None:
    _portfolio(db_path)
    asyncio.run(_typing_in_the_table_filters(db_path))


async def _typing_in_the_table_filters(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        table.focus()
        await pilot.press("l", "e", "a", "d")
        await until(pilot, lambda: _slugs(table) == ["lead-scoring"], "the filter")


def test_long_portfolios_are_listed_200_at_a_time(db_path: Path) -> None:
    """203 projects: the table lists 200 (docs/tui.md's page), and reaching the last adds the other 3."""
    with KB(db_path, "tester") as kb:
        for n in range(203):
            kb.add_project(Project(slug=f"model-{n:03d}", stage="production", owner="ana", team="risk"))
    asyncio.run(_paging(db_path))


async def _paging(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(120, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        table = screen.query_one(DataTable)
        screen.sort_key = "slug"
        screen.refresh_table()
        await until(pilot, lambda: table.row_count == 200, "the first page")
        assert _slugs(table) == [f"model-{n:03d}" for n in range(200)]
        assert "first 200 listed" in str(screen.query_one("#portfolio-counts", Static).render())
        table.focus()
        await pilot.press("ctrl+end")  # onto the last listed row: the next page is added
        await until(pilot, lambda: table.row_count == 203, "the next page")
        assert _slugs(table)[-3:] == ["model-200", "model-201", "model-202"]
