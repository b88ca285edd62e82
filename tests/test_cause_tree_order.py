"""One cause-tree order (kb.rules.cause_tree) for every face: `kb incident show`, `kb graph chain`, the
TUI's incident editor and the graph's Mermaid export draw a hand-built chain in the same order.

The chain is built so that the old rules disagreed: the trigger (c2) is named by another cause (c1,
an effect of the trigger recorded as a cause). The editor used to start from the causes nothing names
(c1, c6), so c2's subtree hung under c1; `kb incident show` put the trigger first.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from click.testing import CliRunner

from kb.cli import main
from kb.graph.chain import chain
from kb.graph.export import chain_mermaid
from kb.models import Incident, Project
from kb.rules import CauseNode, cause_tree
from kb.service import KB
from kb_tui.components.cause_tree import CauseTree
from kb_tui.screens.incident import IncidentScreen
from tests.snapshot_apps.common import make_app, settle

STATEMENTS = {
    "c1": "dashboards showed stale scores",
    "c2": "nightly retrain was switched off",
    "c3": "feature store schema changed",
    "c4": "no contract test on the feature schema",
    "c5": "the schema owner left",
    "c6": "the fallback model was stale too",
}
CAUSES = [
    {"id": "c1", "statement": STATEMENTS["c1"], "because": ["c2"]},
    {"id": "c2", "statement": STATEMENTS["c2"], "trigger": True, "because": ["c3"]},
    {"id": "c3", "statement": STATEMENTS["c3"], "because": ["c4", "c5"]},
    {"id": "c4", "statement": STATEMENTS["c4"]},
    {"id": "c5", "statement": STATEMENTS["c5"]},
    {"id": "c6", "statement": STATEMENTS["c6"], "because": ["c4"]},
]
# worked out by hand: the trigger first with everything beneath it, then the causes nothing names in
# the incident's order (c1, c6); a cause already drawn (c2 under c1, c4 under c6) is drawn again as a leaf
EXPECTED = [(0, "c2"), (1, "c3"), (2, "c4"), (2, "c5"), (0, "c1"), (1, "c2"), (0, "c6"), (1, "c4")]


def _stock(db_path: Path) -> None:
    with KB(db_path, "tester") as kb:
        kb.add_project(Project(slug="fraud-review", stage="production", owner="ana"))
        kb.add_incident(
            Incident.model_validate(
                {
                    "id": "INC-0001",
                    "project": "fraud-review",
                    "title": "stale scores",
                    "started_at": "2025-11-02",
                    "causes": CAUSES,
                }
            )
        )


def _flat(nodes: list[CauseNode], depth: int = 0) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for n in nodes:
        out.append((depth, n.id))
        out += _flat(list(n.children), depth + 1)
    return out


def test_the_rule_orders_the_hand_built_chain() -> None:
    order = [c["id"] for c in CAUSES]
    because = {c["id"]: c.get("because", []) for c in CAUSES}
    nodes = cause_tree(order, because, ["c2"])
    assert _flat(nodes) == EXPECTED
    assert nodes[1].children[0] == CauseNode("c2", repeat=True)  # under c1: drawn again, not expanded
    assert nodes[2].children[0] == CauseNode("c4", repeat=True)


def test_a_loop_being_edited_is_drawn_from_its_first_cause() -> None:
    # a half-built chain in the editor: a -> b -> a (and a name of no cause), nothing outside the loop names it
    nodes = cause_tree(["a", "b", "c"], {"a": ["b"], "b": ["a", "gone"], "c": []}, [])
    assert _flat(nodes) == [(0, "c"), (0, "a"), (1, "b"), (2, "a")]
    assert nodes[1].children[0].children[0] == CauseNode("a", repeat=True)


def test_cli_incident_show_draws_the_order(db_path: Path) -> None:
    _stock(db_path)
    args = ["--db", str(db_path), "incident", "show", "INC-0001"]
    # as for a terminal (TTY_COMPATIBLE), without colour codes (TERM=dumb): rich's panel and tree
    result = CliRunner().invoke(main, args, terminal_width=200, env={"TTY_COMPATIBLE": "1", "TERM": "dumb"})
    assert result.exit_code == 0, result.output
    drawn = []
    for line in result.output.splitlines():
        inner = line[2:]  # inside the panel's left border
        body = inner.lstrip("│├└─ ")
        for cid, text in STATEMENTS.items():
            if text in body:
                # rich's tree guides are four columns a level, the first level under the "causes" heading
                drawn.append(((len(inner) - len(body)) // 4 - 1, cid))
    assert drawn == EXPECTED
    # in a pipe: two spaces a level, the first level two spaces in
    piped = CliRunner().invoke(main, args)
    assert piped.exit_code == 0, piped.output
    plain = []
    for line in piped.output.splitlines():
        body = line.lstrip(" ")
        for cid, text in STATEMENTS.items():
            if text in body:
                plain.append(((len(line) - len(body)) // 2 - 1, cid))
    assert plain == EXPECTED


def test_cli_graph_chain_json_has_the_order(db_path: Path) -> None:
    _stock(db_path)
    result = CliRunner().invoke(main, ["--db", str(db_path), "graph", "chain", "INC-0001", "--json"])
    assert result.exit_code == 0, result.output
    tree = json.loads(result.output)["tree"]

    def flat(nodes: list[dict[str, object]], depth: int = 0) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        for n in nodes:
            out.append((depth, str(n["cause_id"])))
            out += flat(n["children"], depth + 1)  # type: ignore[arg-type]
        return out

    assert flat(tree) == EXPECTED


def test_mermaid_export_declares_the_causes_in_the_order(db_path: Path) -> None:
    _stock(db_path)
    with KB(db_path, "tester") as kb:
        text = chain_mermaid(chain(kb.get_incident("INC-0001")))
    declared = [line.split('["')[1].split(":")[0] for line in text.splitlines() if '["c' in line]
    # each cause is declared once, where the tree first reaches it
    assert declared == ["c2", "c3", "c4", "c5", "c1", "c6"]


def test_tui_editor_draws_the_same_order(db_path: Path) -> None:
    _stock(db_path)

    async def flow() -> list[tuple[int, str]]:
        app = make_app(db_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.action_open_incident("INC-0001")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, IncidentScreen) and screen.loaded
            await pilot.press("alt+right", "alt+right")  # Fields -> Modes -> Causes, as a user would
            await settle(pilot)
            tree = screen.query_one(CauseTree)
            out: list[tuple[int, str]] = []

            def walk(node: object, depth: int) -> None:
                for child in node.children:  # type: ignore[attr-defined]
                    out.append((depth, str(child.data)))
                    walk(child, depth + 1)

            walk(tree.root, 0)
            return out

    assert asyncio.run(flow()) == EXPECTED
