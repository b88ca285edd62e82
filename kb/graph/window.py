"""Time windows for the portfolio analyses: `--since`, `--until` and `--quarter` combined into one `Window`.

The window's SQL (an incident placed by started_at, else detected_at) is kb.store.queries.graph.window_sql.
"""

from __future__ import annotations

from datetime import date, timedelta

from kb.errors import KBError
from kb.graph.results import Window
from kb.timeutil import parse_date, parse_period


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


def parse_day(text: str | None, option: str) -> date | None:
    """A CLI date option as a date, or a one-line error naming the option."""
    if text is None:
        return None
    try:
        return parse_date(text)
    except ValueError as exc:
        raise KBError(str(exc), option) from None
