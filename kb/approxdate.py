"""Dates known only to the year, quarter or month (`2021`, `2021Q3`, `2021-11`), and the field type that takes them.

Public postmortems rarely give a day: "launched in 2018", "detected in Q4". An `ApproxDate` is a
`date` (its period's first day), so every comparison, sort and duration that works on dates keeps
working and orders it by its start; it also remembers how it was written (`text`) and where its
period ends, so it is shown as written and a duration from it is marked approximate.
The store keeps the start in the date column (sortable ISO text) and the written form beside it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from kb import timeutil

__all__ = [
    "ApproxDate",
    "When",
    "WhenDay",
    "earliest",
    "is_approx",
    "latest",
    "midpoint",
    "parse_when",
    "parse_when_day",
    "shown",
    "span",
    "with_written",
]

Precision = Literal["year", "quarter", "month"]

_YEAR = re.compile(r"(\d{4})", re.ASCII)
_QUARTER = re.compile(r"(\d{4})-?[Qq]([1-4])", re.ASCII)
_MONTH = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
_MIN_YEAR, _MAX_YEAR = 1900, 2999  # kb.timeutil's supported range


def _clip(value: Any, limit: int = 60) -> str:
    return timeutil.clip(value, limit)


class ApproxDate(date):
    """A year, quarter or month: compares and sorts as its first day; `text` is its written form."""

    text: str
    precision: Precision
    end: date  # first day after the period (exclusive)

    def __new__(cls, text: str) -> ApproxDate:
        raw = text.strip()
        if m := _YEAR.fullmatch(raw):
            y = _year(m.group(1), text)
            self = super().__new__(cls, y, 1, 1)
            self.text, self.precision, self.end = f"{y}", "year", date(y + 1, 1, 1)
        elif m := _QUARTER.fullmatch(raw):
            y, q = _year(m.group(1), text), int(m.group(2))
            self = super().__new__(cls, y, 3 * q - 2, 1)
            self.text, self.precision = f"{y}Q{q}", "quarter"
            self.end = date(y + 1, 1, 1) if q == 4 else date(y, 3 * q + 1, 1)
        elif m := _MONTH.fullmatch(raw):
            y, mo = _year(m.group(1), text), int(m.group(2))
            if not 1 <= mo <= 12:
                raise ValueError(f"{_clip(text)} is not a month (01-12)")
            self = super().__new__(cls, y, mo, 1)
            self.text, self.precision = f"{y}-{mo:02d}", "month"
            self.end = date(y + 1, 1, 1) if mo == 12 else date(y, mo + 1, 1)
        else:
            raise ValueError(f"{_clip(text)} is not a year, quarter or month (2021, 2021Q3, 2021-11)")
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # copy and pickle rebuild from the text, not from date's bytes
        return (ApproxDate, (self.text,))

    def __repr__(self) -> str:
        return f"ApproxDate({self.text!r})"

    def __str__(self) -> str:
        return self.text


def _year(digits: str, raw: str) -> int:
    y = int(digits)
    if not _MIN_YEAR <= y <= _MAX_YEAR:
        raise ValueError(f"{_clip(raw)} is outside the supported years {_MIN_YEAR}-{_MAX_YEAR}")
    return y


def _exact(value: Any) -> date | datetime:
    """A full date or instant, read by kb.timeutil's one strict parser."""
    return timeutil.parse_moment(value)


def parse_when(value: Any) -> date | datetime:
    """A date, an instant, or a year/quarter/month, from YAML, JSON, the CLI or the store."""
    if isinstance(value, ApproxDate):
        return value
    if isinstance(value, int) and not isinstance(value, bool):  # YAML reads a bare 2021 as a number
        return ApproxDate(str(value)) if 1000 <= value <= 9999 else _reject(value)
    if isinstance(value, float | bool):
        return _reject(value)
    if isinstance(value, str):
        raw = value.strip()
        if _YEAR.fullmatch(raw) or _QUARTER.fullmatch(raw) or _MONTH.fullmatch(raw):
            return ApproxDate(raw)
        try:
            return _exact(raw)
        except ValueError as exc:
            msg = str(exc)
            if "ISO 8601" in msg:
                msg += "; or a year 2021, a quarter 2021Q3, a month 2021-11"
            raise ValueError(msg) from None
    return _exact(value)


def parse_when_day(value: Any) -> date:
    """A calendar date, or a year/quarter/month: for fields that name a day, never an instant."""
    when = parse_when(value)
    if isinstance(when, datetime):
        raise ValueError(
            f"{_clip(str(value))} is a date-time; a date (YYYY-MM-DD) or 2021, 2021Q3, 2021-11 is expected"
        )
    return when


