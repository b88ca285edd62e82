"""Turning worker results into the one table: medians, p95, ratios, targets, and consistency checks."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


@dataclass
class Row:
    workload: str
    kb_time: float | None
    kb_peak_kib: int | None
    floor_time: float | None
    floor_peak_kib: int | None
    target: str
    met: str
    ratio_text: str = ""

    def cells(self) -> list[str]:
        ratio = self.ratio_text or (
            f"{self.kb_time / self.floor_time:.2f}x" if self.kb_time is not None and self.floor_time else "—"
        )
        return [
            self.workload,
            _secs(self.kb_time) if not self.ratio_text.startswith("growth") else _x(self.kb_time),
            _mib(self.kb_peak_kib),
            _secs(self.floor_time) if not self.ratio_text.startswith("growth") else _x(self.floor_time),
            _mib(self.floor_peak_kib),
            ratio.removeprefix("growth"),
            self.target,
            self.met,
        ]


def _secs(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v * 1000:.1f} ms" if v < 1 else f"{v:.2f} s"


def _x(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f}x"


def _mib(kib: int | None) -> str:
    return "—" if kib is None else f"{kib / 1024:.0f} MiB"


HEADER = ["workload", "kb median", "kb peak mem", "floor median", "floor peak mem", "ratio", "target", "met?"]


def markdown(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "|".join("---" for _ in HEADER) + "|"]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    return "\n".join(lines)


def median(result: dict[str, Any] | None) -> float | None:
    if not result or "times" not in result:
        return None
    return statistics.median(result["times"])


def compare(name: str, kb: dict[str, Any] | None, floor: dict[str, Any] | None) -> str | None:
    """None when kb and the floor agree on the work done, else what differs."""
    if not kb or not floor or "check" not in kb or "check" not in floor:
        return None
    a, b = kb["check"], floor["check"]
    keys = sorted(set(a) & set(b))
    diffs = [k for k in keys if a[k] != b[k]]
    if not diffs:
        return None
    k = diffs[0]
    first = f"{a[k]!r:.200} vs {b[k]!r:.200}"
    return f"{name}: kb and floor disagree on {len(diffs)} of {len(keys)} checks, first {k!r}: {first}"
