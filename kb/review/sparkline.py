"""Tiny trend pictures: Unicode block sparklines for the terminal and Markdown, SVG geometry for HTML.

Gaps (periods with no value) stay gaps: a line is never drawn through a period nobody reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

BLOCKS = "▁▂▃▄▅▆▇█"
GAP = "·"


def _range(values: Sequence[float | None]) -> tuple[float, float] | None:
    known = [v for v in values if v is not None]
    if not known:
        return None
    return min(known), max(known)


def blocks(values: Sequence[float | None]) -> str:
    """One character per period; a flat series sits in the middle, a missing value is `·`."""
    bounds = _range(values)
    if bounds is None:
        return GAP * len(values)
    lo, hi = bounds
    if hi == lo:
        middle = BLOCKS[len(BLOCKS) // 2 - 1]
        return "".join([GAP if v is None else middle for v in values])
    span, top = hi - lo, len(BLOCKS) - 1
    return "".join([GAP if v is None else BLOCKS[round((v - lo) / span * top)] for v in values])


@dataclass
class SvgLine:
    """Polyline segments (split at gaps) and the last point, in a width x height box."""

    width: int
    height: int
    segments: list[str] = field(default_factory=list)
    last: tuple[float, float] | None = None
    title: str = ""


def svg_line(values: Sequence[float | None], width: int = 120, height: int = 24, pad: float = 2.0) -> SvgLine:
    line = SvgLine(width, height)
    bounds = _range(values)
    if bounds is None:
        return line
    lo, hi = bounds
    n = len(values)
    step = (width - 2 * pad) / (n - 1) if n > 1 else 0.0
    current: list[str] = []
    for i, v in enumerate(values):
        if v is None:
            if current:
                line.segments.append(" ".join(current))
            current = []
            continue
        x = pad + i * step if n > 1 else width / 2
        y = height / 2 if hi == lo else pad + (hi - v) / (hi - lo) * (height - 2 * pad)
        current.append(f"{x:.1f},{y:.1f}")
        line.last = (round(x, 1), round(y, 1))
    if current:
        line.segments.append(" ".join(current))
    return line


def bar_width(value: float, maximum: float, width: float) -> float:
    """Bar length for a value on a scale whose longest bar is `width`; zero stays zero."""
    if maximum <= 0 or value <= 0:
        return 0.0
    return round(value / maximum * width, 1)
