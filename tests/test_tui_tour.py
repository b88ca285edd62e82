"""The keyboard tour of docs/tui.md, walked end to end with nothing but keys (issue 18).

Log a quiet shutdown for a project that does not exist yet (created inline from F2), see its
verdict change on the portfolio, write a full incident with a three-cause chain, find it by
search, record and freeze a review decision; then read back what was stored.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from textual.widgets import Input, TabbedContent

from kb.service import KB
from kb.timeutil import now_utc, quarter_of
from kb_tui.screens.confirm import AskScreen
from kb_tui.screens.incident import IncidentScreen
from kb_tui.screens.project_form import ProjectFormScreen
from kb_tui.screens.review import ReviewScreen
from kb_tui.screens.search import SearchScreen
from tests.snapshot_apps.common import on_portfolio, settle, until


def test_the_keyboard_tour(db_path: Path) -> None:
    with KB(db_path, "tester"):
        pass  # an empty knowledge base
    off_day = (now_utc() - timedelta(days=40)).date().isoformat()
    quarter = quarter_of(now_utc().date()).previous().label  # the review screen opens on it
    state: dict[str, str] = {}

    async def tour() -> None:
        async with on_portfolio(db_path, (100, 32), as_of=None) as (app, pilot, portfolio):
            # 1. F2 for a project that does not exist yet: created inline, then the shutdown is logged
            await pilot.press("f2")
            await settle(pilot)
            await pilot.press(*"ghost-model", "enter", *"ghost-enabled", "enter")
            await pilot.press("ctrl+u", *off_day, "ctrl+s")
            await until(pilot, lambda: isinstance(app.screen, AskScreen), "the offer to create the project")
            await pilot.press("y")
            await until(pilot, lambda: isinstance(app.screen, ProjectFormScreen), "the new-project form")
            form = app.screen
            assert form.query_one("#np-feature_flags", Input).value == "ghost-enabled"
            await pilot.press(*"Ghost model", "enter", *"ana", "enter", *"growth", "enter", "enter")
            await pilot.press(*"whatever the rules engine did", "enter")  # the last field creates it
            await until(pilot, lambda: app.screen is portfolio, "both dialogs to close")

            # 2. its verdict: the switch-off was recorded with the incident, so the detector sees it
            await until(
                pilot,
                lambda: portfolio.verdicts is not None and "ghost-model" in portfolio.verdicts,
                "the new project's verdict",
            )
            verdict = portfolio.verdicts["ghost-model"]
            assert verdict.verdict == "silent-failure"
            assert "abandoned" in [s.code for s in verdict.signals]

            # 3. a full incident with a three-cause chain, by keyboard only
            await pilot.press("ctrl+n")
            await settle(pilot)
            assert isinstance(app.screen, IncidentScreen)
            editor = app.screen
            await pilot.press(*"ghost-model", "tab", *"Ghost recommendations served stale scores")
            await pilot.press("tab", "tab", "tab", "tab", *"2026-10-01")  # kind, severity, status, started
            await pilot.press("alt+right")  # Modes: the find box has the cursor
            await pilot.press(*"capacity", "enter", "ctrl+u", *"latency", "enter")
            await pilot.press("alt+right")  # Causes
            await pilot.press(*"scores were served from a stale cache", "tab", *"integration.latency", "enter")
            await pilot.press(*"the refresh job ran out of workers", "tab", *"integration.capacity-gap", "f9")
            await pilot.press(*"nobody sized the job for the new traffic", "f9")
            await pilot.press("alt+right")  # Actions
            await pilot.press(*"Size the refresh job for peak traffic", "tab", *"ana", "tab", *"2026-12-15", "enter")
            await pilot.press("ctrl+s")
            await until(pilot, lambda: editor.incident_id is not None, "the save")
            state["incident"] = editor.incident_id or ""
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is portfolio, "back home")

            # 4. find it by search
            await pilot.press("f3")
            await settle(pilot)
            search = app.screen
            assert isinstance(search, SearchScreen)
            await pilot.press(*"stale scores")
            await until(pilot, lambda: search.shown_query is not None and search.hits, "the search results")
            await pilot.press("down", "enter")
            await until(pilot, lambda: isinstance(app.screen, IncidentScreen), "the incident")
            assert app.screen.incident_id == state["incident"]
            await settle(pilot)
            await pilot.press("f7")  # home
            await until(pilot, lambda: app.screen is portfolio, "home")

            # 5. a review decision, recorded and frozen
            await pilot.press("f6")
            await settle(pilot)
            review = app.screen
            assert isinstance(review, ReviewScreen)
            await until(pilot, lambda: review.review is not None, "the review")
            await pilot.press("alt+right", "alt+right", "alt+right")  # Summary -> Scorecard -> Patterns -> Decide
            await pilot.pause()
            assert review.query_one(TabbedContent).active == "tab-decide"
            assert app.focused is review.query_one("#d-project", Input)
            await pilot.press(*"ghost-model", "tab", "tab", *"ana", "tab", "tab", *"relaunch after sizing", "ctrl+r")
            await until(pilot, lambda: bool(review.review.decisions), "the decision")
            await pilot.press("ctrl+y")
            await until(pilot, lambda: isinstance(app.screen, AskScreen), "the freeze question")
            await pilot.press("y")
            await until(pilot, lambda: review.review is not None and review.review.frozen, "the frozen review")

    asyncio.run(tour())

    with KB(db_path) as kb:
        project = kb.get_project("ghost-model")
        assert (project.name, project.owner, project.feature_flags) == ("Ghost model", "ana", ["ghost-enabled"])
        [event] = kb.flag_events(project="ghost-model")
        assert (event.flag_key, event.state_to, event.at.date().isoformat()) == ("ghost-enabled", "off", off_day)
        inc = kb.get_incident(state["incident"])
        assert inc.title == "Ghost recommendations served stale scores"
        assert str(inc.started_at)[:10] == "2026-10-01"
        assert [(m.code, m.role) for m in inc.modes] == [
            ("integration.capacity-gap", "primary"),
            ("integration.latency", "contributing"),
        ]
        chain = {c.id: (c.mode, list(c.because)) for c in inc.causes}
        assert chain == {
            "c1": ("integration.latency", ["c2"]),
            "c2": ("integration.capacity-gap", ["c3"]),
            "c3": (None, []),
        }
        assert [(a.title, a.owner) for a in inc.actions] == [("Size the refresh job for peak traffic", "ana")]
        frozen = kb.review(quarter)
        assert frozen.frozen
        assert [(d.project, d.decision, d.owner) for d in frozen.decisions] == [("ghost-model", "fix", "ana")]
