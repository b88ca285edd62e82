"""A read command's document drawn for a terminal as rich draws it, without importing rich's console.

At a terminal, rich cost a read command more than everything else it does: importing rich's console
about 70-110 ms, laying out and printing a document another 40-130 ms (bench/README.md, session 8).
kb's documents (kb.commands._doc) use a small part of rich: text in named styles, tables without
borders (a header row, or a two-column grid), trees and a rounded panel with a title. This module
draws exactly that part the way rich does: rich's column-width rules (Table._calculate_column_widths,
_collapse_widths, rich._ratio.ratio_reduce), its word wrapping (rich._wrap.divide_line and
Text.wrap's trimming and folding), its tree guides and panel borders, and its SGR codes for the
sixteen standard colours and the text attributes.

What it does not model it refuses (`Unsupported`), and rich draws the document instead: tabs (rich
expands them), markup-looking headers and names (rich reads them as markup), style words other than
attributes and the standard colours, key columns wider than the terminal (rich cuts them with an
ellipsis), a non-UTF-8 or "dumb" terminal, Windows and Jupyter.

tests/test_ansi_render.py draws kb's own documents and generated ones at many widths both ways and
compares what a terminal would show, character by character and style by style.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, NamedTuple, TextIO

from kb.commands._table import Cell
from kb.textsafe import printable

if TYPE_CHECKING:
    from kb.commands._doc import Block, Doc, Node, Part


class Unsupported(Exception):
    """The document or the terminal has something this renderer does not draw as rich would."""


class Sty(NamedTuple):
    """A resolved style: rich's attribute bits, and SGR codes for the colours ("" for none)."""

    bits: int = 0
    fg: str = ""
    bg: str = ""

    def __add__(self, other: object) -> Sty:  # type: ignore[override]
        assert isinstance(other, Sty)
        return Sty(self.bits | other.bits, other.fg or self.fg, other.bg or self.bg)


NULL = Sty()
Seg = tuple[str, Sty]
Row = list[Seg]  # one line on screen, without its end

# rich.style.Style.STYLE_ATTRIBUTES, in rich's bit order, and the SGR code of each bit
_ATTRIBUTES = {
    "bold": 0, "b": 0, "dim": 1, "d": 1, "italic": 2, "i": 2, "underline": 3, "u": 3, "blink": 4,
    "blink2": 5, "reverse": 6, "r": 6, "conceal": 7, "c": 7, "strike": 8, "s": 8, "underline2": 9,
    "uu": 9, "frame": 10, "encircle": 11, "overline": 12, "o": 12,
}  # fmt: skip
_SGR = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "21", "51", "52", "53")
_COLOURS = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")
_STYLES: dict[str, Sty] = {}

BOLD = Sty(1 << 0)
ITALIC = Sty(1 << 2)


def _colour(word: str, background: bool) -> str:
    """rich.color.Color.get_ansi_codes for "default" and the sixteen standard colours."""
    if word == "default":
        return "49" if background else "39"
    bright = word.startswith("bright_")
    name = word[7:] if bright else word
    if name not in _COLOURS:
        raise Unsupported(f"colour {word!r}")
    number = _COLOURS.index(name) + (8 if bright else 0)
    base = (40, 92) if background else (30, 82)
    return str((base[0] if number < 8 else base[1]) + number)


def style(name: str) -> Sty:
    """rich.style.Style.parse for attribute words, standard colours and `on COLOUR`."""
    if name in _STYLES:
        return _STYLES[name]
    bits, fg, bg = 0, "", ""
    words = iter(name.lower().split())
    for word in words:
        if word in _ATTRIBUTES:
            bits |= 1 << _ATTRIBUTES[word]
        elif word == "on":
            bg = _colour(next(words, ""), True)
        elif word in ("none", ""):
            continue
        else:
            fg = _colour(word, False)
    _STYLES[name] = Sty(bits, fg, bg)
    return _STYLES[name]


def sgr(sty: Sty, colour: bool) -> str:
    codes = [_SGR[bit] for bit in range(len(_SGR)) if sty.bits & (1 << bit)]
    if colour:
        codes += [c for c in (sty.fg, sty.bg) if c]
    return ";".join(codes)


