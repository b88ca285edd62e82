"""A taxonomy picker: the category/mode tree, narrowed by fuzzy search on code, name and signal words.

The search is the taxonomy's own (`Taxonomy.search`), so the picker, the CLI and the browser agree on
what matches. Choosing a mode posts `TaxonomyPicker.Picked`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Tree

MAX_MATCHES = 40


class TaxonomyPicker(Vertical):
    DEFAULT_CSS = """
    TaxonomyPicker { height: 1fr; }
    TaxonomyPicker > Input { border: tall $primary 40%; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "to_tree", "Into the tree", id="picker.to_tree", show=False)
    ]

    @dataclass
    class Picked(Message):
        code: str

    @dataclass
    class Highlighted(Message):
        code: str | None

    def __init__(self, taxonomy: Any = None, *, counts: dict[str, int] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.taxonomy = taxonomy
        self.counts = counts or {}

    def compose(self) -> ComposeResult:
        yield Input(placeholder="find a mode: code, name or signal words…", classes="picker-search")
        tree: Tree[str] = Tree("taxonomy", classes="picker-tree")
        tree.show_root = False
        yield tree

    def on_mount(self) -> None:
        self.refill()

    def action_to_tree(self) -> None:
        """Down from the find box moves into the tree (the tree handles its own Down)."""
        self.query_one(Tree).focus()

    def set_taxonomy(self, taxonomy: Any, counts: dict[str, int] | None = None) -> None:
        self.taxonomy = taxonomy
        self.counts = counts or {}
        self.refill()

    def _label(self, mode: Any) -> Text:
        label = Text()
        label.append(mode.code, style="bold")
        label.append(f"  {mode.name}")
        n = self.counts.get(mode.code)
        if n:
            label.append(f"  ({n})", style="cyan")
        return label

    def refill(self) -> None:
        tree: Tree[str] = self.query_one(Tree)
        tree.clear()
        if self.taxonomy is None:
            tree.root.add_leaf(Text("loading the taxonomy…", style="dim"))
            return
        query = self.query_one(Input).value.strip()
        if query:
            matches = self.taxonomy.search(query)[:MAX_MATCHES]
            for mode in matches:
                tree.root.add_leaf(self._label(mode), data=mode.code)
            if not matches:
                tree.root.add_leaf(Text("no mode matches", style="dim"))
        else:
            for cat in self.taxonomy.categories:
                node = tree.root.add(Text(f"{cat.code}  {cat.name}", style="bold"), data=None, expand=False)
                for mode in self.taxonomy.modes_in(cat.code):
                    node.add_leaf(self._label(mode), data=mode.code)
        tree.root.expand()

    def reveal(self, code: str) -> None:
        """Expand the category of `code` and move the cursor onto it."""
        tree: Tree[str] = self.query_one(Tree)
        for cat in tree.root.children:
            for leaf in cat.children:
                if leaf.data == code:
                    cat.expand()
                    self.call_after_refresh(tree.move_cursor, leaf)
                    return

    @on(Input.Changed)
    def _search(self, event: Input.Changed) -> None:
        event.stop()
        self.refill()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        """Enter in the search box picks the best match."""
        event.stop()
        tree: Tree[str] = self.query_one(Tree)
        first = next((n for n in tree.root.children if n.data), None)
        if first is not None and first.data:
            self.post_message(self.Picked(first.data))

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected[str]) -> None:
        event.stop()
        if event.node.data:
            self.post_message(self.Picked(event.node.data))

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        event.stop()
        self.post_message(self.Highlighted(event.node.data))
