"""Dates, datetimes and reporting periods.

Postmortems mix calendar dates (`2026-02-10`) and instants (`2026-02-10T14:03:00Z`); both are
kept as written so exports round-trip, and compared as UTC instants (a bare date is midnight UTC).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

__all__ = ["Moment", "Period", "as_utc", "from_text", "now_utc", "parse_period", "quarter_of", "to_text"]


def _before_moment(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 date or date-time") from None
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"{value!r} is not an ISO 8601 date or date-time")
    return value


def _after_moment(value: date | datetime) -> date | datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    return value


Moment = Annotated[date | datetime, BeforeValidator(_before_moment), AfterValidator(_after_moment)]


def now_utc() -> datetime:
    return datetime.now(UTC)


def as_utc(value: date | datetime) -> datetime:
    """A bare date counts as midnight UTC, so dates and instants compare."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def instant(text: str | None) -> datetime | None:
    """Stored text as a UTC datetime (a date is its midnight UTC); None when empty.

    The hot-path twin of `as_utc(from_text(text))` for text kb wrote itself (ISO 8601): scans parse
    tens of thousands of these, and a date parsed with its offset is ~6x faster than
    `datetime.replace(tzinfo=...)`.
    """
    if not text:
        return None
    if len(text) == 10:
        return datetime.fromisoformat(text + "T00:00:00+00:00")
    v = datetime.fromisoformat(text)
    return v if v.tzinfo else v.replace(tzinfo=UTC)


def to_text(value: date | datetime | None) -> str | None:
    """The one textual form kb stores and exports; sortable as text."""
    if value is None:
        return None
    if isinstance(value, datetime):
        v = as_utc(value).astimezone(UTC)
        if v.microsecond:
            return v.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return v.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def stamp(value: datetime | None = None) -> str:
    """A fixed-width UTC instant (microseconds always present), so text order is time order."""
    return as_utc(value or now_utc()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_text(text: str | None) -> date | datetime | None:
    if text is None or text == "":
        return None
    return _after_moment(_before_moment(text))


class Period:
    """A reporting period: a quarter `2026Q3`, a month `2026-07` or an ISO week `2026-W31`.

    `start` is inclusive and `end` exclusive, so periods tile time without overlap.
    """

    __slots__ = ("end", "kind", "label", "start")

    def __init__(self, label: str, kind: str, start: date, end: date) -> None:
        self.label, self.kind, self.start, self.end = label, kind, start, end

    def __repr__(self) -> str:
        return f"Period({self.label!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Period) and other.label == self.label

    def __hash__(self) -> int:
        return hash(self.label)

    def __lt__(self, other: Period) -> bool:
        return (self.start, self.end) < (other.start, other.end)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def contains(self, value: date | datetime) -> bool:
        v = as_utc(value)
        return as_utc(self.start) <= v < as_utc(self.end)

    def previous(self) -> Period:
        return period_containing(self.start - timedelta(days=1), self.kind)

    def next(self) -> Period:
        return period_containing(self.end, self.kind)


_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_WEEK = re.compile(r"^(\d{4})-W(0[1-9]|[1-4]\d|5[0-3])$", re.IGNORECASE)


def parse_period(text: str) -> Period:
    """Parse a period label; raises ValueError with the accepted forms."""
    t = str(text).strip()
    if m := _QUARTER.match(t):
        y, q = int(m.group(1)), int(m.group(2))
        start = date(y, 3 * (q - 1) + 1, 1)
        end = date(y + 1, 1, 1) if q == 4 else date(y, 3 * q + 1, 1)
        return Period(f"{y}Q{q}", "quarter", start, end)
    if m := _MONTH.match(t):
        y, mo = int(m.group(1)), int(m.group(2))
        start = date(y, mo, 1)
        end = date(y + 1, 1, 1) if mo == 12 else date(y, mo + 1, 1)
        return Period(f"{y}-{mo:02d}", "month", start, end)
    if m := _WEEK.match(t):
        y, w = int(m.group(1)), int(m.group(2))
        try:
            start = date.fromisocalendar(y, w, 1)
        except ValueError:
            raise ValueError(f"{text!r}: year {y} has no ISO week {w}") from None
        return Period(f"{y}-W{w:02d}", "week", start, start + timedelta(days=7))
    raise ValueError(f"{text!r} is not a period (use a quarter 2026Q3, a month 2026-07 or an ISO week 2026-W31)")


def period_containing(day: date | datetime, kind: str = "quarter") -> Period:
    d = as_utc(day).date()
    if kind == "quarter":
        return parse_period(f"{d.year}Q{(d.month - 1) // 3 + 1}")
    if kind == "month":
        return parse_period(f"{d.year}-{d.month:02d}")
    if kind == "week":
        y, w, _ = d.isocalendar()
        return parse_period(f"{y}-W{w:02d}")
    raise ValueError(f"unknown period kind {kind!r}")


def quarter_of(day: date | datetime) -> Period:
    return period_containing(day, "quarter")


def last_complete_quarter(today: date | None = None) -> Period:
    return quarter_of(today or now_utc().date()).previous()
