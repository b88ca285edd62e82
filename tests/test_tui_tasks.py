"""Issue 18, defects 4 and 6 in the terminal UI: the command palette reaches objects and every
screen's commands; links are edited in the incident editor; the review shows a diff; and at 80
columns the portfolio keeps every slug whole."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.command import CommandList
from textual.widgets import DataTable, Input, TabbedContent

from kb.service import KB
from kb_tui.screens.incident import IncidentScreen
from kb_tui.screens.project import ProjectScreen
from kb_tui.screens.review import ReviewScreen
from tests.snapshot_apps.common import make_app, on_portfolio, settle, until


async def _palette(pilot: Any, query: str, wanted: str) -> None:
    """Open the palette, type `query`, wait for a hit titled `wanted`, highlight it and press Enter."""
    await pilot.press("ctrl+p")
    await settle(pilot)
    await pilot.press(*query)
    listed = pilot.app.screen.query_one(CommandList)

    def index() -> int | None:
        for n in range(listed.option_count):
            if str(listed.get_option_at_index(n).prompt).splitlines()[0].strip() == wanted:
                return n
        return None

    await until(pilot, lambda: index() is not None, f"the hit {wanted!r}")
    listed.highlighted = index()
    await pilot.press("enter")
    await settle(pilot)


def test_palette_opens_projects_and_incidents_by_name(seeded: Path) -> None:
    async def flow() -> None:
        app = make_app(seeded)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await _palette(pilot, "churn-prop", "Open project churn-propensity")
            assert isinstance(app.screen, ProjectScreen) and app.screen.slug == "churn-propensity"
            await _palette(pilot, "SEED-0001", "Open incident SEED-0001")
            assert isinstance(app.screen, IncidentScreen) and app.screen.incident_id == "SEED-0001"

    asyncio.run(flow())


def test_palette_reaches_review_freeze_and_screen_commands(seeded: Path) -> None:
    async def flow() -> None:
        app = make_app(seeded)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await _palette(pilot, "diff", "Review: diff with the previous quarter")
            review = app.screen
            assert isinstance(review, ReviewScreen)
            assert review.query_one(TabbedContent).active == "tab-diff"
            await until(pilot, lambda: review.diff_shown is not None, "the diff")
            # as of 2026-01-15 the review is 2025Q4, compared with the quarter before
            assert (review.diff_shown.a, review.diff_shown.b) == ("2025Q3", "2025Q4")
            assert "incidents opened" in [n.metric for n in review.diff_shown.numbers]
            # a screen's own command, found by its name: the review's decide tab
            await _palette(pilot, "decide", "Review: Decide")

    asyncio.run(flow())


def test_links_are_added_by_keyboard_and_stored(seeded: Path, tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite"
    path.write_bytes(seeded.read_bytes())

    async def flow() -> None:
        app = make_app(path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.action_open_incident("SEED-0002")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, IncidentScreen)
            before = len(screen.extra["links"])
            while screen.query_one(TabbedContent).active != "tab-links":
                await pilot.press("alt+right")
                await pilot.pause()
            assert app.focused is screen.query_one("#l-title", Input)
            await pilot.press(*"Runbook", "tab", *"https://example.org/runbook", "enter")
            await pilot.pause()
            assert len(screen.extra["links"]) == before + 1
            await pilot.press("ctrl+s")
            await until(pilot, lambda: not screen.dirty, "the save")

    asyncio.run(flow())
    with KB(path) as kb:
        links = kb.get_incident("SEED-0002").links
    assert (links[-1].title, links[-1].url) == ("Runbook", "https://example.org/runbook")


def test_portfolio_keeps_every_slug_whole_at_80_columns(seeded: Path) -> None:
    async def flow() -> None:
        async with on_portfolio(seeded, (80, 24)) as (_app, _pilot, screen):
            table = screen.query_one(DataTable)
            column = next(c for c in table.columns.values() if str(c.key.value) == "slug")
            longest = max(len(r.slug) for r in screen.rows)
            assert longest == len("insurance-claims-triage")
            assert column.width >= longest
            # the columns fit the screen, so nothing is scrolled off to the right
            assert sum(c.get_render_width(table) for c in table.columns.values()) <= 80
            # the verdict cell shows a rounded score, never a cut one
            verdict = {str(c.key.value): n for n, c in enumerate(table.ordered_columns)}["verdict"]
            cells = [str(table.get_row_at(n)[verdict]) for n in range(table.row_count)]
            assert not any(cell.endswith(".") for cell in cells)

    asyncio.run(flow())
