"""Numbers, times and evidence as a person reads them; one module for the CLI, the TUI and reports.

Stored values stay exact (UTC instants with microseconds, floats); only what is shown is rounded.
Times are local to the minute unless UTC is asked for; durations are whole days or hours; rates and
shares have two significant figures at most; counts carry their noun in the right number; a trend's
evidence leads with the plain sentence and keeps the statistics for after it. Standard library only,
so the CLI's and the TUI's first frames do not pay for it.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, tzinfo
from typing import Any

# nouns whose plural is not noun + "s"
_PLURALS = {"match": "matches", "quarter": "quarters", "entry": "entries", "category": "categories", "day": "days"}
# the detector's trend signals: code -> what is measured (kb.silent.detector.TREND_SIGNALS, in words)
TREND_WORDS = {
    "usage-decline": "predictions served",
    "adoption-decline": "adoption",
    "quality-decay": "quality",
    "override-rise": "override rate",
    "cost-creep": "cost",
}
_PERIOD_NOUN = {"quarter": "quarter", "month": "month", "week": "week"}


def plural(n: int, noun: str, many: str | None = None) -> str:
    """`1 incident`, `2 incidents`, `0 matches`."""
    word = noun if n == 1 else (many or _PLURALS.get(noun) or noun + "s")
    return f"{n:,} {word}"


def when(value: date | datetime | str | None, *, utc: bool = False, zone: tzinfo | None = None) -> str:
    """A moment to the minute, in local time (or UTC, marked so); a bare date stays a date.

    Text is read as kb stores it (ISO 8601); an instant without an offset counts as UTC.
    """
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        text = value
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00")) if "T" in text else date.fromisoformat(text)
        except ValueError:
            return text
    if not isinstance(value, datetime):
        return value.isoformat()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if utc:
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def day(value: date | datetime | str | None) -> str:
    """Just the date of a moment (UTC), for narrow columns."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value[:10]
    return value.isoformat()[:10]


def duration(days: float | None) -> str:
    """`9 d`, `3 h`, `25 min`: whole units, rounded to the nearest."""
    if days is None or (isinstance(days, float) and math.isnan(days)):
        return "–"
    if abs(days) >= 1:
        return f"{round(days):,} d"
    hours = days * 24
    if abs(hours) >= 1:
        return f"{round(hours)} h"
    return f"{round(hours * 60)} min"


def number(value: float | int | None, digits: int = 3) -> str:
    """A measurement to `digits` significant figures, with thousands separators: 1,234 / 0.891 / 12.3."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value)
    if value == 0 or (isinstance(value, float) and not math.isfinite(value)):
        return f"{value:g}"
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude >= digits - 1:
        return f"{round(value):,}"
    places = max(0, digits - 1 - magnitude)
    text = f"{value:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def rate(value: float | None) -> str:
    """A ratio as two decimals: 0.891304 -> 0.89."""
    return "–" if value is None else f"{value:.2f}"


def percent(share: float | None, signed: bool = False) -> str:
    """A share as a whole percentage (one decimal under 10%): 0.382 -> 38%, 0.046 -> 4.6%."""
    if share is None:
        return "–"
    pct = share * 100
    places = 1 if abs(pct) < 10 else 0
    text = f"{pct:+.{places}f}" if signed else f"{pct:.{places}f}"
    return text.removesuffix(".0") + "%"


def score(value: float) -> str:
    """A verdict score: 0.5 -> 0.5, 3.0 -> 3, never a cut-off `0.`."""
    return f"{value:.1f}".removesuffix(".0")


def _periods(labels: list[str]) -> str:
    from kb.timeutil import parse_period

    try:
        kind = parse_period(labels[0]).kind
    except (ValueError, IndexError):
        return plural(len(labels), "period")
    return plural(len(labels), _PERIOD_NOUN.get(kind, "period"))


def evidence(signal: Any) -> tuple[str, str]:
    """(plain sentence, statistics) of a verdict's signal; the statistics are "" when there are none.

    A trend reads "predictions served fell 38% over 6 quarters, from 1,200 in 2025Q1 to 745 in
    2026Q2", then "Mann-Kendall tau -0.87, p = 0.01 < 0.10; Theil-Sen slope -91 per quarter".
    Other signals' evidence is already a plain sentence.
    """
    code = getattr(signal, "code", "")
    data: dict[str, Any] = getattr(signal, "data", None) or {}
    text = getattr(signal, "evidence", "")
    values, labels = data.get("values") or [], data.get("periods") or []
    if code not in TREND_WORDS or len(values) < 2 or len(labels) != len(values):
        return text, ""
    first, last = float(values[0]), float(values[-1])
    went = "fell" if last < first else "rose" if last > first else "stayed at"
    change = f" {percent(abs(last - first) / abs(first))}" if first else ""
    plain = (
        f"{TREND_WORDS[code]} {went}{change} over {_periods(labels)}, "
        f"from {number(first)} in {labels[0]} to {number(last)} in {labels[-1]}"
    )
    if code == "cost-creep" and "; " in text:
        plain += "; " + text.rsplit("; ", 1)[-1]
    stats = []
    if data.get("tau") is not None:
        p = data.get("p_value")
        alpha = data.get("alpha")
        test = f"Mann-Kendall tau {data['tau']:+.2f}"
        if p is not None:
            test += f", p = {p:.2g}" + (f" < {alpha:.2f}" if alpha is not None else "")
        stats.append(test)
    if data.get("slope") is not None:
        slope = f"Theil-Sen slope {'+' if data['slope'] >= 0 else '-'}{number(abs(data['slope']))} per period"
        if data.get("relative_slope") is not None:
            slope += f" ({percent(data['relative_slope'])} of the median)"
        stats.append(slope)
    return plain, "; ".join(stats)


def evidence_line(signal: Any) -> str:
    """The plain sentence, then the statistics in brackets: for one-line outputs."""
    plain, stats = evidence(signal)
    return f"{plain} ({stats})" if stats else plain
