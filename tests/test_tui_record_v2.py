"""The incident editor keeps format-2 fields it does not show (issue 16), and edits the ones it does.

Saving a title change must not drop an incident's impact, lessons, metrics or organisations: nothing
a user recorded is lost by opening it in the TUI.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.widgets import Input, Select

from kb.models import Incident, Project
from kb.service import KB
from kb_tui.screens.incident import IncidentScreen
from tests.snapshot_apps.common import make_app, settle, until

FULL = {
    "id": "INC-0001",
    "project": "home-buyer",
    "title": "Offers overpaid",
    "started_at": "2021-11",
    "detected_at": "2021Q4",
    "made_public_at": "2021-11-02",
    "postmortem_source": "press",
    "impact": {"money_lost": {"amount": 304000000, "currency": "USD"}, "people_affected": 2000},
    "organisations": ["Lender"],
    "metrics": [{"name": "error", "before": 1.9, "after": 6.9, "unit": "%"}],
    "lessons": {"went_wrong": ["No exposure cap"]},
    "actions": [{"title": "Wind down", "kind": "retire"}],
}


def _setup(path: Path) -> None:
    with KB(path, "tester") as kb:
        kb.add_project(Project(slug="home-buyer", stage="retired"))
        kb.add_incident(Incident.model_validate(FULL))


async def _type(pilot: Any, selector: str, text: str) -> None:
    field = pilot.app.screen.query_one(selector, Input)
    field.value = ""
    field.focus()
    await pilot.press(*text)


def test_editing_keeps_every_format_2_field_and_edits_the_shown_ones(db_path: Path) -> None:
    _setup(db_path)

    async def flow() -> None:
        app = make_app(db_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.action_open_incident("INC-0001")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, IncidentScreen)
            assert screen.query_one("#f-started_at", Input).value == "2021-11"  # as written
            assert screen.query_one("#f-made_public_at", Input).value == "2021-11-02"
            assert screen.query_one("#f-postmortem_source", Select).value == "press"
            await _type(pilot, "#f-title", "Offers overpaid at scale")
            await _type(pilot, "#f-postmortem_link", "https://example.org/pm")
            await pilot.press("ctrl+s")
            await until(pilot, lambda: not screen.dirty, "the save")

    asyncio.run(flow())
    with KB(db_path) as kb:
        inc = kb.get_incident("INC-0001")
    assert inc.title == "Offers overpaid at scale" and inc.postmortem_link == "https://example.org/pm"
    assert str(inc.started_at) == "2021-11" and str(inc.detected_at) == "2021Q4"
    assert inc.impact is not None and inc.impact.people_affected == 2000
    assert inc.impact.money_lost is not None and inc.impact.money_lost.amount == 304000000
    assert inc.organisations == ["Lender"] and [m.after for m in inc.metrics] == [6.9]
    assert inc.lessons is not None and inc.lessons.went_wrong == ["No exposure cap"]
    assert [a.kind for a in inc.actions] == ["retire"]


def test_the_flag_time_shows_to_the_minute_and_keeps_its_seconds(db_path: Path) -> None:
    """The editor shows the flag's time as it shows the incident's times (UTC, to the minute); saving
    without touching it keeps the seconds stored, and a typed time replaces it."""
    with KB(db_path, "tester") as kb:
        kb.add_project(Project(slug="fraud-review"))
        flag = {"key": "fraud-model", "environment": "prod", "from": "on", "to": "off", "at": "2026-02-10T08:00:30Z"}
        kb.add_incident(Incident.model_validate({"project": "fraud-review", "title": "t", "flag": flag}))

    async def flow(new_at: str | None) -> None:
        app = make_app(db_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.action_open_incident("INC-0001")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, IncidentScreen)
            if new_at is None:
                assert screen.query_one("#f-flag-at", Input).value == "2026-02-10T08:00Z"
                await _type(pilot, "#f-title", "scores frozen")
            else:
                await _type(pilot, "#f-flag-at", new_at)
            await pilot.press("ctrl+s")
            await until(pilot, lambda: not screen.dirty, "the save")

    asyncio.run(flow(None))
    with KB(db_path) as kb:
        inc = kb.get_incident("INC-0001")
    assert inc.title == "scores frozen" and inc.flag is not None
    assert inc.flag.at is not None and inc.flag.at.isoformat() == "2026-02-10T08:00:30+00:00"
    asyncio.run(flow("2026-02-11T09:15Z"))
    with KB(db_path) as kb:
        flag_at = kb.get_incident("INC-0001").flag.at  # type: ignore[union-attr]
    assert flag_at is not None and flag_at.isoformat() == "2026-02-11T09:15:00+00:00"
