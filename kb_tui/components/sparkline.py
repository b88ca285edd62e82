"""Sparklines as text, so a usage trend fits in one DataTable cell.

Textual's Sparkline widget cannot live inside a table cell; a short run of block characters can.
"""

from __future__ import annotations

from collections.abc import Sequence

BLOCKS = "▁▂▃▄▅▆▇█"


def spark_text(values: Sequence[float | None], width: int = 8) -> str:
    """The last `width` values scaled between their own min and max; gaps (None) show as spaces."""
    tail = list(values)[-width:]
    known = [v for v in tail if v is not None]
    if not known:
        return ""
    lo, hi = min(known), max(known)
    span = hi - lo
    out = []
    for v in tail:
        if v is None:
            out.append(" ")
        elif span == 0:
            out.append(BLOCKS[len(BLOCKS) // 2])
        else:
            out.append(BLOCKS[round((v - lo) / span * (len(BLOCKS) - 1))])
    return "".join(out)
