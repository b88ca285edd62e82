"""Incident editor: a postmortem built in the form (two modes, a three-cause chain) is stored whole."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.widgets import Input, Static, TabbedContent

from kb.models import Incident, Project
from kb.service import KB
from kb_tui.screens.confirm import ConfirmScreen
from kb_tui.screens.incident import IncidentScreen
from kb_tui.screens.portfolio import PortfolioScreen
from tests.snapshot_apps.common import make_app, new_incident, settle, until


def _setup(path: Path) -> None:
    with KB(path, "tester") as kb:
        kb.add_project(Project(slug="fraud-review", stage="production", owner="ana"))


async def _type(pilot: Any, selector: str, text: str) -> None:
    field = pilot.app.screen.query_one(selector, Input)
    field.value = ""
    field.focus()
    await pilot.press(*text)


def test_create_incident_with_two_modes_and_a_three_cause_chain(db_path: Path) -> None:
    _setup(db_path)

    async def flow() -> None:
        async with new_incident(db_path, (120, 40)) as (app, pilot, screen):
            await _type(pilot, "#f-project", "fraud-review")
            await _type(pilot, "#f-title", "Review queue overflowed")
            await _type(pilot, "#f-started_at", "2025-11-02")

            screen.query_one(TabbedContent).active = "tab-modes"
            await pilot.pause()
            await _type(pilot, ".picker-search", "capacity")
            await pilot.press("enter")  # best match, added as primary
            await _type(pilot, ".picker-search", "latency")
            await pilot.press("enter")  # then contributing

            screen.query_one(TabbedContent).active = "tab-causes"
            await pilot.pause()
            await _type(pilot, "#c-statement", "alerts flooded the reviewers")
            await _type(pilot, "#c-mode", "integration.capacity-gap")
            screen.query_one("#c-trigger").value = True
            await pilot.click("#c-add")
            await _type(pilot, "#c-statement", "scoring slowed under load")
            await _type(pilot, "#c-mode", "integration.latency")
            await pilot.click("#c-add-why")  # behind c1
            await _type(pilot, "#c-statement", "nobody load-tested it")
            await pilot.click("#c-add-why")  # behind c2
            assert str(screen.query_one("#inc-error", Static).render()) == ""

            await pilot.press("ctrl+s")
            await until(pilot, lambda: screen.incident_id is not None, "the save")
            assert not screen.dirty
            await pilot.press("escape")  # nothing unsaved: leaves without asking
            await until(pilot, lambda: isinstance(app.screen, PortfolioScreen), "back on the portfolio")

    asyncio.run(flow())
    with KB(db_path) as kb:
        [inc] = list(kb.incidents())
    assert inc.project == "fraud-review"
    assert inc.title == "Review queue overflowed"
    assert [(m.code, m.role) for m in inc.modes] == [
        ("integration.capacity-gap", "primary"),
        ("integration.latency", "contributing"),
    ]
    assert [(c.id, c.trigger, c.because, c.mode) for c in inc.causes] == [
        ("c1", True, ["c2"], "integration.capacity-gap"),
        ("c2", False, ["c3"], "integration.latency"),
        ("c3", False, [], None),
    ]


def test_invalid_dates_are_shown_inline_and_nothing_is_saved(db_path: Path) -> None:
    _setup(db_path)
    with KB(db_path, "tester") as kb:
        kb.add_incident(Incident(id="INC-0001", project="fraud-review", title="queue", started_at="2025-11-02"))

    async def flow() -> None:
        app = make_app(db_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.action_open_incident("INC-0001")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, IncidentScreen)
            assert screen.query_one("#f-title", Input).value == "queue"
            await _type(pilot, "#f-detected_at", "2025-10-01")
            error = str(screen.query_one("#inc-error", Static).render())
            assert error == "detected_at (2025-10-01) is before started_at (2025-11-02)"
            await pilot.press("ctrl+s")
            await settle(pilot)
            await pilot.press("escape")  # unsaved changes: asks
            await settle(pilot)
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("d")
            await until(pilot, lambda: isinstance(app.screen, PortfolioScreen), "discarded")

    asyncio.run(flow())
    with KB(db_path) as kb:
        assert kb.get_incident("INC-0001").detected_at is None


def test_hidden_tabs_are_built_on_first_show_and_filled_from_the_incident(db_path: Path) -> None:
    """The editor opens with only its Fields tab built; a tab shown later lists what the incident holds."""
    from textual.widgets import DataTable

    _setup(db_path)
    with KB(db_path, "tester") as kb:
        kb.add_incident(
            Incident.model_validate(
                {
                    "id": "INC-0001",
                    "project": "fraud-review",
                    "title": "queue",
                    "started_at": "2025-11-02",
                    "actions": [
                        {"title": "add a queue alarm", "owner": "ana"},
                        {"title": "size the team", "owner": "bo"},
                    ],
                }
            )
        )

    async def flow() -> None:
        app = make_app(db_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.action_open_incident("INC-0001")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, IncidentScreen) and screen.loaded
            assert not screen.query("#actions-table") and not screen.query("#mode-picker")
            for _ in range(3):  # Modes, Causes, Actions
                await pilot.press("alt+right")
            await settle(pilot)
            assert screen.query_one(TabbedContent).active == "tab-actions"
            assert app.focused is screen.query_one("#a-title", Input)
            table = screen.query_one("#actions-table", DataTable)
            titles = [str(table.get_row_at(n)[0]) for n in range(table.row_count)]
            assert titles == ["add a queue alarm", "size the team"]
            assert not screen.query("#timeline-table")  # never shown: still not built

    asyncio.run(flow())
