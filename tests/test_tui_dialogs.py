"""Dialogs (F2, F9) over the screen they cover: their backdrop is exactly the picture Textual's own
ModalScreen draws (the screen beneath, tinted), on opening, after a resize and after a theme change."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.segment import Segment
from textual._context import visible_screen_stack
from textual.screen import ModalScreen

from kb.models import Project
from kb.service import KB
from kb_tui.screens.project_form import ProjectFormScreen
from kb_tui.screens.quick_log import QuickLogScreen
from tests.snapshot_apps.common import make_app, settle


def _drawn(screen: ModalScreen[object], *, textual: bool) -> list[Segment]:
    """The dialog screen's own picture (its backdrop) as the terminal would get it: through the kb
    screen's render, or through Textual's ModalScreen.render (kb's mixin bypassed)."""
    app = screen.app
    stack = app.screen_stack
    visible_screen_stack.set([stack[stack.index(screen) - 1]])  # as Textual's compositor sets it to paint
    renderable = ModalScreen.render(screen) if textual else screen.render()
    options = app.console.options.update_dimensions(*app.size)
    return list(app.console.render(renderable, options))


def test_dialog_backdrop_is_textuals_after_resize_and_theme_change(db_path: Path) -> None:
    with KB(db_path, "tester") as kb:
        kb.add_project(Project(slug="churn-propensity", stage="production", feature_flags=["churn-model-enabled"]))

    async def flow() -> None:
        app = make_app(db_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            for key, kind in (("f2", QuickLogScreen), ("f9", ProjectFormScreen)):
                await pilot.press(key)
                await settle(pilot)
                screen = app.screen
                assert isinstance(screen, kind)
                shown = _drawn(screen, textual=False)
                assert "churn-propensity" in "".join(s.text for s in shown)  # the portfolio shows through
                assert shown == _drawn(screen, textual=True)
                await pilot.resize_terminal(80, 24)
                await settle(pilot)
                narrow = _drawn(screen, textual=False)
                assert narrow != shown
                assert narrow == _drawn(screen, textual=True)
                app.action_toggle_theme()
                await settle(pilot)
                light = _drawn(screen, textual=False)
                assert {s.style for s in light} != {s.style for s in narrow}  # the light theme's colours
                assert light == _drawn(screen, textual=True)
                app.action_toggle_theme()
                await pilot.resize_terminal(120, 40)
                await pilot.press("escape")
                await settle(pilot)

    asyncio.run(flow())
