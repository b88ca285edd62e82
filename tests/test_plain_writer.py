"""What kb decides about its output without importing rich's console is what rich decides (the
terminal, its width), and a line of `kb silent` reaches a pipe whole and as typed.

rich itself is the reference: each decision is compared with a Console given the same environment.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from kb.commands import _ansi
from kb.commands._doc import Doc, Line, plain
from kb.commands.plain import rich_is_terminal, rich_width


def test_a_user_s_text_prints_as_typed_in_a_pipe_and_at_a_terminal() -> None:
    # rich markup (what kb silent printed through once) turned `:fire:` into an emoji and doubled a
    # backslash at the end of a line; ESC becomes a visible escape, never a terminal command
    doc = Doc(None, [Line(("    ", ("action-debt (+0.5)", "dim"), " oldest ':fire: rollback' by ops\\"))])
    assert plain(doc) == "    action-debt (+0.5) oldest ':fire: rollback' by ops\\\n"
    hostile = Doc(None, [Line((("silent-failure", "bold red"), " \x1b[2J:x:\\"))])
    assert _ansi.draw(hostile, _ansi.Terminal(80, True)) == "\x1b[1;31msilent-failure\x1b[0m \\x1b[2J:x:\\\n"


def test_wrapping_at_a_terminal_worked_by_hand() -> None:
    # words move whole to the next line; a space at a line's end stays while within the width; a
    # word longer than the width is cut; a wide character takes two cells
    def wrap(text: str, width: int) -> list[str]:
        return [line.plain for line in _ansi.wrap(_ansi.Text(text), width, pad=False)]

    assert wrap("aaa bbb ccc", 7) == ["aaa bbb", "ccc"]
    assert wrap("aaa bbb ccc", 6) == ["aaa ", "bbb ", "ccc"]
    assert wrap("aaaa bbb", 4) == ["aaaa", "bbb"]
    assert wrap("abcdefghij", 4) == ["abcd", "efgh", "ij"]
    assert wrap("漢字漢字", 5) == ["漢字", "漢字"]
    assert wrap("one\n\ntwo", 80) == ["one", "", "two"]
    assert wrap("ab abcdefghij x", 4) == ["ab ", "abcd", "efgh", "ij x"]


def test_kb_silent_writes_whole_lines_to_a_pipe_at_any_width(seeded: Path) -> None:
    """The seed's demand-forecast: its flag was switched off on 2026-08-20, 102 days before 2026-11-30
    (11 + 30 + 31 + 30). A narrow COLUMNS must not fold its evidence (a pipe gets whole lines, as every read
    command's does, so `grep` finds each signal with its evidence)."""
    evidence = (
        "    quiet-shutdown (+3) flag forecast-driven-orders disabled in production on 2026-08-20 by "
        "planner-lead@example.com with no comment; no incident within 14 days; off for 102 days"
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "kb",
            "--db",
            str(seeded),
            "silent",
            "--as-of",
            "2026-11-30",
            "--project",
            "demand-forecast",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "40"},
        check=True,
    ).stdout
    [line] = [x for x in out.splitlines() if "quiet-shutdown (+3)" in x]
    assert line == evidence
    assert out.splitlines()[0].startswith("silent-failure demand-forecast  score ")


def test_the_width_is_rich_s() -> None:
    for environ in ({"COLUMNS": "120"}, {"COLUMNS": "33"}, {"COLUMNS": "wide"}, {}):
        expected = Console(file=io.StringIO(), _environ=environ).width
        assert rich_width(environ) == expected, environ


def test_a_terminal_is_what_rich_calls_one() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    for stream in (io.StringIO(), Tty()):
        for environ in (
            {},
            {"FORCE_COLOR": "1"},
            {"FORCE_COLOR": ""},
            {"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1"},
            {"TTY_COMPATIBLE": "1"},
            {"NO_COLOR": "1"},
        ):
            expected = Console(file=stream, _environ=environ).is_terminal
            assert rich_is_terminal(stream, environ) is expected, (type(stream).__name__, environ)
