"""Search and taxonomy screens: results follow the typing; a mode lists the incidents classified under it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Input, Static

from kb.models import Cause, Classification, Incident, Project
from kb.service import KB
from kb_tui.screens.incident import IncidentScreen
from kb_tui.screens.search import SearchScreen, snippet_text
from kb_tui.screens.taxonomy import TaxonomyScreen
from tests.snapshot_apps.common import make_app, settle, until


def _setup(path: Path) -> None:
    with KB(path, "tester") as kb:
        kb.add_project(Project(slug="fraud-review"))
        kb.add_project(Project(slug="churn-propensity"))
        kb.add_incident(
            Incident(
                id="INC-0001",
                project="fraud-review",
                title="Review queue overflowed",
                summary="Five hundred alerts a day against fifty reviews.",
                modes=[Classification(code="integration.capacity-gap", role="primary")],
            )
        )
        kb.add_incident(
            Incident(
                id="INC-0002",
                project="churn-propensity",
                title="Churn model switched off",
                causes=[Cause(id="c1", statement="latency spiked under load", mode="integration.latency")],
            )
        )


def _ids(table: DataTable[Any]) -> list[str]:
    return [str(table.coordinate_to_cell_key((i, 0)).row_key.value) for i in range(table.row_count)]


def test_results_follow_typing_and_filters(db_path: Path) -> None:
    _setup(db_path)

    async def flow() -> None:
        app = make_app(db_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("f3")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, SearchScreen)
            table = screen.query_one("#search-results", DataTable)
            await pilot.press(*"latency")  # a word in a cause statement only
            await until(pilot, lambda: _ids(table) == ["INC-0002"], "the cause hit")
            for _ in "latency":
                await pilot.press("backspace")
            await pilot.press(*"review")  # title of one, nothing in the other
            await until(pilot, lambda: _ids(table) == ["INC-0001"], "the title hit")
            status = str(screen.query_one("#search-status", Static).render())
            assert status == "1 incident"
            screen.query_one("#s-project", Input).value = "churn-propensity"
            await until(pilot, lambda: table.row_count == 0, "the project filter")
            # quotes, stars and brackets are searched for as words, never parsed as FTS syntax
            screen.query_one("#search-query", Input).value = '"review* ( )'
            screen.query_one("#s-project", Input).value = ""
            await until(pilot, lambda: _ids(table) == ["INC-0001"], "the hostile query")
            table.focus()
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, IncidentScreen) and app.screen.loaded, "the incident")
            # the hit that was opened, not merely some incident screen
            assert app.screen.query_one("#f-title", Input).value == "Review queue overflowed"

    asyncio.run(flow())


def test_snippet_markers_become_bold() -> None:
    text = snippet_text("a \x02queue\x03 overflowed")
    assert text.plain == "a queue overflowed"
    assert [(s.start, s.end) for s in text.spans if s.style] == [(2, 7)]


def test_taxonomy_browser_lists_incidents_of_a_mode(db_path: Path) -> None:
    _setup(db_path)

    async def flow() -> None:
        app = make_app(db_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.action_taxonomy("integration.latency")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, TaxonomyScreen)
            table = screen.query_one("#mode-incidents", DataTable)
            await until(pilot, lambda: _ids(table) == ["INC-0002"], "the incidents of integration.latency")
            detail = str(screen.query_one("#mode-detail", Static).render())
            assert "integration.latency" in detail
            assert "1 incident" in detail and "1 incidents" not in detail
            screen.show_mode("integration.capacity-gap")
            await until(pilot, lambda: _ids(table) == ["INC-0001"], "the incidents of integration.capacity-gap")

    asyncio.run(flow())
