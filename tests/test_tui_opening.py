"""Issue 18's responsiveness, as behaviour: a form that opens before all of it is built, or a screen
whose content comes later, loses nothing typed meanwhile and still works from the keyboard (the
timings are in bench/tui_bench.py --responsiveness, never asserted here)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import Input, Select, TextArea

from kb.models import Project
from kb.service import KB
from kb_tui.screens.confirm import ConfirmScreen
from kb_tui.screens.incident import IncidentScreen
from kb_tui.screens.portfolio import PortfolioScreen
from tests.snapshot_apps.common import make_app, new_incident, settle, until

# the Fields tab's fields, in the order Tab visits them
FIELDS = [
    *("f-project", "f-title", "f-kind", "f-severity", "f-status", "f-started_at", "f-detected_at"),
    *("f-resolved_at", "f-detected_by", "f-announced", "f-made_public_at", "f-postmortem"),
    *("f-postmortem_source", "f-postmortem_link", "f-flag-key", "f-flag-environment", "f-flag-from"),
    *("f-flag-to", "f-flag-at", "f-flag-actor", "f-tags", "f-summary"),
]


def _setup(path: Path) -> None:
    with KB(path, "tester") as kb:
        kb.add_project(Project(slug="fraud-review", stage="production", owner="ana"))


def test_what_is_typed_while_the_editor_is_built_is_stored(db_path: Path) -> None:
    """ctrl+n shows Project and Title first and mounts the other rows frame by frame. Keys typed as
    soon as it opens (five Tabs past title, kind, severity and status to Started, the date, back to
    Title and Project, ctrl+s) land where they were meant to, and ctrl+s saves the whole form."""
    _setup(db_path)

    async def flow() -> None:
        app = make_app(db_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+n", *["tab"] * 5, *"2026-10-01")
            await pilot.press(*["shift+tab"] * 4, *"Scores stalled", "shift+tab", *"fraud-review", "ctrl+s")
            screen = app.screen
            assert isinstance(screen, IncidentScreen)
            await until(pilot, lambda: screen.incident_id is not None, "the save")
            assert not screen.dirty

    asyncio.run(flow())
    with KB(db_path) as kb:
        [inc] = list(kb.incidents())
    assert (inc.project, inc.title, str(inc.started_at)) == ("fraud-review", "Scores stalled", "2026-10-01")
    assert (inc.kind, inc.severity, inc.status) == ("degradation", 3, "open")  # the rows' first values


def test_esc_asks_about_text_typed_before_the_form_is_whole(db_path: Path) -> None:
    """Typed into Project the moment the editor opened, before the rest of the form and the list of
    projects were there: Esc asks, and the text is still in the field after "stay" (before, the new
    incident's unedited state was read from the widgets once the list of projects arrived, so text
    typed before that counted as unedited and Esc dropped it)."""
    _setup(db_path)

    async def flow() -> None:
        app = make_app(db_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+n", *"fraud")
            screen = app.screen
            assert isinstance(screen, IncidentScreen)
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
            await pilot.press("escape")  # stay
            await until(pilot, lambda: app.screen is screen, "the editor again")
            await settle(pilot)
            assert screen.query_one("#f-project", Input).value == "fraud"
            assert screen.dirty
            # once whole, the unedited state is what the form first held, not what was typed
            assert screen.saved_state == screen.collect(first=True)
            assert screen.saved_state["project"] == "" and screen.saved_state["severity"] == 3

    asyncio.run(flow())


def test_the_editor_built_in_steps_is_the_editor_built_at_once(db_path: Path) -> None:
    """Every field of the Fields tab is there once the form is whole, in the order it is composed,
    with its first value, compact, and editing a stored value does not select it on focus."""
    _setup(db_path)

    async def flow() -> None:
        async with new_incident(db_path, (120, 40)) as (app, pilot, screen):
            assert screen.form_complete
            form = screen.query_one("#fields-form")
            ids = [w.id for w in form.query("Input, Select, Switch, TextArea")]
            assert ids == FIELDS
            assert [screen.query_one(f"#f-{n}", Select).value for n in ("kind", "severity", "detected_by")] == [
                "degradation",
                "3",
                "nobody",
            ]
            assert screen.query_one("#f-flag-environment", Input).value == "production"
            assert all(w.compact for w in form.query("Input, Select").results())  # type: ignore[attr-defined]
            assert not any(w.select_on_focus for w in form.query(Input).results(Input))
            assert screen.query_one("#f-summary", TextArea).text == ""
            await pilot.press("escape")  # nothing typed: leaves without asking
            await until(pilot, lambda: isinstance(app.screen, PortfolioScreen), "the portfolio")

    asyncio.run(flow())
