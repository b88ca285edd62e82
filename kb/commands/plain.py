"""What rich would decide about the output without importing rich's console: whether it is a
terminal, its width, and where its word wrapping breaks a line of plain ASCII.

kb.commands._doc.emit writes plain text when `rich_is_terminal` says the output is not a terminal
(cron, CI, `| less`, a script: whole lines, never wrapped), and kb.commands._ansi draws for a
terminal at `rich_width` with these breaks. tests/test_plain_writer.py compares each decision with
rich's Console given the same environment.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from typing import Any

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