# --- the terminal ---------------------------------------------------------------------------------


class Terminal(NamedTuple):
    width: int
    colour: bool  # False under NO_COLOR: attributes stay, colours go (rich's Segment.remove_color)


def terminal(stream: object, environ: Mapping[str, str]) -> Terminal:
    """What rich.Console(highlight=False, soft_wrap=False) would find, for a stream rich calls a terminal."""
    from kb.commands.plain import rich_decides_alone, rich_width

    if rich_decides_alone():
        raise Unsupported("Windows or Jupyter")
    if environ.get("TERM", "").lower() in ("dumb", "unknown"):
        raise Unsupported("a dumb terminal")
    encoding = (getattr(stream, "encoding", None) or "utf-8").lower()
    if not encoding.startswith("utf"):
        raise Unsupported(f"encoding {encoding}")
    return Terminal(rich_width(environ), environ.get("NO_COLOR", "") == "")


# --- text ----------------------------------------------------------------------------------------

_WHITESPACE_END = re.compile(r"\s+$")


def _cells(text: str) -> int:
    if text.isascii():
        return len(text)
    from rich.cells import cell_len

    return int(cell_len(text))


def _breaks(text: str, width: int, fold: bool) -> list[int]:
    """rich._wrap.divide_line: where `text` wraps at `width` (a word longer than the width folded, or
    left whole to be cut with an ellipsis)."""
    # rich's words keep the spaces before them (a leading space makes a word longer than the width)
    from kb.commands.plain import _WORD, _ascii_breaks  # the same steps, without measuring cells

    if text.isascii() and (fold or all(len(w.group().rstrip()) <= width for w in _WORD.finditer(text))):
        return _ascii_breaks(text, width)
    from rich._wrap import divide_line

    return list(divide_line(text, width, fold=fold))


class Text:
    """rich.text.Text reduced to what kb draws: its characters, spans of style over them (a styled part
    each) and a base style. Segments are cut where rich cuts them (at every span's ends), so the codes
    written are rich's byte for byte."""

    __slots__ = ("base", "plain", "spans")

    def __init__(self, plain: str, spans: list[tuple[int, int, Sty]] | None = None, base: Sty = NULL) -> None:
        self.plain = plain
        self.spans = spans or []
        self.base = base

    @classmethod
    def of(cls, parts: Sequence[Part], base: Sty = NULL) -> Text:
        """Text.assemble of the parts, each made printable; a part with a style name is a span."""
        plain: list[str] = []
        spans: list[tuple[int, int, Sty]] = []
        at = 0
        for part in parts:
            text, name = (part, "") if isinstance(part, str) else part
            if "\t" in text:
                raise Unsupported("a tab")
            text = printable(text)
            if text and name:
                spans.append((at, at + len(text), style(name)))
            plain.append(text)
            at += len(text)
        return cls("".join(plain), spans, base)

    def divide(self, offsets: Sequence[int]) -> list[Text]:
        """Text.divide: the pieces between `offsets`, each with the spans over it."""
        bounds = [0, *offsets, len(self.plain)]
        out = []
        for lo, hi in pairwise(bounds):
            spans = [(max(a, lo) - lo, min(b, hi) - lo, sty) for a, b, sty in self.spans if a < hi and b > lo]
            out.append(Text(self.plain[lo:hi], spans, self.base))
        return out

    def split_lines(self) -> list[Text]:
        """Text.split("\\n", allow_blank=True): the lines, without their newlines."""
        newlines = [m.start() for m in re.finditer("\n", self.plain)]
        if not newlines:
            return [Text(self.plain, list(self.spans), self.base)]  # a copy, as divide's pieces are
        return self.divide([x for n in newlines for x in (n, n + 1)])[::2]

    def cut(self, length: int) -> None:
        """The first `length` characters (Text.right_crop and the plain setter's span trimming)."""
        self.plain = self.plain[:length]
        self.spans = [(a, min(b, length), sty) for a, b, sty in self.spans if a < length]

    def segments(self) -> Row:
        """Text.render: a segment between every two span ends, in the base style plus the spans over it."""
        text = self.plain
        if not text:
            return []
        marks = sorted({0, len(text), *(x for a, b, _ in self.spans for x in (a, b))})
        out: Row = []
        for lo, hi in pairwise(marks):
            if hi > len(text) or lo >= hi:
                continue
            sty = self.base
            for a, b, span in self.spans:
                if a <= lo and b >= hi:
                    sty = sty + span
            out.append((text[lo:hi], sty))
        return out


