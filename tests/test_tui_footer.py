"""Every screen's keys readable at 80x24: the footer's bottom line, as drawn, names each key of the
screen (and of the tab in front), all of F1-F7, and is not cut; the project's top line fits one row.

The expected lines are written out by hand from the key table in docs/tui.md, not read from the code.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.snapshot_apps.common import make_app, settle

GLOBAL = "f1 Help f2 Log f3 f4 f5 f6 f7 screens"


def bottom_line(pilot: Pilot[Any]) -> str:
    return pilot.app.screen._compositor.render_strips()[-1].text.rstrip()


def row(pilot: Pilot[Any], y: int) -> str:
    return pilot.app.screen._compositor.render_strips()[y].text.rstrip()


async def _open(pilot: Pilot[Any], how: str, arg: str | None) -> None:
    await settle(pilot)
    action = getattr(pilot.app, f"action_{how}")
    action(arg) if arg is not None else action()
    await settle(pilot)


# (screen opened by, its argument, tab in front or None, the footer's line at 80 columns)
CASES = [
    ("home", None, None, "^s Sort ^n New incident f9 New project " + GLOBAL),
    ("open_project", "churn-propensity", "tab-verdict", "alt+→ Tab ^n New incident " + GLOBAL),
    ("open_project", "churn-propensity", "tab-edit", "alt+→ Tab ^s Save ^n New incident " + GLOBAL),
    ("open_project", "churn-propensity", "tab-flags", "alt+→ Tab ^l Log shutdown ^n New incident " + GLOBAL),
    ("open_incident", "SEED-0001", "tab-fields", "alt+→ Tab ^s Save ^g Chain f8 Mode " + GLOBAL),
    ("open_incident", "SEED-0001", "tab-modes", "alt+→ Tab ^s Save ^g Chain f8 Mode " + GLOBAL),
    ("open_incident", "SEED-0001", "tab-causes", "alt+→ Tab ^s Save f9 Add why f10 Ask why " + GLOBAL),
    ("review", None, "tab-summary", "alt+→ Tab ^b ^f quarter ^y Freeze " + GLOBAL),
    ("review", None, "tab-decide", "alt+→ Tab ^b ^f quarter ^r Decide " + GLOBAL),
    ("taxonomy", "integration.latency", None, "^o Incidents " + GLOBAL),
    ("graph", None, None, "^o Open " + GLOBAL),
    ("search", None, None, GLOBAL),
    ("help", None, None, "esc Close " + GLOBAL),
]


@pytest.mark.parametrize(("how", "arg", "tab", "expected"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_footer_shows_every_key_at_80_columns(
    seeded: Path, how: str, arg: str | None, tab: str | None, expected: str
) -> None:
    async def flow() -> None:
        app = make_app(seeded)
        async with app.run_test(size=(80, 24)) as pilot:
            await _open(pilot, how, arg)
            if tab is not None:
                await pilot.app.screen.show_tab(tab)
                await settle(pilot)
            assert bottom_line(pilot) == expected

    asyncio.run(flow())


def test_wide_footer_keeps_the_palette_key(seeded: Path) -> None:
    """At 120 columns there is room for ctrl+p as well, at the right edge."""

    async def flow() -> None:
        app = make_app(seeded)
        async with app.run_test(size=(120, 40)) as pilot:
            await _open(pilot, "open_incident", "SEED-0001")
            line = bottom_line(pilot)
            assert line.startswith("alt+→ Tab ^s Save ^g Chain f8 Mode " + GLOBAL)
            assert line.endswith("^p palette")

    asyncio.run(flow())


def test_footer_keys_still_work_when_kept_out_of_the_footer(seeded: Path) -> None:
    """On Causes ctrl+g leaves the footer to F9/F10 but still opens the chain."""

    async def flow() -> None:
        app = make_app(seeded)
        async with app.run_test(size=(80, 24)) as pilot:
            await _open(pilot, "open_incident", "SEED-0001")
            await pilot.app.screen.show_tab("tab-causes")
            await settle(pilot)
            assert "^g" not in bottom_line(pilot)
            await pilot.press("ctrl+g")
            await settle(pilot)
            assert type(pilot.app.screen).__name__ == "GraphScreen"

    asyncio.run(flow())


def test_project_top_line_fits_80_columns(seeded: Path) -> None:
    """Slug, verdict and score on the first row under the header; the tabs right under it."""

    async def flow() -> None:
        app = make_app(seeded)
        async with app.run_test(size=(80, 24)) as pilot:
            await _open(pilot, "open_project", "churn-propensity")
            top = row(pilot, 1)
            assert top.startswith(" churn-propensity   SILENT  3.5  disabled  owner: (nobody)  Churn")
            assert top.endswith("…")
            assert row(pilot, 2).split() == ["Verdict", "Edit", "Health", "Incidents", "Flags"]

    asyncio.run(flow())
