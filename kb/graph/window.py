"""Time windows for the portfolio analyses: `--since`, `--until` and `--quarter` combined into one `Window`."""

from __future__ import annotations

from datetime import date, timedelta

from kb.errors import KBError
from kb.graph.results import Window
from kb.timeutil import parse_date, parse_period

# the instant an incident is placed in time by: when impact began, else when someone noticed
INCIDENT_AT_SQL = "coalesce(started_at, detected_at)"


def make_window(since: date | None = None, until: date | None = None, quarter: str | None = None) -> Window:
    """Intersect the given bounds. `until` is inclusive (a whole day); a period is `[start, end)`.

    `quarter` accepts any period `kb.timeutil.parse_period` knows (2026Q3, 2026-07, 2026-W31).
    """
    start, end, labels = since, (until + timedelta(days=1)) if until else None, []
    if quarter:
        try:
            period = parse_period(quarter)
        except ValueError as exc:
            raise KBError(str(exc), "--quarter") from None
        start = max(start, period.start) if start else period.start
        end = min(end, period.end) if end else period.end
        labels.append(period.label)
    if since:
        labels.append(f"since {since.isoformat()}")
    if until:
        labels.append(f"until {until.isoformat()}")
    if since and until and until < since:
        raise KBError(f"--until {until.isoformat()} is before --since {since.isoformat()}", "--until")
    return Window(label=", ".join(labels) or "all time", start=start, end=end)


def window_sql(window: Window | None) -> tuple[str, list[str]]:
    """A WHERE fragment over the incidents table and its parameters (text dates sort as time).

    It means `INCIDENT_AT_SQL` within the window, written as two branches (started in the window, or
    not started and detected in it) so that SQLite can use the started_at index for a narrow window.
    """
    if window is None:
        return "", []
    started, detected, params = ["started_at IS NOT NULL"], ["started_at IS NULL"], []
    if window.start is not None:
        started.append("started_at >= ?")
        detected.append("detected_at >= ?")
        params.append(window.start.isoformat())
    if window.end is not None:
        started.append("started_at < ?")
        detected.append("detected_at < ?")
        params.append(window.end.isoformat())
    if len(params) == 0:
        return "", []
    return f"(({' AND '.join(started)}) OR ({' AND '.join(detected)}))", params + params


def parse_day(text: str | None, option: str) -> date | None:
    """A CLI date option as a date, or a one-line error naming the option."""
    if text is None:
        return None
    try:
        return parse_date(text)
    except ValueError as exc:
        raise KBError(str(exc), option) from None
