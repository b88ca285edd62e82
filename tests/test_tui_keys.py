"""Keys: a binding remapped by id works, the palette runs actions, the help lists ids, the theme toggles."""

from __future__ import annotations

import asyncio
from pathlib import Path

from kb_tui.screens.help import HelpScreen
from kb_tui.screens.quick_log import QuickLogScreen
from kb_tui.screens.review import ReviewScreen
from tests.snapshot_apps.common import make_app, settle, until


def test_remapped_key_opens_quick_log(db_path: Path) -> None:
    async def flow() -> None:
        app = make_app(db_path, keymap={"app.quick_log": "ctrl+l"})
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("f2")  # the old key no longer does it
            await settle(pilot)
            assert not isinstance(app.screen, QuickLogScreen)
            await pilot.press("ctrl+l")
            await until(pilot, lambda: isinstance(app.screen, QuickLogScreen), "the quick log")

    asyncio.run(flow())


def test_palette_runs_an_action(db_path: Path) -> None:
    async def flow() -> None:
        app = make_app(db_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+p")
            await settle(pilot)
            await pilot.press(*"quarterly review")
            await settle(pilot)
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, ReviewScreen), "the review screen")

    asyncio.run(flow())


def test_help_lists_binding_ids_and_theme_toggles(db_path: Path) -> None:
    async def flow() -> None:
        app = make_app(db_path, keymap={"app.help": "f12"})
        async with app.run_test(size=(100, 40)) as pilot:
            await settle(pilot)
            assert app.theme == "textual-dark"
            await pilot.press("ctrl+t")
            assert app.theme == "textual-light"
            await pilot.press("f12")
            await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
            rows = {(key, binding_id) for key, _, binding_id in app.screen.rows}
            assert ("f12", "app.help") in rows  # the remapped key is what help shows
            assert ("f2", "app.quick_log") in rows
            assert ("ctrl+s", "portfolio.sort") in rows  # keys of the screen underneath

    asyncio.run(flow())


def test_the_palette_finds_incidents_by_id_and_text_and_lets_misses_pass(seeded: Path) -> None:
    """ctrl+p's incident lookup: an id typed in full, then incidents whose text matches; an id not in
    the store offers nothing rather than fail (only NotFound is passed over: anything else reaches
    the palette's logged failure), and text with search syntax in it is searched as words."""
    from kb_tui.commands import _incidents

    assert _incidents(seeded, "seed-0001")[0][0] == "SEED-0001"
    assert _incidents(seeded, "SEED-9999") == []
    # seed case 0001's summary: "latency spiked under real traffic"
    assert "SEED-0001" in [i for i, _ in _incidents(seeded, 'latency" spiked (')]
