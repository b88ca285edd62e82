"""The portfolio's table: a DataTable that draws its screenful of one-line text rows for less.

The first frame of `kb` draws about 45 rows of 7 cells, and DataTable spends most of that frame on
work that is the same for every cell or line of it: each line asks for the widget's style (a walk
up the DOM blending backgrounds), its size and its ordered columns again, and each cell for the
cursor's component styles, and is laid out through rich's general path (wrap, join, render, split,
crop) wrapped twice (Styled(Padding(cell))). Here what is the same within a frame is worked out
once per frame (`_Frame`), and a one-line Text cell that fits its column is laid out in a few
lines. What comes out is DataTable's own drawing, segment for segment: tests/test_tui_first_frame.py
compares each cell and each line with DataTable's. Anything this does not model (fixed rows or
columns, row labels, another cursor type, a cell that is not one line of Text) is DataTable's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.widgets import DataTable

if TYPE_CHECKING:
    from rich.console import Console
    from textual.coordinate import Coordinate
    from textual.geometry import Region, Size
    from textual.strip import Strip
    from textual.widget import PseudoClasses
    from textual.widgets._data_table import RowKey


class _Cells:
    """What drawing a cell asks the widget for: once per frame while one is drawn, else per cell.
    (Plain classes, here and below: a dataclass's class costs the first frame its code generation.)"""

    __slots__ = ("cell_key", "cell_styles", "console", "fixed", "laid", "pad", "pad_style", "under")

    def __init__(
        self,
        console: Console,
        pad_style: Style,  # Padding's own style
        cell_key: tuple[bool, int, PseudoClasses],  # the widget's state DataTable's cell cache keys on
        pad: int,
        fixed: tuple[int, int],  # fixed rows and columns
    ) -> None:
        self.console, self.pad_style, self.cell_key, self.pad, self.fixed = console, pad_style, cell_key, pad, fixed
        self.cell_styles: dict[tuple[bool, bool], tuple[Style, Style]] = {}  # by (hover, cursor)
        self.under: dict[tuple[Style, bool, bool], tuple[Style, Style]] = {}
        self.laid: dict[tuple[Any, ...], list[tuple[str, Style, Any]]] = {}  # see _text_cell


class _Frame:
    """What every line and cell of one frame would otherwise ask the widget for again."""

    __slots__ = ("cells", "row_styles", "scroll", "size", "style", "widths")

    def __init__(
        self,
        style: Style,  # the widget's rich_style
        size: Size,
        scroll: tuple[int, int],
        widths: list[int],  # each ordered column's render width
        cells: _Cells,
    ) -> None:
        self.style, self.size, self.scroll, self.widths, self.cells = style, size, scroll, widths, cells
        self.row_styles: dict[int, Style] = {}  # by row parity (zebra stripes)


class PortfolioTable(DataTable[Any]):
    """DataTable that runs what waits for its rows to be drawn (`after_paint`) once they are, and
    draws its rows for less (see the module's docstring).

    `call_after_refresh` ran the rest of the page before the first rows were drawn: the screen's idle
    runs such callbacks when nothing is dirty, and the table marks itself dirty only on its own idle,
    after measuring its new rows. So the first frame waited for the whole page after all."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._after_paint: list[Callable[[], object]] = []
        self._frame: _Frame | None = None

    def after_paint(self, callback: Callable[[], object]) -> None:
        self._after_paint.append(callback)

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """DataTable measures every cell of each new row for its column's content width, which only an
        auto-width column uses: when every column has its width (the portfolio's always do), a row
        with no label and a fixed height needs nothing measured. Such rows are left out; the rest
        (labels, auto heights, the virtual size) is DataTable's."""
        if any(column.auto_width for column in self.columns.values()):
            super()._update_dimensions(new_rows)
            return
        rows = self.rows

        def measured(key: RowKey) -> bool:
            row = rows.get(key)
            return row is not None and (row.label is not None or row.auto_height)

        super()._update_dimensions([key for key in new_rows if measured(key)])

    def render_lines(self, crop: Region) -> list[Strip]:
        self._frame = _Frame(
            self.rich_style,
            self.size,
            (self.scroll_offset.x, self.scroll_offset.y),
            [column.get_render_width(self) for column in self.ordered_columns],
            # DataTable.render_lines sets _pseudo_class_state to this before it draws a line
            self._cells(self.get_pseudo_class_state()),
        )
        try:
            lines = super().render_lines(crop)
        finally:
            self._frame = None
        if self._after_paint and self.row_count:
            waiting, self._after_paint = self._after_paint, []
            for callback in waiting:
                self.call_later(callback)  # after this frame is out
        return lines

    def render_line(self, y: int) -> Strip:
        frame = self._frame
        if frame is None or self.fixed_rows:
            return super().render_line(y)
        scroll_x, scroll_y = frame.scroll
        if y >= (self.get_row_height(self._header_row_key) if self.show_header else 0):
            y += scroll_y
        return self._render_line(y, scroll_x, scroll_x + frame.size.width, frame.style)

    def _render_line_in_row(
        self,
        row_key: RowKey,
        line_no: int,
        base_style: Style,
        cursor_location: Coordinate,
        hover_location: Coordinate,
    ) -> tuple[list[list[Segment]], list[list[Segment]]]:
        frame = self._frame
        if (
            frame is None
            or row_key is self._header_row_key
            or row_key not in self._row_locations
            or self.cursor_type != "row"
            or self.fixed_columns
            or (self._labelled_row_exists and self.show_row_labels)
        ):
            return super()._render_line_in_row(row_key, line_no, base_style, cursor_location, hover_location)
        cache_key = (
            row_key,
            line_no,
            base_style,
            cursor_location,
            hover_location,
            self.cursor_type,
            self.show_cursor,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        cached = self._row_render_cache.get(cache_key)
        if cached is not None:
            return cached
        row_index = self._row_locations.get(row_key)
        if row_index is None:  # checked above; for the type checker
            return super()._render_line_in_row(row_key, line_no, base_style, cursor_location, hover_location)
        parity = row_index % 2 if self.zebra_stripes else -1
        row_style = frame.row_styles.get(parity)
        if row_style is None:
            row_style = frame.row_styles[parity] = self._get_row_style(row_index, base_style)
        # a row cursor highlights every cell of its row (DataTable._should_highlight)
        cursor = cursor_location.row == row_index
        hover = hover_location.row == row_index
        scrollable_row = [
            self._render_cell(row_index, column_index, row_style, width, cursor=cursor, hover=hover)[line_no]
            for column_index, width in enumerate(frame.widths)
        ]
        # the row's style carried on to the widget's right edge, as DataTable does
        extend_style, _ = self._cell_styles(frame.cells, hover, cursor)
        extend_style = row_style + extend_style
        extend_style += Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
        remaining = max(0, frame.size.width - sum(frame.widths) - self._row_label_column_width)
        scrollable_row.append([Segment(" " * remaining, extend_style)])
        row_pair: tuple[list[list[Segment]], list[list[Segment]]] = ([], scrollable_row)
        self._row_render_cache[cache_key] = row_pair
        return row_pair

    def _cells(self, pseudo_class_state: PseudoClasses) -> _Cells:
        console = self.app.console
        return _Cells(
            console,
            console.get_style("none"),
            (self._show_hover_cursor, self._update_count, pseudo_class_state),
            self.cell_padding,
            (self.fixed_rows, self.fixed_columns),
        )

    def _cell_styles(self, cells: _Cells, hover: bool, cursor: bool) -> tuple[Style, Style]:
        """DataTable's (component, post) styles of a data cell (no header, label or fixed cell), once
        per frame for each (hover, cursor)."""
        got = cells.cell_styles.get((hover, cursor))
        if got is None:
            got = cells.cell_styles[hover, cursor] = self._get_styles_to_render_cell(
                False,
                False,
                False,
                hover,
                cursor,
                self.show_cursor,
                self._show_hover_cursor,
                self.cursor_foreground_priority == "css",
                self.cursor_background_priority == "css",
            )
        return got

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        """DataTable's own drawing of a cell, without the two wrappers it draws each one through.

        DataTable renders every cell as Styled(Padding(cell)) through rich's console: the text is
        laid out, then the padded line split and cropped a second time, and every segment restyled
        by a generator per wrapper. For what nearly every cell here is, one line of Text that fits
        its column in a one-line row, this makes the same segments directly: the text laid out once
        (`_fitted`), its padding, and the cell's styles, with the cell's position (its meta) added
        last: the styles before it repeat from cell to cell, so rich's style cache answers them.
        Anything else (the header, labels, fixed cells, a cell to crop, other renderables) is
        DataTable's."""
        cells = self._frame.cells if self._frame is not None else self._cells(self._pseudo_class_state)
        got = self._text_cell(cells, row_index, column_index, base_style, width, cursor, hover)
        if got is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        return got

    def _text_cell(
        self, cells: _Cells, row_index: int, column_index: int, base_style: Style, width: int, cursor: bool, hover: bool
    ) -> list[list[Segment]] | None:
        """`_render_cell` for a one-line Text cell that fits; None for any other cell."""
        pad = cells.pad
        fixed_rows, fixed_columns = cells.fixed
        if row_index < fixed_rows or column_index < fixed_columns or width < 2 * pad:
            return None
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or column_key is None:
            return None
        show_hover_cursor, update_count, pseudo = cells.cell_key
        key = (row_key, column_key, base_style, cursor, hover, show_hover_cursor, update_count, pseudo)
        cached = self._cell_render_cache.get(key)
        if cached is not None:
            return cached
        row = self.rows.get(row_key)
        if row is None or row.height != 1 or row.auto_height:
            return None
        cell = self._get_row_renderables(row_index).cells[column_index]
        if not isinstance(cell, Text):
            return None
        styles = cells.under.get((base_style, hover, cursor))
        if styles is None:
            component_style, post_style = self._cell_styles(cells, hover, cursor)
            styles = cells.under[base_style, hover, cursor] = (base_style + component_style, post_style)
        under, post = styles
        # the same text in the same column and state is laid out and styled once a frame (a stage, an
        # empty usage cell, a verdict badge repeat down the page); only its position (meta) differs
        laid_key = (cell.plain, cell.style, tuple(cell.spans), cell.justify, cell.end, cell.no_wrap, width, under, post)
        laid = cells.laid.get(laid_key)
        if laid is None:
            text = _fitted(cells.console, cell, width - 2 * pad)
            if text is None:
                return None
            spaces = Segment(" " * pad, cells.pad_style) if pad else None
            line = [spaces, *text, spaces] if spaces is not None else text
            laid = cells.laid[laid_key] = [(t, under + s + post, c) for t, s, c in line]
        meta = Style.from_meta({"row": row_index, "column": column_index})
        lines = [[Segment(t, s + meta, c) for t, s, c in laid]]
        self._cell_render_cache[key] = lines
        return lines


_NEWLINE = Text("\n")


def _fitted(console: Console, cell: Text, width: int) -> list[Segment] | None:
    """The segments rich lays out for a one-line Text that fits its width, without rich's general path.

    Console.render_lines wraps the text into lines (here one, unchanged or right-justified), joins
    them into a new Text (its base style becomes a span), renders that and splits and pads the
    result into lines; for a cell that fits, each of those steps is one of these few lines. Anything
    else (a line break, a tab, a wider cell to crop or fold, centred, left or full justification,
    wrapping asked for, a line end other than a newline or none) returns None: rich's own path draws it."""
    plain = cell.plain
    justify = cell.justify
    if (
        "\n" in plain
        or "\t" in plain
        or cell.end not in ("\n", "")  # a cell is one line: without its line end it is the same line
        or cell.no_wrap is False
        or justify not in (None, "default", "right")
        or cell_len(plain) > width
    ):
        return None
    if justify == "right":  # rich's Lines.justify: the trailing space stripped, then padded on the left
        cell = cell.copy()
        cell.rstrip()
        cell.pad_left(width - cell_len(cell.plain))
    line = list(_NEWLINE.join([cell]).render(console))
    return Segment.adjust_line_length(line, width, pad=True)


__all__ = ["PortfolioTable"]
