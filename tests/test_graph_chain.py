"""One incident's causal chain: tree from the trigger down to the roots, paths, mode paths."""

from __future__ import annotations

import pytest

from kb.errors import NotFound
from kb.graph.chain import MAX_PATHS, chain
from kb.models import Incident, Project
from kb.rules import CAUSE_TREE_DEPTH as MAX_DEPTH
from kb.service import KB
from tests.test_graph_fixture import DS, ET, LAT, NM, OW, load_portfolio


def _incident(causes: list[dict]) -> Incident:
    return Incident.model_validate({"id": "CH-0001", "project": "p", "title": "t", "causes": causes})


def _shape(nodes) -> list:
    """The tree as nested (cause_id, flags, children) tuples, flags from t(rigger), r(oot), =(repeat)."""
    out = []
    for n in nodes:
        flags = ("t" if n.trigger else "") + ("r" if n.root else "") + ("=" if n.repeat else "")
        out.append((n.cause_id, flags, _shape(n.children)))
    return out


def test_chain_of_a_consequence_above_the_trigger(kb: KB) -> None:
    # GR-0002: *a DS -> b NM -> c OW; d ET -> a. Starts: the trigger a first, then d (named by nobody).
    # Tree: a -> b -> c, and d -> a (a already shown: a repeat without children).
    # Paths: from a: [a, b, c]; from d: [d, a, b, c].
    load_portfolio(kb)
    ch = kb.chain("GR-0002")
    assert (ch.incident_id, ch.trigger, ch.roots) == ("GR-0002", "a", ["c"])
    assert _shape(ch.tree) == [
        ("a", "t", [("b", "", [("c", "r", [])])]),
        ("d", "", [("a", "t=", [])]),
    ]
    assert ch.paths == [["a", "b", "c"], ["d", "a", "b", "c"]]
    assert ch.mode_paths == [[DS, NM, OW], [ET, DS, NM, OW]]
    assert ch.tree[0].statement == "customer mix shifted after a price change"
    assert not ch.truncated


def test_diamond_shares_a_root_and_lists_both_paths() -> None:
    # t -> x, t -> y, x -> r, y -> r: r is shown once in full, then as a repeat; two paths.
    inc = _incident(
        [
            {"id": "t", "statement": "trigger", "trigger": True, "because": ["x", "y"]},
            {"id": "x", "statement": "x", "because": ["r"]},
            {"id": "y", "statement": "y", "because": ["r"]},
            {"id": "r", "statement": "root"},
        ]
    )
    ch = chain(inc)
    assert _shape(ch.tree) == [("t", "t", [("x", "", [("r", "r", [])]), ("y", "", [("r", "r=", [])])])]
    assert ch.paths == [["t", "x", "r"], ["t", "y", "r"]]
    assert ch.roots == ["r"]


def test_mode_paths_skip_modeless_causes_and_collapse_repeats() -> None:
    # t LAT -> u (no mode) -> v LAT -> w OW  lifts to LAT, LAT, OW -> [LAT, OW].
    inc = _incident(
        [
            {"id": "t", "statement": "s", "mode": LAT, "trigger": True, "because": ["u"]},
            {"id": "u", "statement": "s", "because": ["v"]},
            {"id": "v", "statement": "s", "mode": LAT, "because": ["w"]},
            {"id": "w", "statement": "s", "mode": OW},
        ]
    )
    ch = chain(inc)
    assert ch.paths == [["t", "u", "v", "w"]]
    assert ch.mode_paths == [[LAT, OW]]


def test_no_trigger_and_lone_causes() -> None:
    # No trigger: the starts are the causes nobody names, in order; a lone cause is its own path.
    inc = _incident(
        [
            {"id": "a", "statement": "a", "because": ["b"]},
            {"id": "b", "statement": "b"},
            {"id": "c", "statement": "c"},
        ]
    )
    ch = chain(inc)
    assert ch.trigger is None
    assert ch.roots == ["b", "c"]
    assert ch.paths == [["a", "b"], ["c"]]
    assert chain(_incident([])).paths == []


def test_path_explosion_is_cut_and_flagged() -> None:
    # A ladder of 10 diamonds has 2**10 = 1024 paths from top to bottom: more than MAX_PATHS (500).
    causes = []
    for i in range(10):
        causes.append({"id": f"n{i}", "statement": "s", "because": [f"l{i}", f"r{i}"], "trigger": i == 0})
        causes.append({"id": f"l{i}", "statement": "s", "because": [f"n{i + 1}"]})
        causes.append({"id": f"r{i}", "statement": "s", "because": [f"n{i + 1}"]})
    causes.append({"id": "n10", "statement": "bottom"})
    ch = chain(_incident(causes))
    assert ch.truncated
    assert len(ch.paths) == MAX_PATHS
    assert all(p[0] == "n0" and p[-1] == "n10" and len(p) == 21 for p in ch.paths)


def test_chain_of_unknown_incident(kb: KB) -> None:
    with pytest.raises(NotFound):
        kb.chain("CH-9999")


def test_a_very_deep_chain_is_cut_not_crashed(kb: KB, run) -> None:
    # 1,500 causes in a line: the tree stops at MAX_DEPTH (100) levels, the one path is complete.
    n = 1500
    causes = [{"id": f"k{i}", "statement": f"step {i}", "because": [f"k{i + 1}"]} for i in range(n - 1)]
    causes.append({"id": f"k{n - 1}", "statement": "bottom"})
    ch = chain(_incident(causes))
    depth, node = 1, ch.tree[0]
    while node.children:
        depth, node = depth + 1, node.children[0]
    assert (depth, node.cause_id, ch.truncated) == (MAX_DEPTH, f"k{MAX_DEPTH - 1}", True)
    assert ch.paths == [[f"k{i}" for i in range(n)]]
    kb.add_project(Project(slug="p"))
    kb.save_incident(_incident(causes))
    assert run.ok("graph", "chain", "CH-0001", "--json").stdout.startswith("{")
    assert "cut short" in run.ok("graph", "chain", "CH-0001").stdout
