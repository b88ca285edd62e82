"""kb.commands._ansi draws a read command's document at a terminal as rich draws it, byte for byte.

rich is the reference: every document is drawn both ways at the same width (rich through
kb.commands._doc.renderables, the form kb used before) and the outputs compared. The documents are
the read commands' own, built from a real portfolio, and generated ones: words, runs of spaces, long
words, wide and combining characters, markup-looking text, newlines and control characters, in the
styles kb uses, in fields, tables with whole key columns, trees and panels.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rich.console import Console

from kb.commands import _ansi
from kb.commands._doc import Branches, Doc, Fields, Grid, Line, Node, Styled, renderables

ROOT = Path(__file__).resolve().parents[1]


def rich_draw(doc: Doc, width: int, no_color: bool = False) -> str:
    buf = io.StringIO()
    console = Console(
        file=buf,
        width=width,
        force_terminal=True,
        color_system="standard",
        highlight=False,
        soft_wrap=False,
        legacy_windows=False,
        no_color=no_color,
    )
    for renderable in renderables(doc):
        console.print(renderable)
    return buf.getvalue()


def kb_draw(doc: Doc, width: int, no_color: bool = False) -> str | None:
    try:
        return _ansi.draw(doc, _ansi.Terminal(width, not no_color))
    except _ansi.Unsupported:
        return None


_WORD = st.text(st.sampled_from([*"abcdefghijklmnopqrstuvwxyz-_./:0123456789"]), min_size=1, max_size=14)
_LONG_WORD = st.text(st.sampled_from([*"abcdefgh-_."]), min_size=20, max_size=70)
_ODD = st.sampled_from(
    ["漢字", "é", "e\u0301", "🚀", "\u00a0", "—", "…", "[bold]x[/]", ":fire:", "\x1b[31m", "\n", "  "]
)
_TEXT = st.lists(st.one_of(_WORD, _WORD, _WORD, _LONG_WORD, _ODD), max_size=12).map(" ".join)
_STYLE = st.sampled_from(["", "", "dim", "bold", "bold red", "yellow", "green", "cyan", "bold cyan", "red"])
_PARTS = st.lists(st.one_of(_TEXT, st.tuples(_TEXT, _STYLE)), min_size=1, max_size=3).map(tuple)
_CELL = st.one_of(_TEXT, st.lists(st.tuples(_TEXT, _STYLE), min_size=1, max_size=3).map(lambda p: Styled(tuple(p))))
_NAME = st.text(st.sampled_from([*"abcdefghij "]), min_size=1, max_size=16)
_KEY = st.text(st.sampled_from([*"abcdef-0123"]), min_size=1, max_size=24)


@st.composite
def _grid(draw: st.DrawFn) -> Grid:
    n = draw(st.integers(1, 5))
    headers = draw(st.lists(_NAME, min_size=n, max_size=n, unique=True))
    keys = [h for h in headers if draw(st.booleans()) and draw(st.booleans())]
    rows = [[draw(_KEY) if h in keys else draw(_CELL) for h in headers] for _ in range(draw(st.integers(0, 6)))]
    return Grid(headers, rows, title=draw(st.one_of(st.just(""), _NAME)), keys=keys)


def _nodes(depth: int) -> st.SearchStrategy[tuple[Node, ...]]:
    child = st.builds(Line, _PARTS)
    if depth == 0:
        return st.lists(st.builds(Node, child), max_size=3).map(tuple)
    return st.lists(st.builds(Node, child, _nodes(depth - 1)), max_size=3).map(tuple)


_BLOCK = st.one_of(
    st.builds(Line, _PARTS),
    st.builds(Fields, st.lists(st.tuples(_NAME, _CELL), max_size=6)),
    _grid(),
    st.builds(Branches, st.builds(Line, _PARTS), _nodes(2)),
)
_DOC = st.builds(Doc, st.one_of(st.none(), st.builds(Line, _PARTS)), st.lists(_BLOCK, min_size=1, max_size=4))


@settings(max_examples=200, deadline=None)
@given(_DOC, st.integers(min_value=20, max_value=200))
# a field name with a leading space is one word longer than its column: cut with "…", not wrapped
@example(Doc(Line(("",)), [Fields([("a", "00000000"), (" aaaaaa", "")])]), 20)
def test_a_document_is_drawn_as_rich_draws_it(doc: Doc, width: int) -> None:
    drawn = kb_draw(doc, width)
    if drawn is not None:  # else rich draws it
        assert drawn == rich_draw(doc, width)


@settings(max_examples=60, deadline=None)
@given(_DOC, st.integers(min_value=40, max_value=160))
def test_no_color_keeps_attributes_and_drops_colours(doc: Doc, width: int) -> None:
    drawn = kb_draw(doc, width, no_color=True)
    if drawn is not None:
        assert drawn == rich_draw(doc, width, no_color=True)


def test_the_styles_kb_uses_have_rich_s_codes() -> None:
    # worked from ECMA-48 and rich.style: bold 1, dim 2, italic 3, red 31, bright cyan 96, on blue 44
    assert _ansi.sgr(_ansi.style("bold red"), True) == "1;31"
    assert _ansi.sgr(_ansi.style("dim"), True) == "2"
    assert _ansi.sgr(_ansi.style("italic bright_cyan on blue"), True) == "3;96;44"
    assert _ansi.sgr(_ansi.style("bold red"), False) == "1"
    with pytest.raises(_ansi.Unsupported):
        _ansi.style("grey50")  # an 8-bit colour: its code depends on the terminal's colours, so rich draws


# --- the read commands' own documents ---------------------------------------------------------------

COMMANDS = [
    ["incident", "show", "SEED-0001"],
    ["incident", "show", "SEED-0005"],
    ["incident", "list"],
    ["search", "latency"],
    ["incident", "history", "SEED-0001"],
    ["taxonomy", "list"],
    ["taxonomy", "show", "ops.no-monitoring"],
    ["flags", "list"],
    ["flags", "unmapped"],
    ["health", "show", "card-fraud-flagger"],
    ["project", "show", "card-fraud-flagger"],
    ["project", "history", "card-fraud-flagger"],
    ["silent", "--as-of", "2026-09-30"],
]


@pytest.mark.parametrize("width", [72, 160])
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_read_command_at_a_terminal_prints_what_rich_printed(seeded: Path, command: list[str], width: int) -> None:
    """The whole process at a terminal (TTY_COMPATIBLE=1): kb's renderer against rich drawing the same
    command's documents (KB_RENDERER=rich, the escape hatch docs/cli.md describes)."""
    env = {**os.environ, "TTY_COMPATIBLE": "1", "COLUMNS": str(width), "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    env.pop("FORCE_COLOR", None)
    env["PYTHONPATH"] = str(ROOT)
    run = [sys.executable, "-X", "importtime", "-m", "kb", "--db", str(seeded), *command]
    done = subprocess.run(run, capture_output=True, text=True, env=env, check=True)
    rich_form = subprocess.run(
        run[:1] + run[3:], capture_output=True, text=True, env={**env, "KB_RENDERER": "rich"}, check=True
    )
    assert done.stdout == rich_form.stdout
    assert "\x1b[" in done.stdout  # drawn for a terminal, not the plain form
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "rich.console" not in imported
