"""kb.commands.plain writes what rich's Console writes to a non-terminal, byte for byte.

rich itself is the reference: each generated line is printed both ways at the same width, and the
widths and terminal decisions are compared with a Console given the same environment. A user's text
prints as typed on both paths.
"""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from kb.commands.plain import PlainWriter, rich_is_terminal, rich_text, rich_width, wrap

# what a user may type into a title, a flag key or a name: words, runs of spaces, rich's markup and
# escape characters, wide (CJK) and zero-width (combining) characters, emoji, no-break spaces,
# newlines, and control characters (which kb writes as visible escapes)
_CHARS = st.sampled_from(
    [
        *"abcdefghij ABC  0123456789-_.,;()[]/\\'\"=<>+%#@",
        *["漢", "字", "é", "\u0301", "🚀", "\u00a0", "\u3000", "—", "…"],
        *["\n", "\x1b", "\r", "\x7f"],
    ]
)
# mostly ASCII (printed without rich's cell measure), sometimes not
_TEXT = st.one_of(
    st.text(st.sampled_from([*"abcdefghij ABC  0123456789-_.,;()[]/\\'\"=<>+%#@", "\n", "\x1b"]), max_size=90),
    st.text(_CHARS, max_size=90),
)
_STYLES = st.sampled_from(["", "dim", "bold", "bold red", "yellow", "green"])
_PARTS = st.lists(st.tuples(_STYLES, _TEXT), min_size=1, max_size=4)


def _rich(parts: list[tuple[str, str]], width: int) -> str:
    buf = io.StringIO()
    Console(file=buf, width=width, highlight=False, soft_wrap=False).print(rich_text(parts))
    return buf.getvalue()


def _plain(parts: list[tuple[str, str]], width: int) -> str:
    buf = io.StringIO()
    PlainWriter(buf, width).line(parts)
    return buf.getvalue()


@settings(max_examples=400, deadline=None)
@given(_PARTS, st.integers(min_value=0, max_value=130))
def test_a_line_prints_as_rich_prints_it(parts: list[tuple[str, str]], width: int) -> None:
    assert _plain(parts, width) == _rich(parts, width)


@settings(max_examples=100, deadline=None)
@given(_PARTS, st.sampled_from(["\t", "a\tb", "\t\t", "漢\t"]), st.integers(5, 100))
def test_a_line_with_a_tab_prints_as_rich_prints_it(parts: list[tuple[str, str]], tab: str, width: int) -> None:
    parts = [*parts, ("", tab)]
    assert _plain(parts, width) == _rich(parts, width)


def test_a_user_s_text_prints_as_typed_on_both_paths() -> None:
    # rich markup (what kb silent printed through before) turned `:fire:` into an emoji and doubled
    # a backslash at the end of a line; ESC becomes a visible escape, never a terminal command
    parts = [("dim", "action-debt (+0.5)"), ("", " oldest ':fire: rollback' by ops\\")]
    assert _plain(parts, 80) == "action-debt (+0.5) oldest ':fire: rollback' by ops\\\n"
    assert _rich(parts, 80) == _plain(parts, 80)
    terminal = io.StringIO()
    Console(file=terminal, width=80, force_terminal=True, color_system="standard", highlight=False).print(
        rich_text([("bold red", "silent-failure"), ("", " \x1b[2J:x:\\")])
    )
    assert terminal.getvalue() == "\x1b[1;31msilent-failure\x1b[0m \\x1b[2J:x:\\\n"


def test_wrapping_worked_by_hand() -> None:
    # words move whole to the next line; a space at a line's end stays while within the width; a
    # word longer than the width is cut; a wide character takes two cells
    assert wrap("aaa bbb ccc", 7) == ["aaa bbb", "ccc"]
    assert wrap("aaa bbb ccc", 6) == ["aaa ", "bbb ", "ccc"]
    assert wrap("aaaa bbb", 4) == ["aaaa", "bbb"]
    assert wrap("abcdefghij", 4) == ["abcd", "efgh", "ij"]
    assert wrap("漢字漢字", 5) == ["漢字", "漢字"]
    assert wrap("one\n\ntwo", 80) == ["one", "", "two"]
    assert wrap("ab abcdefghij x", 4) == ["ab ", "abcd", "efgh", "ij x"]
    assert _plain([("", "any")], 0) == ""  # no column to print in: rich prints nothing


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
