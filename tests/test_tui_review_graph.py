"""Review screen records a decision and freezes the review; graph view shows an incident's chain and the root causes."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Input, Static, TabbedContent

from kb.models import Cause, Incident, Project
from kb.service import KB
from kb_tui.components.cause_tree import CauseTree
from kb_tui.screens.confirm import AskScreen
from kb_tui.screens.graph import GraphScreen
from kb_tui.screens.review import ReviewScreen
from tests.snapshot_apps.common import make_app, settle, until


def _setup(path: Path) -> None:
    with KB(path, "tester") as kb:
        kb.add_project(Project(slug="fraud-review", stage="production", owner="ana"))
        kb.add_incident(
            Incident(
                id="INC-0001",
                project="fraud-review",
                title="Review queue overflowed",
                started_at="2025-11-02",
                severity=2,
                causes=[
                    Cause(
                        id="c1",
                        statement="alerts flooded reviewers",
                        mode="integration.capacity-gap",
                        trigger=True,
                        because=["c2"],
                    ),
                    Cause(id="c2", statement="nobody sized the team", mode="org.unclear-ownership"),
                ],
            )
        )


def _labels(tree: CauseTree) -> list[str]:
    out: list[str] = []

    def walk(node: Any, depth: int) -> None:
        for child in node.children:
            out.append("  " * depth + str(child.label.plain.split(" ")[0]))
            walk(child, depth + 1)

    walk(tree.root, 0)
    return out


def test_record_a_review_decision(db_path: Path) -> None:
    _setup(db_path)

    async def flow() -> None:
        app = make_app(db_path)  # today 2026-01-15: the review opens on 2025Q4
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("f6")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ReviewScreen)
            assert screen.query_one("#r-quarter", Input).value == "2025Q4"
            table = screen.query_one("#scorecard", DataTable)
            await until(pilot, lambda: table.row_count == 1, "the scorecard")
            screen.query_one(TabbedContent).active = "tab-scorecard"
            await pilot.pause()
            table.focus()
            await pilot.press("enter")  # picks the project for a decision
            await pilot.pause()
            assert screen.query_one("#d-project", Input).value == "fraud-review"
            await pilot.press(*"ana")
            await pilot.press("ctrl+r")
            await until(pilot, lambda: str(table.get_row_at(0)[7]) == "fix", "the decision in the scorecard")

    asyncio.run(flow())
    with KB(db_path) as kb:
        [decision] = kb.review("2025Q4").decisions
    assert (decision.project, decision.decision, decision.owner) == ("fraud-review", "fix", "ana")
    assert decision.due == date(2026, 3, 31)  # default: the end of the next quarter


def test_review_export_writes_the_file(db_path: Path, tmp_path: Path) -> None:
    _setup(db_path)
    target = tmp_path / "out.json"

    async def flow() -> None:
        app = make_app(db_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.action_review()
            await settle(pilot)
            screen = app.screen
            await until(pilot, lambda: screen.review is not None, "the review")
            await screen.show_tab("tab-export")  # composed when first shown
            assert screen.query_one("#x-path", Input).value == "review-2025Q4.md"  # the review shown
            screen.query_one("#x-format").value = "json"
            screen.query_one("#x-path", Input).value = str(target)
            screen.action_export()
            await until(pilot, target.exists, "the export")

    asyncio.run(flow())
    assert '"quarter": "2025Q4"' in target.read_text(encoding="utf-8")


def test_graph_shows_the_chain_and_the_root_causes(db_path: Path) -> None:
    _setup(db_path)

    async def flow() -> None:
        app = make_app(db_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.action_graph("INC-0001")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, GraphScreen)
            tree = screen.query_one(CauseTree)
            await until(pilot, lambda: _labels(tree) == ["c1", "  c2"], "the chain: trigger c1 over its cause c2")
            title = str(screen.query_one("#graph-title", Static).render())
            assert "trigger c1" in title and "roots c2" in title
            app.pop_screen()
            app.action_graph(None)
            await settle(pilot)
            roots = app.screen.query_one("#root-causes", DataTable)
            await until(pilot, lambda: roots.row_count > 0, "the root-cause ranking")
            first = str(roots.coordinate_to_cell_key((0, 0)).row_key.value)
            assert first == "org.unclear-ownership"  # the only root of the only incident
            # one incident of severity 2 weighs 6 - 2 = 4, the whole of the ranking
            title = str(app.screen.query_one("#graph-title", Static).render())
            assert ": 1 incident, total weight 4" in title and "1 incidents" not in title, title
            assert list(roots.get_row_at(0)[1:]) == [1, "4", "100%"]
            drill = app.screen.query_one("#drill", DataTable)
            assert [str(drill.get_row_at(i)[0]) for i in range(drill.row_count)] == ["INC-0001"]

    asyncio.run(flow())


def test_freeze_a_review_after_asking(db_path: Path) -> None:
    _setup(db_path)

    async def flow() -> None:
        app = make_app(db_path)  # today 2026-01-15: the review opens on 2025Q4, which has ended
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.action_review()
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ReviewScreen)
            await until(pilot, lambda: screen.review is not None, "the review")
            await pilot.press("ctrl+y")
            await until(pilot, lambda: isinstance(app.screen, AskScreen), "the question")
            await pilot.press("escape")  # cancelled: nothing is frozen
            await until(pilot, lambda: app.screen is screen, "back on the review")
            with KB(db_path) as kb:
                assert kb.frozen_reviews() == []
            await pilot.press("ctrl+y")
            await until(pilot, lambda: isinstance(app.screen, AskScreen), "the question again")
            await pilot.press("y")
            await until(pilot, lambda: screen.review is not None and screen.review.frozen, "the frozen review")
            state = screen.query_one("#review-state", Static)
            assert "frozen" in str(state.render()) and "not frozen" not in str(state.render())

    asyncio.run(flow())
    with KB(db_path) as kb:
        [info] = kb.frozen_reviews()
        assert info.quarter == "2025Q4" and info.projects == 1
        assert kb.review("2025Q4").frozen  # what the CLI shows from now on


def test_review_shows_quiet_shutdowns_detected_but_not_logged(db_path: Path) -> None:
    """The seed cases' 2026Q3: demand-forecast's flag forecast-driven-orders went off on 2026-08-20 and
    nobody logged an incident, so `kb review 2026Q3` counts 0 logged and 1 detected with no incident.
    The review screen says the same, in its summary and in that project's scorecard row."""
    with KB(db_path, "tester") as kb:
        kb.seed()

    async def flow() -> None:
        app = make_app(db_path, as_of=date(2026, 10, 15))  # the last complete quarter is 2026Q3
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("f6")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ReviewScreen)
            await until(pilot, lambda: screen.review is not None, "the review")
            summary = str(screen.query_one("#review-summary", Static).render())
            assert "quiet shutdowns: 0 logged as incidents, 1 detected with no incident" in summary
            table = screen.query_one("#scorecard", DataTable)
            headers = [str(c.label) for c in table.columns.values()]
            row = table.get_row("demand-forecast")
            assert str(row[headers.index("quiet")]) == "0/1"
            others = [str(table.get_row(str(k.value))[headers.index("quiet")]) for k in table.rows]
            assert others.count("0/1") == 1 and set(others) == {"0/0", "0/1"}

    asyncio.run(flow())
