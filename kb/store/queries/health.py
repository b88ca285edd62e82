"""A project's health series for reading: `kb health show` and `KB.health_series`, one query."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from kb.health_rates import adoption, override_rate


@dataclass(frozen=True, slots=True)
class HealthRow:
    """One stored period with its derived rates; the fields of `kb.silent.health.HealthPoint`, in order."""

    period: str
    period_start: str
    predictions: float | None
    acted_on: float | None
    overrides: float | None
    quality: float | None
    latency_p95_ms: float | None
    cost: float | None
    value: float | None
    owner_confirmed: bool | None
    flag_on: bool | None
    adoption: float | None
    override_rate: float | None


_COLUMNS = (
    "period, period_start, predictions, acted_on, overrides, quality, latency_p95_ms, cost, value, "
    "owner_confirmed, flag_on"
)


def _float(v: Any) -> float | None:
    return None if v is None else float(v)


def _bool(v: Any) -> bool | None:
    return None if v is None else bool(v)


def health_series(conn: sqlite3.Connection, slug: str) -> list[HealthRow]:
    """The project's periods in time order (adoption = acted_on/predictions, override rate = overrides/acted_on)."""
    out = []
    rows = conn.execute(f"SELECT {_COLUMNS} FROM health WHERE project = ? ORDER BY period_start", [slug])
    for period, start, preds, acted, overrides, quality, p95, cost, value, owner, flag in rows:
        preds, acted, overrides = _float(preds), _float(acted), _float(overrides)
        out.append(
            HealthRow(
                period=period,
                period_start=start,
                predictions=preds,
                acted_on=acted,
                overrides=overrides,
                quality=_float(quality),
                latency_p95_ms=_float(p95),
                cost=_float(cost),
                value=_float(value),
                owner_confirmed=_bool(owner),
                flag_on=_bool(flag),
                adoption=adoption(acted, preds),
                override_rate=override_rate(overrides, acted),
            )
        )
    return out


__all__ = ["HealthRow", "health_series"]
