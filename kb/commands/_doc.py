"""What a read command shows, written once and drawn two ways.

A command builds a `Doc` (a title and blocks: fields, paragraphs, tables, trees) from plain strings
with rich style names beside them. `emit` draws it with rich on a terminal (a panel when it has a
title), and writes it as plain text otherwise: a pipe or a file gets whole values, a tab between
cells and between a field's name and value, two spaces per level of a tree, and no rich import
(about a third of a read command's start-up). User text is never read as markup on either path,
and control characters are made visible on both (kb.textsafe.printable).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import click

from kb.commands._table import Cell, Styled, one_line, print_table

if TYPE_CHECKING:
    from rich.console import RenderableType

Part = str | tuple[str, str]  # text, or (text, rich style name)


class Line(NamedTuple):
    parts: tuple[Part, ...]


class Fields(NamedTuple):
    """Names and values, one per line."""

    rows: Sequence[tuple[str, Cell]]


class Grid(NamedTuple):
    """A table; `keys` names the columns never cut or wrapped."""

    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    title: str = ""
    keys: Sequence[str] = ()


class Node(NamedTuple):
    line: Line
    children: Sequence[Node] = ()


class Branches(NamedTuple):
    """A tree under a root line."""

    root: Line
    nodes: Sequence[Node]


Block = Line | Fields | Grid | Branches


class Doc(NamedTuple):
    title: Line | None
    blocks: Sequence[Block]


def line(*parts: Part) -> Line:
    return Line(parts)


def _text(parts: Sequence[Part]) -> str:
    return "".join(p if isinstance(p, str) else p[0] for p in parts)


def _cell_text(cell: Cell) -> str:
    return cell if isinstance(cell, str) else cell.plain


def emit(doc: Doc) -> None:
    """Draw `doc` on stdout: plain text in a pipe; at a terminal kb.commands._ansi draws what rich would,
    and rich itself where that renderer does not model the document or terminal (or KB_RENDERER=rich)."""
    import os
    import sys

    from kb.commands._common import console
    from kb.commands.plain import rich_is_terminal

    tty = rich_is_terminal(sys.stdout, os.environ)  # decided without importing rich
    if tty is False:
        click.echo(plain(doc), nl=False)
        return
    if tty:
        from kb.commands import _ansi

        if _ansi.write(doc):
            return
    out = console()
    if not out.is_terminal:
        click.echo(plain(doc), nl=False)
        return
    for renderable in renderables(doc):
        out.print(renderable)


def renderables(doc: Doc) -> list[RenderableType]:
    """What rich draws for `doc`: a panel when it has a title, else its blocks with a blank line
    before each that is not a line of text."""
    body = [_rich(b) for b in doc.blocks]
    spaced: list[Any] = []
    for n, renderable in enumerate(body):
        if n and not (isinstance(doc.blocks[n], Line) and isinstance(doc.blocks[n - 1], Line)):
            spaced.append("")
        spaced.append(renderable)
    if doc.title is None:
        return spaced
    from rich.console import Group
    from rich.panel import Panel

    return [Panel(Group(*spaced), title=_rich_text(doc.title.parts), title_align="left")]


def key_widths(grid: Grid) -> list[int | None]:
    """Each key column's width, as wide as its header and its longest value (shown whole, never wrapped
    or cut); None for the other columns, which wrap."""
    from kb.textsafe import printable

    whole = set(grid.keys)
    return [
        max([len(header), *(len(printable(one_line(r[n]))) for r in grid.rows)]) if header in whole else None
        for n, header in enumerate(grid.headers)
    ]


def plain(doc: Doc) -> str:
    """The plain-text form of `doc` (what a pipe gets), made printable once, as a whole."""
    from kb.textsafe import printable

    out: list[str] = []
    if doc.title is not None:
        out.append(_text(doc.title.parts))
    for n, block in enumerate(doc.blocks):
        if out and not (isinstance(block, Line) and n and isinstance(doc.blocks[n - 1], Line)):
            out.append("")
        if isinstance(block, Line):
            out.append(_text(block.parts))
        elif isinstance(block, Fields):
            out.extend(f"{name}\t{one_line(value)}" for name, value in block.rows)
        elif isinstance(block, Grid):
            if block.title:
                out.append(block.title)
            out.append("\t".join(block.headers))
            out.extend("\t".join(one_line(c) for c in row) for row in block.rows)
        else:
            out.append(_text(block.root.parts))
            _plain_nodes(block.nodes, 1, out)
    return printable("".join(f"{x}\n" for x in out))


def _plain_nodes(nodes: Sequence[Node], depth: int, out: list[str]) -> None:
    for node in nodes:
        out.append("  " * depth + one_line(_text(node.line.parts)))
        _plain_nodes(node.children, depth + 1, out)


def _rich_text(parts: Sequence[Part]) -> Any:
    from rich.text import Text

    from kb.textsafe import printable

    return Text.assemble(*((printable(p), "") if isinstance(p, str) else (printable(p[0]), p[1]) for p in parts))


def _rich_cell(cell: Cell) -> Any:
    if isinstance(cell, str):
        return _rich_text((cell,))
    return _rich_text(cell.parts)


def _rich(block: Block) -> RenderableType:
    from rich.table import Column, Table

    if isinstance(block, Line):
        return _rich_text(block.parts)  # type: ignore[no-any-return]
    if isinstance(block, Fields):
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim")
        grid.add_column()
        for name, value in block.rows:
            grid.add_row(name, _rich_cell(value))
        return grid
    if isinstance(block, Grid):
        columns = [
            Column(header, overflow="fold") if width is None else Column(header, no_wrap=True, min_width=width)
            for header, width in zip(block.headers, key_widths(block), strict=True)
        ]
        table = Table(*columns, box=None, title=block.title or None, title_justify="left")
        for row in block.rows:
            table.add_row(*(_rich_cell(c) for c in row))
        return table
    from rich.tree import Tree

    tree = Tree(_rich_text(block.root.parts))

    def add(parent: Any, nodes: Sequence[Node]) -> None:
        for node in nodes:
            add(parent.add(_rich_text(node.line.parts)), node.children)

    add(tree, block.nodes)
    return tree


__all__ = [
    "Branches",
    "Cell",
    "Doc",
    "Fields",
    "Grid",
    "Line",
    "Node",
    "Styled",
    "emit",
    "line",
    "plain",
    "print_table",
]