def _cell_parts(cell: Cell) -> Sequence[Part]:
    return (cell,) if isinstance(cell, str) else cell.parts


def _plain(segs: Row) -> str:
    return "".join(text for text, _ in segs)


def _cell_cut(text: str, width: int) -> str:
    """rich.cells.set_cell_size, cutting only: the first `width` cells (a halved wide character a space)."""
    if text.isascii():
        return text[:width]
    from rich.cells import set_cell_size

    return str(set_cell_size(text, width))


def wrap(text: Text, width: int, pad: bool, fold: bool = True) -> list[Text]:
    """rich.text.Text.wrap (no tabs): word-wrapped lines, each trimmed of whitespace past `width`, then
    folded to it (overflow "fold") or cut with an ellipsis (overflow "ellipsis"); `pad` fills each line
    with spaces to `width` (justify "left")."""
    lines: list[Text] = []
    for piece in text.split_lines():
        for line in piece.divide(_breaks(piece.plain, width, fold)):
            plain = line.plain
            if len(plain) > width:  # Text.rstrip_end counts characters
                space = _WHITESPACE_END.search(plain)
                if space is not None:
                    line.cut(len(plain) - min(len(space.group()), len(plain) - width))
            cells = _cells(line.plain)
            if cells > width:
                # Text.truncate; an ellipsis takes the place, and the spans, of the character it replaces
                _replace(line, _cell_cut(line.plain, width) if fold else _cell_cut(line.plain, width - 1) + "…")
                cells = _cells(line.plain)
            if pad and cells < width:
                line.plain += " " * (width - cells)
            lines.append(line)
    return lines


def _replace(line: Text, plain: str) -> None:
    """Text's plain setter: new characters, the spans trimmed to them when there are fewer."""
    if len(plain) < len(line.plain):
        line.cut(len(plain))
    line.plain = plain


# --- tables --------------------------------------------------------------------------------------


class Column(NamedTuple):
    header: str
    style: Sty
    no_wrap: bool
    min_width: int | None
    pad: tuple[int, int]  # spaces left and right of every cell
    fold: bool = False  # a word wider than the column folded onto the next line, not cut with "…"


def _longest_line(text: Text) -> int:
    """rich.text.Text.__rich_measure__'s maximum, in cells: a column is as wide as its longest line
    (its minimum, the longest word, never sets a width here)."""
    return max((_cells(x) for x in text.plain.splitlines()), default=0)


