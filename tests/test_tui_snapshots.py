"""Snapshots of every screen on the seed data, at 80x24 and 120x40 (pinned Textual, today, theme).

Regenerate with `pytest tests/test_tui_snapshots.py --snapshot-update` only after looking at the
screen: the SVGs under tests/__snapshots__/ are what the screens are meant to look like.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from tests.snapshot_apps.common import make_app, settle, until


async def _portfolio(pilot: Pilot[Any]) -> None:
    await settle(pilot)


async def _project(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    pilot.app.action_open_project("churn-propensity")
    await settle(pilot)


async def _incident(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    pilot.app.action_open_incident("SEED-0001")
    await settle(pilot)


async def _incident_causes(pilot: Pilot[Any]) -> None:
    await _incident(pilot)
    pilot.app.screen.query_one("TabbedContent").active = "tab-causes"
    await settle(pilot)


async def _quick_log(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    pilot.app.action_quick_log(project="churn-propensity", flag="churn-model-enabled")
    await settle(pilot)


async def _taxonomy(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    pilot.app.action_taxonomy("integration.latency")
    await settle(pilot)
    # the mode's incidents load in a second worker, started only once the taxonomy has arrived
    screen = pilot.app.screen
    title = screen.query_one("#mode-incidents-title", Static)
    await until(pilot, lambda: "under integration.latency" in str(title.render()), "the mode's incidents")
    await settle(pilot)


async def _search(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    pilot.app.action_search()
    await settle(pilot)
    await pilot.press(*"latency")
    screen: Any = pilot.app.screen
    await until(pilot, lambda: screen.shown_query is not None, "the search results")
    await settle(pilot)


async def _graph(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    pilot.app.action_graph(None)
    await settle(pilot)


async def _chain(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    pilot.app.action_graph("SEED-0001")
    await settle(pilot)


async def _review(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    pilot.app.action_review()
    await settle(pilot)


async def _help(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    pilot.app.action_help()
    await settle(pilot)


async def _project_edit(pilot: Pilot[Any]) -> None:
    await _project(pilot)
    await pilot.press("alt+right")
    await settle(pilot)


async def _project_form(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    pilot.app.action_new_project("ghost-model")
    await settle(pilot)


async def _incident_invalid(pilot: Pilot[Any]) -> None:
    """A new incident with a date that does not exist: the text stays, the problem is beside it."""
    await settle(pilot)
    await pilot.press("ctrl+n")
    await settle(pilot)
    await pilot.press(*"churn-propensity", "tab", *"Scores stalled")
    pilot.app.screen.query_one("#f-started_at").focus()
    await pilot.press(*"2026-13-45")
    await settle(pilot)


async def _incident_links(pilot: Pilot[Any]) -> None:
    await _incident(pilot)
    pilot.app.screen.query_one("TabbedContent").active = "tab-links"
    await settle(pilot)


async def _review_diff(pilot: Pilot[Any]) -> None:
    await _review(pilot)
    await pilot.app.screen.action_diff_tab()  # composes the tab first
    await settle(pilot)


async def _quit_confirm(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("ctrl+n")
    await settle(pilot)
    await pilot.press(*"churn-propensity", "ctrl+q")
    await settle(pilot)


SCREENS: dict[str, Callable[[Pilot[Any]], Awaitable[None]]] = {
    "project_edit": _project_edit,
    "project_form": _project_form,
    "incident_invalid": _incident_invalid,
    "incident_links": _incident_links,
    "review_diff": _review_diff,
    "quit_confirm": _quit_confirm,
    "portfolio": _portfolio,
    "project": _project,
    "incident": _incident,
    "incident_causes": _incident_causes,
    "quick_log": _quick_log,
    "taxonomy": _taxonomy,
    "search": _search,
    "graph": _graph,
    "chain": _chain,
    "review": _review,
    "help": _help,
}


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(screen: str, size: tuple[int, int], seeded: Path, snap_compare: Any) -> None:
    assert snap_compare(make_app(seeded), terminal_size=size, run_before=SCREENS[screen])
