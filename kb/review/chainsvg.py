"""A worst incident's causal chain laid out for an inline SVG: layers top to bottom, trigger first.

Pure geometry: each cause sits one layer below the deepest cause that names it in `because` (the
longest path from the top), so the trigger and the other top-level causes form the first layer
and root causes sink to the bottom. Text is wrapped here and escaped by the template (Jinja2
autoescape); nothing here is markup.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from kb.review.model import ChainStep

BOX_W, BOX_H = 230, 66
GAP_X, GAP_Y = 24, 40
PAD = 10
LINE_CHARS, MAX_LINES = 34, 3


@dataclass
class Box:
    id: str
    x: int
    y: int
    lines: list[str]
    kind: str  # "trigger", "root" or "cause"
    title: str  # the whole statement, for the tooltip
    mode: str | None = None  # drawn as the last line


@dataclass
class Arrow:
    x1: int
    y1: int
    x2: int
    y2: int


@dataclass
class ChainLayout:
    width: int
    height: int
    boxes: list[Box] = field(default_factory=list)
    arrows: list[Arrow] = field(default_factory=list)


def _relax(steps: list[ChainStep], depth: dict[str, int], movable: set[str]) -> None:
    """Push each movable cause below every placed cause that names it (longest path); n rounds at most,
    so a cycle in bad data cannot loop forever."""
    for _ in range(len(steps)):
        changed = False
        for s in steps:
            if s.id not in depth:
                continue
            for b in s.because:
                if b in movable and depth.get(b, -1) < depth[s.id] + 1:
                    depth[b] = depth[s.id] + 1
                    changed = True
        if not changed:
            return


def _layers(steps: list[ChainStep]) -> dict[str, int]:
    """The trigger on top and what it rests on below it; a cause that names one already placed (an
    effect of the trigger, say) sits in that cause's layer, beside it, so the trigger stays on top."""
    ids = {s.id for s in steps}
    named = {b for s in steps for b in s.because if b in ids}
    starts = [s.id for s in steps if s.trigger] or [s.id for s in steps if s.id not in named] or [steps[0].id]
    depth = dict.fromkeys(starts, 0)
    _relax(steps, depth, ids - set(starts))
    while len(depth) < len(steps):
        rest = [s for s in steps if s.id not in depth]
        anchored = [(s, [depth[b] for b in s.because if b in depth]) for s in rest]
        placed = [(s, min(ds)) for s, ds in anchored if ds] or [(rest[0], 0)]
        for s, d in placed:
            depth[s.id] = d
        _relax(steps, depth, ids - set(depth))
    return depth


def _lines(step: ChainStep) -> list[str]:
    text = f"{step.id}: {step.statement}"
    lines = textwrap.wrap(" ".join(text.split()), LINE_CHARS) or [step.id]
    if len(lines) > MAX_LINES - (1 if step.mode else 0):
        keep = MAX_LINES - (1 if step.mode else 0)
        lines = lines[:keep]
        lines[-1] = lines[-1][: LINE_CHARS - 1].rstrip() + "…"
    if step.mode:
        lines.append(step.mode)
    return lines


def layout(steps: list[ChainStep]) -> ChainLayout:
    depth = _layers(steps)
    rows: dict[int, list[ChainStep]] = {}
    # the trigger leads its layer; otherwise the incident's order
    for s in sorted(steps, key=lambda s: (not s.trigger,)):
        rows.setdefault(depth[s.id], []).append(s)
    widest = max((len(r) for r in rows.values()), default=1)
    width = PAD * 2 + widest * BOX_W + (widest - 1) * GAP_X
    height = PAD * 2 + len(rows) * BOX_H + max(len(rows) - 1, 0) * GAP_Y
    out = ChainLayout(width=width, height=height)
    where: dict[str, Box] = {}
    for level in sorted(rows):
        row = rows[level]
        row_w = len(row) * BOX_W + (len(row) - 1) * GAP_X
        x0 = (width - row_w) // 2
        y = PAD + level * (BOX_H + GAP_Y)
        for n, s in enumerate(row):
            kind = "trigger" if s.trigger else "root" if s.root else "cause"
            box = Box(s.id, x0 + n * (BOX_W + GAP_X), y, _lines(s), kind, s.statement, s.mode)
            out.boxes.append(box)
            where[s.id] = box
    for s in steps:
        a = where[s.id]
        for b in s.because:
            if b in where:
                c = where[b]
                if c.y == a.y:  # same layer: side to side
                    right = c.x > a.x
                    mid = a.y + BOX_H // 2
                    out.arrows.append(Arrow(a.x + (BOX_W if right else 0), mid, c.x + (0 if right else BOX_W), mid))
                    continue
                down = c.y > a.y
                out.arrows.append(
                    Arrow(
                        a.x + BOX_W // 2, a.y + (BOX_H if down else 0), c.x + BOX_W // 2, c.y if down else c.y + BOX_H
                    )
                )
    return out
