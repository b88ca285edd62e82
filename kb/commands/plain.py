"""Lines of styled text printed as rich prints them, and without rich's console where it is not needed.

`kb silent` builds each line as (style, text) parts. On a terminal they are printed by rich's Console
as a `rich.text.Text` (colours, the terminal's width). Piped or redirected (cron, CI, `| less`, a
script) rich writes no escape codes, only the text wrapped at the width it finds (COLUMNS, else the
first of stdin, stdout, stderr that is a terminal, else 80); `PlainWriter` writes exactly that
without importing rich's console (about 0.1 s of every run), using rich's own word breaking
(rich._wrap and rich.cells load in a few ms). A line with a tab, which rich expands, goes to rich.

The parts are never rich markup: a user's text prints as written (no `:fire:` turned into an emoji,
no trailing backslash doubled, as markup escaping did), control characters made visible
(kb.textsafe.printable). tests/test_plain_writer.py checks the plain writer against rich's Console
byte for byte on generated lines.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from kb.textsafe import printable

# a part of a line: (a rich style or "", the text as typed; made printable where it is printed)
Part = tuple[str, str]

_WORD = re.compile(r"\s*\S+\s*")  # a word and the space after it (rich._wrap's)


def _std_fd(stream: Any, default: int) -> int:
    try:
        return int(stream.fileno())
    except (AttributeError, TypeError, ValueError, OSError):  # a replaced, closed or detached standard stream
        return default


def rich_decides_alone() -> bool:
    """True where rich's console decides by what kb does not model (Jupyter, Windows' legacy console)."""
    return sys.platform == "win32" or "IPython" in sys.modules or "ipykernel" in sys.modules


def rich_is_terminal(stream: Any, environ: Mapping[str, str]) -> bool | None:
    """rich.Console.is_terminal for `stream`, or None where rich decides alone (rich_decides_alone)."""
    if rich_decides_alone():
        return None
    compatible = environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    force = environ.get("FORCE_COLOR")
    if force is not None:
        return force != ""
    isatty = getattr(stream, "isatty", None)
    try:
        return False if isatty is None else bool(isatty())
    except ValueError:
        return False


def rich_width(environ: Mapping[str, str]) -> int:
    """rich.Console.size's width when not on a terminal: COLUMNS, else a standard stream's terminal, else 80."""
    columns = environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        return int(columns)
    width = None
    for fd in (_std_fd(sys.__stdin__, 0), _std_fd(sys.__stdout__, 1), _std_fd(sys.__stderr__, 2)):
        try:
            width, _ = os.get_terminal_size(fd)
        except (AttributeError, ValueError, OSError):
            continue
        break
    return width or 80


def _ascii_breaks(text: str, width: int) -> list[int]:
    """rich._wrap.divide_line(text, width, fold=True) for ASCII text, where a character is a cell:
    the same steps without measuring cells (rich's cell_len is most of the printing time)."""
    breaks: list[int] = []
    offset = 0  # cells used on the current line
    word = _WORD.match(text, 0)
    while word is not None:
        start, end = word.span()
        length = len(word.group().rstrip())
        if width - offset >= length:
            offset += end - start
        elif length > width:  # folded across lines (rich.cells.chop_cells)
            for cut in range(start, end, width):
                if cut:
                    breaks.append(cut)
                offset = min(width, end - cut)
        elif offset and start:
            breaks.append(start)
            offset = end - start
        word = _WORD.match(text, end)
    return breaks


def wrap(text: str, width: int) -> list[str]:
    """rich.text.Text.wrap's lines for plain text (no tabs), justify "default", overflow "fold"."""
    from kb.commands import _ansi

    return [line.plain for line in _ansi.wrap(_ansi.Text(text), width, pad=False)]


def rich_text(parts: Sequence[Part]) -> Any:
    """The parts as one rich Text, each styled part with its style and every text printable."""
    from rich.text import Text

    return Text.assemble(*((printable(text), style) if style else printable(text) for style, text in parts))


class PlainWriter:
    """Prints lines of parts as rich's Console(highlight=False, soft_wrap=False) prints their Text to a
    non-terminal."""

    def __init__(self, stream: Any, width: int) -> None:
        self.stream = stream
        self.width = width
        self._rich: Any = None

    def line(self, parts: Sequence[Part]) -> None:
        if self.width < 1:  # rich renders nothing, not even the line's end, without a column to print in
            return
        text = "".join(printable(t) for _, t in parts)
        if "\t" in text:  # rich expands tabs to its tab stops: left to rich
            if self._rich is None:
                from rich.console import Console

                self._rich = Console(file=self.stream, width=self.width, highlight=False, soft_wrap=False)
            self._rich.print(rich_text(parts))
            return
        self.stream.write("\n".join(wrap(text, self.width)) + "\n")


def print_lines(lines: Sequence[Sequence[Part]]) -> None:
    """Each line to stdout: plain where rich would write it plain, at a terminal as rich draws it
    (kb.commands._ansi), and through rich's Console where neither models the line or the terminal."""
    stream = sys.stdout
    if rich_is_terminal(stream, os.environ) is False:
        writer = PlainWriter(stream, rich_width(os.environ))
        for parts in lines:
            writer.line(parts)
        return
    from kb.commands import _ansi
    from kb.commands._doc import Doc, Line

    # at a terminal: drawn as rich draws it, without importing rich's console (kb.commands._ansi)
    if _ansi.write(Doc(None, [Line(tuple((text, style) for style, text in parts)) for parts in lines])):
        return
    from rich.console import Console

    out = Console(highlight=False, soft_wrap=False)
    for parts in lines:
        out.print(rich_text(parts))
