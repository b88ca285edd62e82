"""Trend tests for short series (4 to a few dozen periods): one-sided Mann-Kendall plus Theil-Sen.

- The test is Kendall's tau between time order and value, exact one-sided: the p-value of
  `scipy.stats.kendalltau(method="exact", alternative=...)`, computed here without importing scipy
  (`kendall_exact_p`, the same arithmetic on the same counts, tested equal; scipy itself is asked
  only past 18 points, see `exact_p`); alpha is 0.10 up to 7 points and 0.05 above (configurable).
  At n = 4 only a perfectly monotone series reaches p = 1/24.
- Ties: the exact distribution assumes none. Rather than fall back on the normal approximation
  (anti-conservative at these sizes), tied values are ordered *against* the trend being tested
  (ordinal ranks, as `scipy.stats.rankdata(method="ordinal")` gives), so a tie can never help a signal fire and the
  p-value stays exact and conservative.
- Size: a significant trend must also move: the Theil-Sen slope (`scipy.stats.theilslopes`'s, see `theil_sen`)
  must be at least 5% of the series' median per period.
- With fewer than 4 known points nothing fires; the result says there is too little history.

For speed over thousands of series, `screen` computes Kendall's S for many series and drops those
that cannot reach the critical S (from the exact distribution, see `critical_s`); only the
survivors get the reported tau and p. The screen is exact: it never drops a series the full test
would have let fire. `sized_slopes` does the same for the Theil-Sen size floor (`theil_sen`, equal
to scipy's).

numpy is imported only for a batch big enough to pay for it (`VECTOR_PAIRS`): a portfolio's short
series are counted in plain Python (Kendall's S is a count of pairs, exact either way; the
Theil-Sen slopes are the same float operations and the same median, tested equal to numpy's and
scipy's), so `kb silent` on a few dozen projects never waits for numpy to load.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy as np

Direction = Literal["down", "up"]
Alternative = Literal["less", "greater", "two-sided"]

# up to this many points every count of the exact distribution, and their sum, is an integer below
# 2**53, so the float arithmetic below is scipy's to the last bit (18! < 2**53 * 2); past it, scipy
EXACT_WITHOUT_SCIPY = 18

# a batch of series of one length with at least this many pairs (series x n(n-1)/2) is computed with
# numpy; below it plain Python is faster than importing numpy (about 0.1 s): some 120 ns a pair
VECTOR_PAIRS = 50_000


@dataclass(frozen=True)
class TrendRule:
    min_periods: int = 4
    small_n: int = 7
    alpha_small: float = 0.10
    alpha_large: float = 0.05
    min_relative_slope: float = 0.05

    def alpha(self, n: int) -> float:
        return self.alpha_small if n <= self.small_n else self.alpha_large


@dataclass(slots=True)
class Trend:
    """The outcome of one test, with every number the evidence quotes."""

    direction: Direction
    n: int
    fired: bool
    enough_history: bool
    periods: list[str]
    values: list[float]
    tau: float | None = None
    p_value: float | None = None
    alpha: float | None = None
    slope: float | None = None
    median: float | None = None
    relative_slope: float | None = None
    ties: bool = False
    reason: str = ""


def _alternative(direction: Direction) -> Literal["less", "greater"]:
    return "less" if direction == "down" else "greater"


def tie_broken(values: list[float] | np.ndarray, direction: Direction) -> np.ndarray:
    """Ranks with ties ordered against the tested direction (earlier tied value ranks lower for 'down').

    Works on one series or on a 2-D array of series (one per row). Ordinal ranks by a stable sort,
    which is what `scipy.stats.rankdata(method="ordinal")` computes (tests/test_trends.py checks).
    """
    import numpy as np

    y = np.asarray(values, dtype=float)
    if direction == "down":
        return _ordinal(y)
    return -_ordinal(-y)


def _ordinal(y: np.ndarray) -> np.ndarray:
    import numpy as np

    order = np.argsort(y, axis=-1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, y.shape[-1] + 1), axis=-1)
    return ranks.astype(float)


@lru_cache(maxsize=64)
def _inversion_counts(n: int) -> tuple[int, ...]:
    """How many permutations of n items have k inversions, k = 0..n(n-1)/2 (Mahonian numbers), exact."""
    counts = [1]
    for j in range(2, n + 1):  # inserting the j-th item adds 0..j-1 inversions
        nxt = [0] * (len(counts) + j - 1)
        run = 0
        for k in range(len(nxt)):
            run += counts[k] if k < len(counts) else 0
            if k - j >= 0 and k - j < len(counts):
                run -= counts[k - j]
            nxt[k] = run
        counts = nxt
    return tuple(counts)


def kendall_exact_p(n: int, concordant_minus_discordant: int, alternative: Alternative) -> float:
    """The p-value `scipy.stats.kendalltau(x, y, method="exact", alternative=...)` returns for n untied
    points whose S (concordant minus discordant pairs) is given; scipy's `_kendall_p_exact`, branch
    for branch and in the same float operations, on counts summed exactly (n <= EXACT_WITHOUT_SCIPY).
    """
    if n > EXACT_WITHOUT_SCIPY:
        raise ValueError(f"n = {n}: past {EXACT_WITHOUT_SCIPY} points the counts are not exact in floats")
    m = n * (n - 1) // 2
    c = (m + concordant_minus_discordant) // 2  # scipy's c: the concordant pairs (tot - dis)
    in_right_tail = c >= m - c
    c = min(c, m - c)
    if n <= 0:
        raise ValueError(f"n ({n}) must be positive")
    if n == 1:
        prob, at_c = 1.0, 1.0
    elif n == 2:
        prob, at_c = 1.0, 0.5
    elif c == 0:
        prob = 2.0 / math.factorial(n)
        at_c = prob / 2
    elif c == 1:
        prob = 2.0 / math.factorial(n - 1)
        at_c = (n - 1) / math.factorial(n)
    elif 4 * c == n * (n - 1) and alternative == "two-sided":
        prob, at_c = 1.0, 0.0
    else:
        counts = _inversion_counts(n)
        prob = 2.0 * float(sum(counts[: c + 1])) / math.factorial(n)
        at_c = float(counts[c]) / math.factorial(n)
    if alternative != "two-sided":
        if in_right_tail == (alternative == "greater"):
            prob /= 2
        else:
            prob = 1 - prob / 2 + at_c
    return min(max(prob, 0.0), 1.0)


def _kendall_p(n: int, s: int, alternative: Alternative) -> float:
    if n <= EXACT_WITHOUT_SCIPY:
        return kendall_exact_p(n, s, alternative)
    from scipy import stats  # long series only: importing scipy.stats costs about a second

    m = n * (n - 1) // 2
    y = _with_inversions(n, (m - s) // 2)  # a permutation whose S is s
    return float(stats.kendalltau(range(n), y, method="exact", alternative=alternative).pvalue)


def _with_inversions(n: int, k: int) -> list[int]:
    """A permutation of range(n) with exactly k inversions (Lehmer code, greedy)."""
    pool, out = list(range(n)), []
    for i in range(n):
        take = min(k, n - 1 - i)
        out.append(pool.pop(take))
        k -= take
    return out


@lru_cache(maxsize=256)
def critical_s(n: int, alpha: float) -> int:
    """The smallest Kendall S whose exact one-sided p-value is <= alpha (n(n-1)/2 + 1 if none)."""
    m = n * (n - 1) // 2
    crit = m + 1
    for k in range(m + 1):  # S = M - 2k for a permutation with k inversions
        if _kendall_p(n, m - 2 * k, "greater") > alpha:
            break
        crit = m - 2 * k
    return crit


@lru_cache(maxsize=4096)
def exact_p(n: int, s: int, direction: Direction) -> float:
    """The exact one-sided p-value for Kendall's S = s over n untied points (scipy's, see kendall_exact_p)."""
    return _kendall_p(n, s, _alternative(direction))


def kendall_s(ranks: np.ndarray) -> np.ndarray:
    """Kendall's S for each row of an (series, n) array: concordant minus discordant pairs over time."""
    import numpy as np

    diff = ranks[:, None, :] - ranks[:, :, None]  # [i, j] = y_j - y_i
    upper = np.triu(np.ones(ranks.shape[1], dtype=bool), k=1)
    return np.sign(diff[:, upper]).sum(axis=1)


