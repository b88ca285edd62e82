"""The cause chain as a Tree: what happened at the top, the causes behind it underneath.

Used by the incident editor while a chain is being built (from plain cause dicts) and by the graph
view (from the graph's `Chain.tree`). A cause reached twice is shown twice but expanded once, so a
half-built chain with a loop never recurses forever.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from kb.rules import CauseNode, cause_tree


def cause_label(cause_id: str, statement: str, mode: str | None, trigger: bool = False) -> Text:
    label = Text()
    label.append(f"{cause_id} ", style="bold")
    if trigger:
        label.append("TRIGGER ", style="bold white on dark_orange")
    label.append(statement)
    if mode:
        label.append(f"  [{mode}]", style="cyan")
    return label


class CauseTree(Tree[str]):
    """`node.data` is the cause id, so selecting a node tells the editor which cause to edit."""

    def __init__(self, title: str = "cause chain", **kwargs: Any) -> None:
        super().__init__(title, **kwargs)
        self.show_root = True
        self.guide_depth = 3

    def show_causes(self, causes: Sequence[Mapping[str, Any]]) -> None:
        """Causes as the editor holds them (dicts with id, statement, mode, trigger, because), in the
        order every face draws a cause tree (kb.rules.cause_tree); a cause reached again is a leaf."""
        self.clear()
        by_id = {c["id"]: c for c in causes}

        def add(parent: TreeNode[str], n: CauseNode) -> None:
            cause = by_id[n.id]
            label = cause_label(n.id, cause.get("statement", ""), cause.get("mode"), cause.get("trigger", False))
            if not n.children:
                parent.add_leaf(label, data=n.id)
                return
            node = parent.add(label, data=n.id, expand=True)
            for child in n.children:
                add(node, child)

        order = [c["id"] for c in causes]
        because = {c["id"]: list(c.get("because", [])) for c in causes}
        for n in cause_tree(order, because, [c["id"] for c in causes if c.get("trigger", False)]):
            add(self.root, n)
        self.root.expand()

    def show_chain(self, nodes: Sequence[Any]) -> None:
        """The graph's nested chain nodes (objects or dicts with cause_id, statement, mode, children)."""
        self.clear()

        def get(node: Any, name: str) -> Any:
            return node.get(name) if isinstance(node, Mapping) else getattr(node, name, None)

        def add(parent: TreeNode[str], node: Any, depth: int) -> None:
            label = cause_label(str(get(node, "cause_id")), str(get(node, "statement") or ""), get(node, "mode"))
            children = list(get(node, "children") or [])
            if not children or depth > 32:
                parent.add_leaf(label, data=str(get(node, "cause_id")))
                return
            branch = parent.add(label, data=str(get(node, "cause_id")), expand=True)
            for child in children:
                add(branch, child, depth + 1)

        for node in nodes:
            add(self.root, node, 0)
        self.root.expand()
