"""kb.ops.review.chain_steps: an incident's causal tree as the review's flat steps, each cause once, in tree order."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from kb.ops.review import chain_steps


def _node(cause_id: str, *children: Any, repeat: bool = False) -> Any:
    return SimpleNamespace(
        cause_id=cause_id,
        statement=f"{cause_id} happened",
        mode=None,
        trigger=cause_id == "A",
        root=not children,
        children=list(children),
        repeat=repeat,
    )


def test_each_cause_once_before_the_causes_behind_it() -> None:
    # A <- B <- D <- E and A <- C <- D again (shared), C <- F marked as a repeat; G is a second top
    d = _node("D", _node("E"))
    tree = [_node("A", _node("B", d), _node("C", d, _node("F", repeat=True))), _node("G")]
    steps = chain_steps(SimpleNamespace(tree=tree))
    assert [(s.id, s.because) for s in steps] == [
        ("A", ["B", "C"]),
        ("B", ["D"]),
        ("D", ["E"]),
        ("E", []),
        ("C", ["D", "F"]),
        ("G", []),
    ]
    assert [s.id for s in steps if s.trigger] == ["A"] and [s.id for s in steps if s.root] == ["E", "G"]
