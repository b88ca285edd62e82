"""Median and 90th percentile of durations, with the method written down so a reader can redo it.

p90 uses `statistics.quantiles(values, n=10, method="inclusive")[8]`: linear interpolation between
the closest ranks, at position 0.9 * (n - 1) of the sorted values (the same as numpy's default and
Excel's PERCENTILE.INC). With one value, the median and p90 are that value.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from kb.review.model import DurationStats


def p90(values: Sequence[float]) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def duration_stats(days: Sequence[float]) -> DurationStats:
    """Durations in days, rounded to the minute (1/1440 day) so float noise from julianday goes away."""
    clean = [round(d * 1440) / 1440 for d in days]
    if not clean:
        return DurationStats(count=0)
    return DurationStats(count=len(clean), median_days=float(statistics.median(clean)), p90_days=p90(clean))