def tie_broken_s(values: list[float], direction: Direction) -> int:
    """Kendall's S of one series' tie-broken ranks (`kendall_s(tie_broken(...))`), counted in plain Python.

    Ordinal ranks order a tie by position, so a later value equal to an earlier one ranks above it
    when testing for a fall ('down') and below it when testing for a rise: a pair (i < j) is
    concordant when y_j >= y_i ('down') or y_j > y_i ('up'), discordant otherwise.
    """
    n = len(values)
    concordant = 0
    if direction == "down":
        for i in range(n - 1):
            yi = values[i]
            for yj in values[i + 1 :]:
                if yj >= yi:
                    concordant += 1
    else:
        for i in range(n - 1):
            yi = values[i]
            for yj in values[i + 1 :]:
                if yj > yi:
                    concordant += 1
    return 2 * concordant - n * (n - 1) // 2


def _vectorise(count: int, n: int) -> bool:
    return count * (n * (n - 1) // 2) >= VECTOR_PAIRS


def screen(series: list[list[float]], direction: Direction, rule: TrendRule) -> list[bool]:
    """True for each series that may fire (enough points and S past the critical value)."""
    return [s is not None for s in screen_s(series, direction, rule)]


def screen_s(series: list[list[float]], direction: Direction, rule: TrendRule) -> list[int | None]:
    """Kendall's S (tie-broken, signed as computed) for each series that may fire, None for the rest."""
    out: list[int | None] = [None] * len(series)
    by_n: dict[int, list[int]] = {}
    for i, ys in enumerate(series):
        if len(ys) >= rule.min_periods:
            by_n.setdefault(len(ys), []).append(i)
    for n, idx in by_n.items():
        if _vectorise(len(idx), n):
            import numpy as np

            raw = [int(v) for v in kendall_s(tie_broken(np.array([series[i] for i in idx], dtype=float), direction))]
        else:
            raw = [tie_broken_s(series[i], direction) for i in idx]
        crit = critical_s(n, rule.alpha(n))
        for i, value in zip(idx, raw, strict=True):
            if (value if direction == "up" else -value) >= crit:
                out[i] = value
    return out


def theil_sen(series: list[list[float]]) -> list[float | None]:
    """The Theil-Sen slope of each series (None under 2 points), many series of one length at once.

    The same pairwise slopes `scipy.stats.theilslopes` takes the median of, in the same floating-point
    arithmetic, so the result is equal (tests/test_trends.py checks); scipy's function is 1-D, and
    asking it per series costs more than the estimate (it also builds a confidence interval).
    """
    out: list[float | None] = [None] * len(series)
    by_n: dict[int, list[int]] = {}
    for i, ys in enumerate(series):
        by_n.setdefault(len(ys), []).append(i)
    for n, idx in by_n.items():
        if n < 2:
            continue
        if not _vectorise(len(idx), n):
            for i in idx:
                out[i] = theil_sen_one(series[i])
            continue
        import numpy as np

        y = np.array([series[i] for i in idx], dtype=float)
        upper = np.triu(np.ones(n, dtype=bool), k=1)
        dx = (np.arange(n)[None, :] - np.arange(n)[:, None])[upper]
        dy = (y[:, None, :] - y[:, :, None])[:, upper]
        for i, slope in zip(idx, np.median(dy / dx, axis=1), strict=True):
            out[i] = float(slope)
    return out


def theil_sen_one(values: list[float]) -> float:
    """One series' Theil-Sen slope in plain Python: `np.median` of the same pairwise slopes.

    Each slope is (y_j - y_i) / (j - i), the float operations numpy makes; the median is the middle
    slope, or the two middle ones added and halved (numpy's mean of two), and NaN when any slope is
    NaN (a difference of two infinities), as numpy's median says.
    """
    n = len(values)
    slopes = [(values[j] - values[i]) / (j - i) for i in range(n - 1) for j in range(i + 1, n)]
    if any(x != x for x in slopes):
        return math.nan
    slopes.sort()
    half = len(slopes) // 2
    return slopes[half] if len(slopes) % 2 else (slopes[half - 1] + slopes[half]) / 2


def sized_slopes(series: list[list[float]], direction: Direction, rule: TrendRule) -> list[float | None]:
    """Each series' Theil-Sen slope when it moves in `direction` by at least the size floor, else None.

    The same test `trend` makes, on the same numbers, so a series dropped here is exactly one whose
    trend would be "significant but small"; the slope kept is the one `trend` reports.
    """
    out: list[float | None] = []
    for ys, slope in zip(series, theil_sen(series), strict=True):
        keep = slope is not None and _sized(slope, float(median(ys)), direction, rule)
        out.append(slope if keep else None)
    return out


def median(values: Sequence[float]) -> float:
    """`statistics.median`, the same arithmetic (the middle value, or the mean of the two middle
    ones, of the sorted values; tested equal), without importing statistics (fractions, decimal,
    random: some 10 ms of every `kb silent`)."""
    data = sorted(values)
    n = len(data)
    if n == 0:
        raise ValueError("no median of no values")
    half = n // 2
    return data[half] if n % 2 else (data[half - 1] + data[half]) / 2


def _sized(slope: float, median: float, direction: Direction, rule: TrendRule) -> bool:
    moving = slope < 0 if direction == "down" else slope > 0
    return moving and _relative(slope, median) >= rule.min_relative_slope


def _relative(slope: float, median: float) -> float:
    return abs(slope) / abs(median) if median else (float("inf") if slope else 0.0)


def trend(
    periods: list[str],
    values: list[float],
    direction: Direction,
    rule: TrendRule,
    s: int | None = None,
    slope: float | None = None,
) -> Trend:
    """Test one series (known values only, in time order) for a trend in `direction`.

    `s` is Kendall's S of the tie-broken series and `slope` its Theil-Sen slope, when the caller
    has them already (from `screen_s` and `theil_sen`).
    """
    n = len(values)
    base = Trend(
        direction=direction,
        n=n,
        fired=False,
        enough_history=n >= rule.min_periods,
        periods=list(periods),
        values=[float(v) for v in values],
    )
    if n < rule.min_periods:
        base.reason = f"too little history: {n} period{'s' if n != 1 else ''}, a trend needs {rule.min_periods}"
        return base
    alpha = rule.alpha(n)
    if s is None:
        s = tie_broken_s(base.values, direction)
    if slope is None:
        slope = theil_sen_one(base.values)
    mid = float(median(values))
    relative = _relative(slope, mid)
    base.tau, base.p_value, base.alpha = s / (n * (n - 1) / 2), exact_p(n, s, direction), alpha
    base.slope, base.median, base.relative_slope = slope, mid, relative
    base.ties = len(set(values)) < n
    if base.p_value > alpha:
        base.reason = f"no significant trend (p = {base.p_value:.3f} > {alpha:.2f})"
    elif not _sized(slope, mid, direction, rule):
        base.reason = (
            f"significant but small: Theil-Sen slope {slope:+.4g} per period is {relative:.1%} of the median "
            f"{mid:.4g}, under {rule.min_relative_slope:.0%}"
        )
    else:
        base.fired = True
    return base
