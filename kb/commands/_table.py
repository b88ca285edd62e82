"""Tables for the CLI that never cut an id, a slug or a flag key.

On a terminal: a rich table whose key columns never wrap and are as wide as their longest value;
the other columns wrap first. When the output is not a terminal (a pipe, a file): one line per row,
cells separated by tabs, so `cut`, `grep` and spreadsheets get whole values at any width. That form
is written without importing rich (about a third of a read command's start-up).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

import click

if TYPE_CHECKING:
    from rich.text import Text


class Styled(NamedTuple):
    """A cell in parts, each with a rich style name ("" for none): the styles are drawn only on a terminal."""

    parts: tuple[tuple[str, str], ...]

    @property
    def plain(self) -> str:
        return "".join(text for text, _style in self.parts)


def styled(text: str, style: str = "") -> Styled:
    return Styled(((text, style),))


Cell = str | Styled


def _plain(cell: Cell) -> str:
    """A cell on one line of its own: tabs and newlines as spaces (made printable with the whole table)."""
    text = cell if isinstance(cell, str) else cell.plain
    return text.replace("\t", " ").replace("\n", " ")


def _cell(cell: Cell) -> Text:
    """A cell as rich Text: never read as markup, control characters made visible."""
    from rich.text import Text

    from kb.textsafe import printable

    if isinstance(cell, str):
        return Text(printable(cell))
    return Text.assemble(*((printable(text), style) for text, style in cell.parts))


def print_table(
    headers: Sequence[str], rows: Iterable[Sequence[Cell]], *, keys: Iterable[str] = (), empty: str = ""
) -> None:
    """Print `rows` under `headers`; `keys` names the columns that must stay whole."""
    from kb.commands._common import console, plain_output

    rows = [list(r) for r in rows]
    if not rows:
        if empty:
            click.echo(empty)
        return
    out = None if plain_output() else console()
    if out is None or not out.is_terminal:
        from kb.textsafe import printable

        click.echo(printable("\n".join(["\t".join(headers), *("\t".join(_plain(c) for c in row) for row in rows)])))
        return
    from rich.table import Column, Table

    from kb.textsafe import printable

    whole = set(keys)
    columns = []
    for n, header in enumerate(headers):
        if header in whole:
            width = max(len(header), *(len(printable(_plain(r[n]))) for r in rows))
            columns.append(Column(header, no_wrap=True, min_width=width))
        else:
            columns.append(Column(header, overflow="fold"))
    table = Table(*columns, box=None)
    for row in rows:
        table.add_row(*(_cell(c) for c in row))
    out.print(table)