def _reject(value: Any) -> date:
    raise ValueError(
        f"{_clip(value)} is not a date: use YYYY-MM-DD, an ISO 8601 date-time, "
        "or a year 2021, a quarter 2021Q3, a month 2021-11"
    )


def _after(value: date | datetime) -> date | datetime:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    return value


def _serialise(value: Any, handler: Any, info: Any) -> Any:
    if isinstance(value, ApproxDate) and info.mode == "json":
        return value.text
    return handler(value)


if TYPE_CHECKING:
    When = date | datetime
    WhenDay = date
else:

    def __getattr__(name: str) -> Any:
        """`When` and `WhenDay`, the pydantic field types, built on first use: `kb incident show` reads
        and draws approximate dates through this module and must not pay for importing pydantic."""
        if name not in ("When", "WhenDay"):
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from typing import Annotated

        from pydantic import AfterValidator, BeforeValidator, WrapSerializer

        globals()["When"] = Annotated[
            date | datetime, BeforeValidator(parse_when), AfterValidator(_after), WrapSerializer(_serialise)
        ]
        globals()["WhenDay"] = Annotated[date, BeforeValidator(parse_when_day), WrapSerializer(_serialise)]
        return globals()[name]


def is_approx(value: date | datetime | None) -> bool:
    return isinstance(value, ApproxDate)


def earliest(value: date | datetime) -> datetime:
    """The first instant the value can mean (a period's first day at midnight UTC)."""
    return timeutil.as_utc(value)


def latest(value: date | datetime) -> datetime:
    """The last instant the value can mean: a period's last microsecond; an exact value itself."""
    if isinstance(value, ApproxDate):
        return timeutil.as_utc(value.end) - timedelta(microseconds=1)
    return timeutil.as_utc(value)


def midpoint(value: date | datetime) -> datetime:
    """Where a duration measures from: a period's middle (so 2021-11 to 2021Q4 is about two weeks, not -31
    days), an exact value itself."""
    if isinstance(value, ApproxDate):
        start = timeutil.as_utc(value)
        return start + (timeutil.as_utc(value.end) - start) / 2
    return timeutil.as_utc(value)


def shown(value: date | datetime | None) -> str:
    """A date as the user wrote it: `2021Q3`, `2021-11-05`, or an instant to the minute in UTC."""
    if value is None:
        return ""
    if isinstance(value, ApproxDate):
        return value.text
    if isinstance(value, datetime):
        return timeutil.as_utc(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def with_written(value: date | datetime | None, written: str | None) -> date | datetime | None:
    """A stored date column back with its written form (the store keeps `2021Q3` beside `2021-07-01`)."""
    if value is None or not written:
        return value
    return ApproxDate(written)


class IncidentSpans:
    """An incident's derived durations, measured from when impact began, not from when someone declared it.

    Written once for the validated kb.models.Incident and the read path's IncidentView: a class with
    `started_at`, `detected_at` and `resolved_at` takes them from here. No slots of its own, so a
    slotted dataclass stays slotted."""

    __slots__ = ()

    @property
    def time_to_detect(self: Any) -> timedelta | None:
        return span(self.started_at, self.detected_at)

    @property
    def time_to_resolve(self: Any) -> timedelta | None:
        return span(self.detected_at, self.resolved_at)

    @property
    def impact_time(self: Any) -> timedelta | None:
        return span(self.started_at, self.resolved_at)

    def span_is_approximate(self: Any, span: str) -> bool:
        """Whether a duration (`time_to_detect`, `time_to_resolve`, `impact_time`) rests on a year,
        quarter or month rather than a day: it is then measured between period starts and shown with ~."""
        ends = {
            "time_to_detect": (self.started_at, self.detected_at),
            "time_to_resolve": (self.detected_at, self.resolved_at),
            "impact_time": (self.started_at, self.resolved_at),
        }[span]
        return any(is_approx(v) for v in ends)


def span(a: date | datetime | None, b: date | datetime | None) -> timedelta | None:
    """From a to b (an incident's time to detect, to resolve, of impact); a year, quarter or month
    counts as its midpoint, and an overlap as no time at all."""
    if a is None or b is None:
        return None
    if not (is_approx(a) or is_approx(b)):
        return timeutil.as_utc(b) - timeutil.as_utc(a)
    return max(timedelta(0), midpoint(b) - midpoint(a))
