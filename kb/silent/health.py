"""Health metrics per project and period, read from a CSV a team can fill in by hand.

Header: exactly the columns in COLUMNS, in any order (a spreadsheet may reorder them), none
missing and none extra. Every metric may be empty (unknown). Counts (predictions, acted_on,
overrides) are whole numbers >= 0; quality, latency, cost and value are numbers; owner_confirmed
and flag_on are true/false (also yes/no, 1/0). The first problem stops the import and names its
line; nothing is written.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from typing import IO, Any

from pydantic import BaseModel

from kb.errors import KBError
from kb.health_rates import ratio  # noqa: F401 (kb.silent.detector's name for it)
from kb.timeutil import parse_period

COLUMNS = (
    "project",
    "period",
    "predictions",
    "acted_on",
    "overrides",
    "quality",
    "latency_p95_ms",
    "cost",
    "value",
    "owner_confirmed",
    "flag_on",
)
COUNTS = ("predictions", "acted_on", "overrides")
NUMBERS = ("quality", "latency_p95_ms", "cost", "value")
BOOLS = ("owner_confirmed", "flag_on")
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


class HealthRow(BaseModel):
    """One validated line of the CSV, as stored in the health table."""

    line: int
    project: str
    period: str
    period_kind: str
    period_start: str
    period_end: str
    predictions: float | None = None
    acted_on: float | None = None
    overrides: float | None = None
    quality: float | None = None
    latency_p95_ms: float | None = None
    cost: float | None = None
    value: float | None = None
    owner_confirmed: bool | None = None
    flag_on: bool | None = None


class HealthPoint(BaseModel):
    period: str
    period_start: str
    predictions: float | None = None
    acted_on: float | None = None
    overrides: float | None = None
    quality: float | None = None
    latency_p95_ms: float | None = None
    cost: float | None = None
    value: float | None = None
    owner_confirmed: bool | None = None
    flag_on: bool | None = None
    adoption: float | None = None
    override_rate: float | None = None


class HealthImportReport(BaseModel):
    rows: int = 0
    projects: int = 0
    added: int = 0
    replaced: int = 0


def _number(text: str, col: str, where: str) -> float | None:
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise KBError(f"{col}: {text!r} is not a number", where) from None
    if not math.isfinite(value):
        raise KBError(f"{col}: {text!r} is not a finite number", where)
    if col in COUNTS:
        if value < 0:
            raise KBError(f"{col}: {text!r} is negative (a count is 0 or more)", where)
        if value != int(value):
            raise KBError(f"{col}: {text!r} is not a whole number (it is a count)", where)
    return value


def _bool(text: str, col: str, where: str) -> bool | None:
    low = text.lower()
    if low == "":
        return None
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise KBError(f"{col}: {text!r} is not true or false", where)


def read_rows(fh: IO[str], projects: set[str]) -> Iterator[HealthRow]:
    """Validated rows; raises KBError naming the line and the column at the first problem."""
    reader = csv.reader(fh)
    try:
        header = next(reader)
    except StopIteration:
        raise KBError("the file is empty (expected a header line)", "line 1") from None
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
    missing = [c for c in COLUMNS if c not in names]
    extra = [h for h in names if h not in COLUMNS]
    if missing or extra or len(set(names)) != len(names):
        problem = f"missing {', '.join(missing)}" if missing else f"unknown column {', '.join(extra) or 'repeated'}"
        raise KBError(f"header must name the columns {','.join(COLUMNS)} ({problem})", "line 1")
    seen: dict[tuple[str, str], int] = {}
    for cells in reader:
        where = f"line {reader.line_num}"
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(names):
            raise KBError(f"expected {len(names)} cells, found {len(cells)}", where)
        raw = dict(zip(names, (c.strip() for c in cells), strict=True))
        slug = raw["project"]
        if slug not in projects:
            raise KBError(f"project: unknown project {slug!r} (add it first with `kb project add`)", where)
        try:
            period = parse_period(raw["period"])
        except ValueError as exc:
            raise KBError(f"period: {exc}", where) from None
        key = (slug, period.label)
        if key in seen:
            raise KBError(f"period: {slug} {period.label} is already on line {seen[key]}", where)
        seen[key] = reader.line_num
        values: dict[str, Any] = {c: _number(raw[c], c, where) for c in (*COUNTS, *NUMBERS)}
        values.update({c: _bool(raw[c], c, where) for c in BOOLS})
        acted, preds = values["acted_on"], values["predictions"]
        if acted is not None and preds is not None and acted > preds:
            raise KBError(f"acted_on: {raw['acted_on']} is more than predictions ({raw['predictions']})", where)
        yield HealthRow(
            line=reader.line_num,
            project=slug,
            period=period.label,
            period_kind=period.kind,
            period_start=period.start.isoformat(),
            period_end=period.end.isoformat(),
            **values,
        )