def ratio_reduce(total: int, ratios: list[int], maximums: list[int], values: list[int]) -> list[int]:
    """rich._ratio.ratio_reduce (rich._ratio imports fractions and decimal, more than it does here)."""
    ratios = [ratio if maximum else 0 for ratio, maximum in zip(ratios, maximums, strict=True)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return values[:]
    remaining = total
    result = []
    for ratio, maximum, value in zip(ratios, maximums, values, strict=True):
        if ratio and total_ratio > 0:
            distributed = min(maximum, round(ratio * remaining / total_ratio))
            result.append(value - distributed)
            remaining -= distributed
            total_ratio -= ratio
        else:
            result.append(value)
    return result


def _collapse(widths: list[int], wrapable: list[bool], max_width: int) -> list[int]:
    """rich.table.Table._collapse_widths."""
    total = sum(widths)
    excess = total - max_width
    if any(wrapable):
        while total and excess > 0:
            top = max(w for w, ok in zip(widths, wrapable, strict=True) if ok)
            second = max(w if ok and w != top else 0 for w, ok in zip(widths, wrapable, strict=True))
            difference = top - second
            ratios = [1 if (w == top and ok) else 0 for w, ok in zip(widths, wrapable, strict=True)]
            if not any(ratios) or not difference:
                break
            widths = ratio_reduce(excess, ratios, [min(excess, difference)] * len(widths), widths)
            total = sum(widths)
            excess = total - max_width
    return widths


def table(columns: list[Column], header: bool, rows: list[list[Text]], max_width: int) -> list[Row]:
    """rich.table.Table without a box, its columns left-justified, at most `max_width` wide."""
    cells = [([Text(c.header)] if header else []) + [r[n] for r in rows] for n, c in enumerate(columns)]
    widths = []
    for column, column_cells in zip(columns, cells, strict=True):
        pad = sum(column.pad)
        hi = 0
        for text in column_cells:
            hi = max(hi, _longest_line(text) + pad)
        hi = min(hi, max_width) if column_cells else max_width
        if column.min_width is not None:  # Measurement.clamp(min_width + padding)
            hi = max(column.min_width + pad, hi)
        widths.append(hi or 1)
    if sum(widths) > max_width:
        widths = _collapse(widths, [not c.no_wrap for c in columns], max_width)
        if sum(widths) > max_width:
            raise Unsupported("columns that must stay whole are wider than the terminal")
    out: list[Row] = []
    for index in range(len(rows) + header):
        is_header = header and index == 0
        rendered: list[list[Row]] = []
        bases = [BOLD if is_header else c.style for c in columns]  # a header: the header style only
        for column, width, column_cells, base in zip(columns, widths, cells, bases, strict=True):
            left, right = column.pad
            inner = width - left - right
            if inner < 1:
                raise Unsupported("a column narrower than its padding")
            cell = column_cells[index]
            texts = _no_wrap(cell, inner) if column.no_wrap else wrap(cell, inner, pad=True, fold=column.fold)
            rendered.append([[(" " * left, base), *_styled(line, base), (" " * right, base)] for line in texts])
        height = max(len(r) for r in rendered)
        for n, (lines, width, base) in enumerate(zip(rendered, widths, bases, strict=True)):
            blank: Row = [(" " * width, base)]  # Segment.set_shape's padding, in the cell's style
            missing = height - len(lines)
            rendered[n] = [blank] * missing + lines if is_header else lines + [blank] * missing
        out.extend([seg for cell in line for seg in cell] for line in zip(*rendered, strict=True))
    return out


def _styled(line: Text, base: Sty) -> Row:
    return [(text, base + sty) for text, sty in line.segments()]


def _no_wrap(text: Text, width: int) -> list[Text]:
    lines = text.split_lines()
    for line in lines:
        cells = _cells(line.plain)
        if cells > width:
            raise Unsupported("a whole value wider than its column")
        line.plain += " " * (width - cells)
    return lines


# --- blocks and documents --------------------------------------------------------------------------

_MARKUP = re.compile(r"\[")


def _literal(text: str) -> str:
    """A string rich would read as markup (headers, field names, table titles) is left to rich."""
    if _MARKUP.search(text):
        raise Unsupported("markup-looking text")
    return printable(text)


def _lines(text: Text, width: int) -> list[Row]:
    return [line.segments() for line in wrap(text, width, pad=False)]


def _block(block: Block, width: int) -> list[Row]:
    from kb.commands._doc import Fields, Grid, Line, key_widths

    if isinstance(block, Line):
        return _lines(Text.of(block.parts), width)
    if isinstance(block, Fields):
        columns = [Column("", style("dim"), False, None, (0, 2)), Column("", NULL, False, None, (0, 0))]
        rows = [[Text(_literal(name)), Text.of(_cell_parts(value))] for name, value in block.rows]
        return table(columns, False, rows, width)
    if isinstance(block, Grid):
        columns = [
            Column(_literal(header), NULL, key is not None, key, (1, 1), fold=key is None)
            for header, key in zip(block.headers, key_widths(block), strict=True)
        ]
        lines = table(columns, True, [[Text.of(_cell_parts(c)) for c in row] for row in block.rows], width)
        if block.title:
            table_width = _cells(_plain(lines[0]))
            title = Text(_literal(block.title), base=ITALIC)
            lines = [line.segments() for line in wrap(title, table_width, pad=True)] + lines
        return lines
    return _tree(block.root.parts, block.nodes, width)


_FORK, _END, _CONTINUE, _SPACE = "├── ", "└── ", "│   ", "    "


def _tree(root: Sequence[Part], nodes: Sequence[Node], width: int) -> list[Row]:
    """rich.tree.Tree: the root's lines, then each node's under its guides (4 cells a level)."""
    out = _lines(Text.of(root), width)

    def add(children: Sequence[Node], prefix: str) -> None:
        for n, node in enumerate(children):
            last = n == len(children) - 1
            guide = prefix + (_END if last else _FORK)
            if width - len(guide) < 1:
                raise Unsupported("a tree deeper than the terminal is wide")
            for i, line in enumerate(_lines(Text.of(node.line.parts), width - len(guide))):
                out.append([(guide if i == 0 else prefix + (_SPACE if last else _CONTINUE), NULL), *line])
            add(node.children, prefix + (_SPACE if last else _CONTINUE))

    add(nodes, "")
    return out


def _pad_to(row: Row, width: int) -> Row:
    gap = width - _cells(_plain(row))
    return [*row, (" " * gap, NULL)] if gap > 0 else row


def rows(doc: Doc, width: int) -> list[Row]:
    """The lines rich prints for `doc` at `width` columns (kb.commands._doc.renderables)."""
    from kb.commands._doc import Line

    def spaced(inner: int) -> list[Row]:
        out: list[Row] = []
        for n, block in enumerate(doc.blocks):
            if n and not (isinstance(block, Line) and isinstance(doc.blocks[n - 1], Line)):
                out.append([])
            out.extend(_block(block, inner))
        return out

    if doc.title is None:
        return spaced(width)
    if width < 5:
        raise Unsupported("a panel narrower than its borders")
    inner = width - 4
    body = [[("│ ", NULL), *_pad_to(line, inner), (" │", NULL)] for line in spaced(inner)]
    title = Text.of(doc.title.parts)
    if not title.plain:  # an empty title is no title (rich's `if self.title`)
        return [[("╭" + "─" * (width - 2) + "╮", NULL)], *body, [("╰" + "─" * (width - 2) + "╯", NULL)]]
    # Panel: the title padded with a space each side, cut to fit, then the border's line after it
    title = Text(f" {title.plain.replace(chr(10), ' ')} ", [(a + 1, b + 1, sty) for a, b, sty in title.spans])
    if _cells(title.plain) > width - 4:
        _replace(title, _cell_cut(title.plain, width - 4))
    title.plain += "─" * (width - 4 - _cells(title.plain))
    top = [("╭─", NULL), *title.segments(), ("─╮", NULL)]
    return [top, *body, [("╰" + "─" * (width - 2) + "╯", NULL)]]


def draw(doc: Doc, term: Terminal) -> str:
    """`doc` as the text rich writes to the terminal: SGR codes around each styled piece, a newline a line."""
    out = []
    for row in rows(doc, term.width):
        for text, sty in row:
            if not text:
                continue
            codes = sgr(sty, term.colour) if sty != NULL else ""
            out.append(f"\x1b[{codes}m{text}\x1b[0m" if codes else text)
        out.append("\n")
    return "".join(out)


def write(doc: Doc, stream: TextIO | None = None, environ: Mapping[str, str] | None = None) -> bool:
    """Draw `doc` on a terminal stream; False (nothing written) where rich must draw it, or is asked to
    (KB_RENDERER=rich)."""
    out = sys.stdout if stream is None else stream
    env = os.environ if environ is None else environ
    if env.get("KB_RENDERER") == "rich":
        return False
    try:
        text = draw(doc, terminal(out, env))
    except Unsupported:
        return False
    out.write(text)
    out.flush()
    return True
