"""Issue 18, defects 1-3 and 5 in the terminal UI, each driven by keyboard through Textual's pilot:
typed text stays visible with its problem beside it, nothing typed is lost without asking, keys go
to the first field a person types into, the why-suggestions and tabs work from the keyboard, and F2
records the flag's switch-off so the portfolio's verdict changes at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.widgets import Input, OptionList, Static, TabbedContent

from kb.models import Project
from kb.service import KB
from kb.timeutil import now_utc
from kb_tui.screens.confirm import AskScreen, ConfirmScreen
from kb_tui.screens.graph import GraphScreen
from kb_tui.screens.incident import IncidentScreen
from kb_tui.screens.portfolio import PortfolioScreen
from kb_tui.screens.project import ProjectScreen
from kb_tui.screens.quick_log import QuickLogScreen
from kb_tui.screens.taxonomy import TaxonomyScreen
from tests.snapshot_apps.common import make_app, new_incident, on_portfolio, settle, until


def _setup(path: Path, **fields: Any) -> None:
    with KB(path, "tester") as kb:
        kb.add_project(Project(slug="fraud-review", stage="production", owner="ana", **fields))


def _text(widget: Static) -> str:
    return str(widget.render())


# --- defect 1: an invalid field keeps its text visible, with the problem beside it ---------------


def test_invalid_date_keeps_text_and_cursor_visible_with_the_error_beside_it(db_path: Path) -> None:
    _setup(db_path)

    async def flow() -> None:
        async with new_incident(db_path, (80, 24)) as (_app, pilot, screen):
            # nothing typed yet: no problem is shown, although the empty project is not valid
            assert _text(screen.query_one("#inc-error", Static)) == ""
            assert not screen.query(".field-error.-shown")
            await pilot.press(*"fraud-review", "tab", *"Scores stalled")
            started = screen.query_one("#f-started_at", Input)
            started.focus()
            await pilot.press(*"2026-13-45")
            await pilot.pause()
            assert started.value == "2026-13-45"
            assert started.has_class("-invalid-field")
            # the text row of the field is still drawn (a border on a one-line input hid it)
            assert started.content_region.height == 1 and started.content_region.width > len("2026-13-45")
            line = screen.query_one("#e-started_at", Static)
            assert line.has_class("-shown") and "month" in _text(line)
            # the line sits right under the field
            assert line.region.y == started.region.y + 1
            await pilot.press(*["backspace"] * 5, *"01-05")
            await pilot.pause()
            assert not started.has_class("-invalid-field") and not line.has_class("-shown")

    asyncio.run(flow())


def test_save_shows_every_problem_and_stores_nothing(db_path: Path) -> None:
    _setup(db_path)

    async def flow() -> None:
        async with new_incident(db_path, (80, 24)) as (_app, pilot, screen):
            await pilot.press("tab", *"Scores stalled", "ctrl+s")  # no project typed
            await pilot.pause()
            project = screen.query_one("#f-project", Input)
            assert project.has_class("-invalid-field") and project.content_region.height == 1
            assert "project" in _text(screen.query_one("#inc-error", Static))

    asyncio.run(flow())
    with KB(db_path) as kb:
        assert list(kb.incidents()) == []


# --- defect 2: every way out of a screen with unsaved changes asks ------------------------------


def test_ctrl_q_with_an_unsaved_incident_asks_and_save_stores_it(db_path: Path) -> None:
    _setup(db_path)

    async def flow() -> None:
        async with new_incident(db_path, (80, 24)) as (app, pilot, _screen):
            await pilot.press(*"fraud-review", "tab", *"Queue overflowed")
            await pilot.press("ctrl+q")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen) and app.is_running
            await pilot.press("escape")  # stay
            await pilot.pause()
            assert isinstance(app.screen, IncidentScreen)
            assert app.screen.query_one("#f-title", Input).value == "Queue overflowed"
            await pilot.press("ctrl+q")
            await pilot.pause()
            await pilot.press("s")  # save, then quit
            await until(pilot, lambda: not app.is_running, "the app to quit after saving")

    asyncio.run(flow())
    with KB(db_path) as kb:
        [inc] = list(kb.incidents())
    assert (inc.project, inc.title) == ("fraud-review", "Queue overflowed")


def test_ctrl_q_with_an_unsaved_project_edit_asks(db_path: Path) -> None:
    _setup(db_path)

    async def flow() -> None:
        app = make_app(db_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press(*"fraud", "enter")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ProjectScreen)
            await pilot.press("alt+right")  # Verdict -> Edit, the cursor in its first field
            await pilot.pause()
            assert screen.query_one(TabbedContent).active == "tab-edit"
            assert app.focused is screen.query_one("#p-name", Input)
            await pilot.press(*"Fraud review queue")
            await pilot.press("ctrl+q")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen) and app.is_running
            await pilot.press("d")  # quit without saving
            await until(pilot, lambda: not app.is_running, "the app to quit")

    asyncio.run(flow())
    with KB(db_path) as kb:
        assert kb.get_project("fraud-review").name == ""


def test_ctrl_q_with_nothing_typed_quits_at_once(db_path: Path) -> None:
    _setup(db_path)

    async def flow() -> None:
        async with new_incident(db_path, (80, 24)) as (app, pilot, _screen):
            await pilot.press("ctrl+q")
            await until(pilot, lambda: not app.is_running, "the app to quit")

    asyncio.run(flow())


def test_escape_in_the_quick_log_with_typed_text_asks(db_path: Path) -> None:
    _setup(db_path, feature_flags=["fraud-model-on"])

    async def flow() -> None:
        app = make_app(db_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("f2")
            await settle(pilot)
            await pilot.press("escape")  # nothing typed: closes at once
            await pilot.pause()
            assert isinstance(app.screen, PortfolioScreen)
            await pilot.press("f2")
            await settle(pilot)
            await pilot.press(*"fraud-review")
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, AskScreen)
            await pilot.press("escape")  # keep editing
            await pilot.pause()
            assert isinstance(app.screen, QuickLogScreen)
            assert app.screen.query_one("#ql-project", Input).value == "fraud-review"
            await pilot.press("escape", "y")  # discard
            await pilot.pause()
            assert isinstance(app.screen, PortfolioScreen)

    asyncio.run(flow())
    with KB(db_path) as kb:
        assert list(kb.incidents()) == []


# --- defect 3: keys go to the first field; suggestions, tabs and lists work by keyboard --------


def test_focus_lands_where_people_type(db_path: Path) -> None:
    with KB(db_path, "tester") as kb:
        kb.seed()

    async def flow() -> None:
        async with new_incident(db_path, (80, 24)) as (app, pilot, _screen):
            assert app.focused is app.screen.query_one("#f-project", Input)
            await pilot.press(*"churn")
            assert app.screen.query_one("#f-project", Input).value == "churn"
            await pilot.press("ctrl+q", "d")
            await until(pilot, lambda: not app.is_running, "quit")

        app = make_app(db_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("f5")
            await settle(pilot)
            assert isinstance(app.screen, GraphScreen)
            await pilot.press(*"SEED-0001", "enter")
            await settle(pilot)
            assert isinstance(app.screen, GraphScreen) and app.screen.incident_id == "SEED-0001"
            await pilot.press("f4")
            await settle(pilot)
            assert isinstance(app.screen, TaxonomyScreen)
            await pilot.press(*"latency")
            await pilot.pause()
            assert app.screen.query_one(".picker-search", Input).value == "latency"
            await pilot.press("down")  # into the tree
            await pilot.pause()
            assert app.focused is app.screen.query_one("Tree")

    asyncio.run(flow())


def test_why_suggestion_picked_with_down_and_enter_adds_the_cause_behind(db_path: Path) -> None:
    with KB(db_path, "tester") as kb:
        kb.seed()

    async def flow() -> None:
        async with new_incident(db_path, (120, 40)) as (app, pilot, screen):
            await pilot.press(*"churn-propensity", "tab", *"Scores drifted")
            await pilot.press("alt+right", "alt+right")  # Fields -> Modes -> Causes
            await pilot.pause()
            assert screen.query_one(TabbedContent).active == "tab-causes"
            assert app.focused is screen.query_one("#c-statement", Input)
            await pilot.press(*"scores drifted for weeks", "tab", *"drift.distribution-shift", "enter")  # Enter adds
            await pilot.pause()
            assert [c["id"] for c in screen.causes] == ["c1"]
            options = screen.query_one("#why-list", OptionList)
            screen.ask_why(["drift.distribution-shift"])
            await until(pilot, lambda: options.option_count > 0, "why-suggestions")
            picked = options.get_option_at_index(0).id
            await pilot.press("f10")  # the why? list, first suggestion highlighted
            await pilot.pause()
            assert app.focused is options
            await pilot.press("enter")
            await pilot.pause()
            assert screen.query_one("#c-mode", Input).value == picked
            assert app.focused is screen.query_one("#c-statement", Input)
            await pilot.press(*"nobody watched the inputs", "enter")
            await pilot.pause()
            assert [(c["id"], c["mode"], c["because"]) for c in screen.causes] == [
                ("c1", "drift.distribution-shift", ["c2"]),
                ("c2", picked, []),
            ]

    asyncio.run(flow())


# --- defect 5: F2 records the switch-off, so the verdict changes at once ------------------------


def test_f2_changes_the_portfolio_verdict_at_once(db_path: Path) -> None:
    _setup(
        db_path,
        monitoring="outcomes",
        baseline="manual review",
        launched_on=(now_utc() - timedelta(days=60)).date(),
        feature_flags=["fraud-model-on"],
    )
    day = (now_utc() - timedelta(days=40)).date().isoformat()

    async def flow() -> None:
        async with on_portfolio(db_path, (120, 40), as_of=None) as (
            app,
            pilot,
            portfolio,
        ):  # today: the shutdown is 40 days old
            await until(pilot, lambda: portfolio.verdicts is not None, "the verdicts")
            assert portfolio.verdicts["fraud-review"].verdict == "healthy"
            await pilot.press("f2")
            await settle(pilot)
            await pilot.press(*"fraud-review", "enter", *"fraud-model-on", "enter")
            field = app.screen.query_one("#ql-at", Input)
            field.value = ""
            await pilot.press(*day, "ctrl+s")
            await until(pilot, lambda: app.screen is portfolio, "the dialog to close")
            await until(
                pilot,
                lambda: portfolio.verdicts is not None and portfolio.verdicts["fraud-review"].verdict != "healthy",
                "the new verdict",
            )
            assert portfolio.verdicts["fraud-review"].verdict == "silent-failure"
            cell = portfolio.query_one("#portfolio-table").get_row("fraud-review")[3]
            assert "silent" in str(cell).lower()

    asyncio.run(flow())
    with KB(db_path) as kb:
        [event] = kb.flag_events(project="fraud-review")
        assert (event.flag_key, event.state_to, event.at.date().isoformat()) == ("fraud-model-on", "off", day)
        signals = [s.code for s in kb.silent_scan(project="fraud-review")[0].signals]
        assert "abandoned" in signals


def test_f2_unknown_flag_is_refused_with_the_known_ones_then_added_on_confirm(db_path: Path) -> None:
    _setup(db_path, feature_flags=["fraud-model-on"])

    async def flow() -> None:
        app = make_app(db_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("f2")
            await settle(pilot)
            await pilot.press(*"fraud-review", "enter", *"not-its-flag", "ctrl+s")
            await until(pilot, lambda: isinstance(app.screen, AskScreen), "the question")
            assert "fraud-model-on" in app.screen.question
            await pilot.press("escape")  # no: nothing stored, the flag field is back in focus
            await pilot.pause()
            assert isinstance(app.screen, QuickLogScreen)
            assert "fraud-model-on" in _text(app.screen.query_one("#ql-error", Static))
            await pilot.press("ctrl+s")
            await until(pilot, lambda: isinstance(app.screen, AskScreen), "the question again")
            await pilot.press("y")
            await until(pilot, lambda: isinstance(app.screen, PortfolioScreen), "the dialog to close")

    with KB(db_path) as kb:
        pass
    asyncio.run(flow())
    with KB(db_path) as kb:
        assert kb.get_project("fraud-review").feature_flags == ["fraud-model-on", "not-its-flag"]
        [inc] = list(kb.incidents())
        assert inc.flag is not None and inc.flag.key == "not-its-flag"
