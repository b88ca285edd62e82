"""Dates, datetimes and reporting periods.

Postmortems mix calendar dates (`2026-02-10`) and instants (`2026-02-10T14:03:00Z`); both are
kept as written so exports round-trip, and compared as UTC instants (a bare date is midnight UTC).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from kb.errors import clip

__all__ = [
    "MAX_YEAR",
    "MIN_YEAR",
    "Day",
    "Moment",
    "Period",
    "as_utc",
    "clip",
    "from_text",
    "now_utc",
    "parse_date",
    "parse_moment",
    "parse_period",
    "quarter_of",
    "to_text",
]

# The years kb stores and reads back. Four digits keep stored text sortable and `date` arithmetic
# (a period's end, a window after the last event) far from datetime's limits at both ends.
MIN_YEAR = 1900
MAX_YEAR = 2999
_RANGE = f"years {MIN_YEAR}-{MAX_YEAR}"

_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_STAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?",
    re.ASCII,
)


def _in_range(value: date | datetime, raw: Any) -> None:
    year = value.astimezone(UTC).year if isinstance(value, datetime) and value.tzinfo else value.year
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"{clip(raw)} is outside the supported {_RANGE}")


def _text_moment(raw: str) -> date | datetime:
    text = raw.strip()
    if m := _DAY.fullmatch(text):
        y, mo, d = (int(g) for g in m.groups())
        try:
            day = date(y, mo, d)
        except ValueError as exc:
            raise ValueError(f"{clip(raw)} is not a date ({exc})") from None
        _in_range(day, raw)
        return day
    m = _STAMP.fullmatch(text)
    if m is None:
        raise ValueError(f"{clip(raw)} is not an ISO 8601 date-time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)")
    y, mo, d, hh, mm = (int(g) for g in m.groups()[:5])
    ss = int(m.group(6) or 0)
    micro = int((m.group(7) or "0").ljust(6, "0")[:6])
    tz: timezone | None = None
    if m.group(8):
        tz = UTC
    elif m.group(9):
        oh, om = int(m.group(10)), int(m.group(11))
        if oh > 23 or om > 59:
            raise ValueError(f"{clip(raw)} has an impossible UTC offset")
        delta = timedelta(hours=oh, minutes=om)
        tz = timezone(-delta if m.group(9) == "-" else delta)
    try:
        value = datetime(y, mo, d, hh, mm, ss, micro, tzinfo=tz)
    except ValueError as exc:
        raise ValueError(f"{clip(raw)} is not a date-time ({exc})") from None
    if not MIN_YEAR <= y <= MAX_YEAR:
        raise ValueError(f"{clip(raw)} is outside the supported {_RANGE}")
    try:
        utc = value.astimezone(UTC) if tz else value.replace(tzinfo=UTC)
    except OverflowError:
        raise ValueError(f"{clip(raw)} is outside the supported {_RANGE} once its offset is applied") from None
    if not MIN_YEAR <= utc.year <= MAX_YEAR:
        raise ValueError(f"{clip(raw)} is outside the supported {_RANGE} once its offset is applied")
    return value


def parse_moment(value: Any) -> date | datetime:
    """The one strict reading of a date or instant from any boundary (YAML, JSON, CSV, options, config).

    Accepts `YYYY-MM-DD` or an ISO 8601 date-time with an optional `Z` or `±HH:MM` offset (a time
    without one is UTC), and `date`/`datetime` objects, all within MIN_YEAR..MAX_YEAR also in UTC.
    Anything else raises ValueError with one short line quoting (a clipped) value; the caller adds
    the place.
    """
    if isinstance(value, datetime):
        try:
            utc = value.astimezone(UTC) if value.tzinfo else value
        except OverflowError:
            raise ValueError(f"{clip(str(value))} is outside the supported {_RANGE} in UTC") from None
        _in_range(utc, str(value))
        _in_range(value, str(value))
        return value
    if isinstance(value, date):
        _in_range(value, value.isoformat())
        return value
    if isinstance(value, str):
        return _text_moment(value)
    raise ValueError(f"{clip(value)} is not an ISO 8601 date or date-time")


def parse_date(value: Any) -> date:
    """A calendar date (`YYYY-MM-DD`) only, strictly, in the supported range."""
    if isinstance(value, datetime):
        raise ValueError(f"{clip(str(value))} is a date-time; a date (YYYY-MM-DD) is expected")
    if isinstance(value, str) and not _DAY.fullmatch(value.strip()):
        raise ValueError(f"{clip(value)} is not a date (use YYYY-MM-DD)")
    parsed = parse_moment(value)
    assert isinstance(parsed, date) and not isinstance(parsed, datetime)
    return parsed


def _before_moment(value: Any) -> Any:
    if isinstance(value, int | float):  # bool is an int
        raise ValueError(f"{clip(value)} is not an ISO 8601 date or date-time")
    if isinstance(value, date | str):
        return parse_moment(value)
    return value


def _before_day(value: Any) -> Any:
    if isinstance(value, int | float):  # bool is an int
        raise ValueError(f"{clip(value)} is not a date (use YYYY-MM-DD)")
    if isinstance(value, date | str):
        return parse_date(value)
    return value


def _after_moment(value: date | datetime) -> date | datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    return value


if TYPE_CHECKING:
    Moment = date | datetime
    Day = date
else:

    def __getattr__(name: str) -> Any:
        """`Moment` and `Day`, the pydantic field types, built on first use: the read commands import
        this module for from_text/to_text and must not pay for importing pydantic."""
        if name not in ("Moment", "Day"):
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from typing import Annotated

        from pydantic import AfterValidator, BeforeValidator

        globals()["Moment"] = Annotated[date | datetime, BeforeValidator(_before_moment), AfterValidator(_after_moment)]
        globals()["Day"] = Annotated[date, BeforeValidator(_before_day)]
        return globals()[name]


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
    """Strictly parsed (see `parse_moment`), instants in UTC; None for empty. Raises ValueError."""
    if text is None or text == "":
        return None
    return _after_moment(parse_moment(text))


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


_QUARTER = re.compile(r"(\d{4})-?Q([1-4])", re.IGNORECASE | re.ASCII)
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])", re.ASCII)
_WEEK = re.compile(r"(\d{4})-W(0[1-9]|[1-4]\d|5[0-3])", re.IGNORECASE | re.ASCII)


def parse_period(text: str) -> Period:
    """Parse a period label; raises ValueError with the accepted forms."""
    t = str(text).strip()
    year = re.match(r"\d{4}", t, re.ASCII)
    if year and len(t) <= 10 and not MIN_YEAR <= int(year.group()) <= MAX_YEAR:
        raise ValueError(f"{clip(text)}: the year is outside the supported {_RANGE}")
    if m := _QUARTER.fullmatch(t):
        y, q = int(m.group(1)), int(m.group(2))
        start = date(y, 3 * (q - 1) + 1, 1)
        end = date(y + 1, 1, 1) if q == 4 else date(y, 3 * q + 1, 1)
        return Period(f"{y}Q{q}", "quarter", start, end)
    if m := _MONTH.fullmatch(t):
        y, mo = int(m.group(1)), int(m.group(2))
        start = date(y, mo, 1)
        end = date(y + 1, 1, 1) if mo == 12 else date(y, mo + 1, 1)
        return Period(f"{y}-{mo:02d}", "month", start, end)
    if m := _WEEK.fullmatch(t):
        y, w = int(m.group(1)), int(m.group(2))
        try:
            start = date.fromisocalendar(y, w, 1)
        except ValueError:
            raise ValueError(f"{clip(text)}: year {y} has no ISO week {w}") from None
        return Period(f"{y}-W{w:02d}", "week", start, start + timedelta(days=7))
    raise ValueError(f"{clip(text)} is not a period (use a quarter 2026Q3, a month 2026-07 or an ISO week 2026-W31)")


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
