"""Tables for the CLI that never cut an id, a slug or a flag key.

On a terminal: a rich table whose key columns never wrap and are as wide as their longest value;
the other columns wrap first. When the output is not a terminal (a pipe, a file): one line per row,
cells separated by tabs, so `cut`, `grep` and spreadsheets get whole values at any width. That form
is written without importing rich (about a third of a read command's start-up).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

import click


class Styled(NamedTuple):
    """A cell in parts, each with a rich style name ("" for none): the styles are drawn only on a terminal."""

    parts: tuple[tuple[str, str], ...]

    @property
    def plain(self) -> str:
        return "".join(text for text, _style in self.parts)


def styled(text: str, style: str = "") -> Styled:
    return Styled(((text, style),))


Cell = str | Styled


def one_line(cell: Cell) -> str:
    """A cell on one line of its own: tabs and newlines as spaces (made printable with the whole output)."""
    text = cell if isinstance(cell, str) else cell.plain
    return text.replace("\t", " ").replace("\n", " ")


def print_table(
    headers: Sequence[str], rows: Iterable[Sequence[Cell]], *, keys: Iterable[str] = (), empty: str = ""
) -> None:
    """Print `rows` under `headers`; `keys` names the columns that must stay whole (a kb.commands._doc
    table, drawn by rich on a terminal and tab-separated otherwise)."""
    from kb.commands._doc import Doc, Grid, emit

    rows = [list(r) for r in rows]
    if not rows:
        if empty:
            click.echo(empty)
        return
    emit(Doc(None, [Grid(headers, rows, keys=tuple(keys))]))
