"""Tables for the CLI that never cut an id, a slug or a flag key.

On a terminal: a rich table whose key columns never wrap and are as wide as their longest value;
the other columns wrap first. When the output is not a terminal (a pipe, a file): one line per row,
cells separated by tabs, so `cut`, `grep` and spreadsheets get whole values at any width.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import click
from rich.text import Text

Cell = str | Text


def _plain(cell: Cell) -> str:
    from kb.textsafe import printable

    text = cell.plain if isinstance(cell, Text) else str(cell)
    return printable(" ".join(text.split("\t")).replace("\n", " "))


def _cell(cell: Cell) -> Text:
    """A cell as rich Text: never read as markup, control characters made visible."""
    from kb.textsafe import printable

    if isinstance(cell, Text):
        return Text(printable(cell.plain), style=cell.style)
    return Text(printable(str(cell)))


def print_table(
    headers: Sequence[str], rows: Iterable[Sequence[Cell]], *, keys: Iterable[str] = (), empty: str = ""
) -> None:
    """Print `rows` under `headers`; `keys` names the columns that must stay whole."""
    from kb.commands._common import console

    rows = [list(r) for r in rows]
    if not rows:
        if empty:
            click.echo(empty)
        return
    out = console()
    if not out.is_terminal:
        click.echo("\t".join(headers))
        for row in rows:
            click.echo("\t".join(_plain(c) for c in row))
        return
    from rich.table import Column, Table

    whole = set(keys)
    columns = []
    for n, header in enumerate(headers):
        if header in whole:
            width = max(len(header), *(len(_plain(r[n])) for r in rows))
            columns.append(Column(header, no_wrap=True, min_width=width))
        else:
            columns.append(Column(header, overflow="fold"))
    table = Table(*columns, box=None)
    for row in rows:
        table.add_row(*(_cell(c) for c in row))
    out.print(table)
