"""Trend tests at their edges; expected p-values are counts of permutations worked out by hand.

The exact null distribution of Kendall's S for n points counts permutations by inversions
(Mahonian numbers): n=4: 1, 3, 5, 6, ...; n=7: 1, 6, 20, 49, 98, 169, ...; n=8: 1, 7, 27, 76,
174, 343, 602, 961, ... out of n! permutations. A series with k inversions against the tested
direction has one-sided p = (count of permutations with <= k inversions) / n!.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from kb.silent.trends import TrendRule, critical_s, screen, tie_broken, trend

RULE = TrendRule()


def labels(n: int) -> list[str]:
    return [f"2026-{m:02d}" for m in range(1, n + 1)]


def test_three_periods_never_fire_and_say_why() -> None:
    t = trend(labels(3), [300.0, 200.0, 100.0], "down", RULE)
    assert not t.fired and not t.enough_history
    assert t.reason == "too little history: 3 periods, a trend needs 4"
    assert t.p_value is None


def test_perfectly_monotone_four_periods_fire_at_one_in_24() -> None:
    t = trend(labels(4), [100.0, 90.0, 80.0, 70.0], "down", RULE)
    assert t.fired
    assert t.p_value == pytest.approx(1 / 24)  # only the identity ordering is this extreme
    assert t.alpha == 0.10 and t.tau == -1.0
    assert t.slope == -10.0 and t.median == 85.0
    assert t.relative_slope == pytest.approx(10 / 85)


def test_four_periods_with_one_swap_do_not_fire() -> None:
    # 1 inversion against "down": p = (1 + 3) / 24
    t = trend(labels(4), [100.0, 80.0, 90.0, 70.0], "down", RULE)
    assert not t.fired
    assert t.p_value == pytest.approx(4 / 24)
    assert t.reason.startswith("no significant trend")


def test_noisy_flat_twelve_periods_do_not_fire_either_way() -> None:
    ys = [100.0, 104.0, 98.0, 103.0, 99.0, 102.0, 97.0, 104.0, 100.0, 101.0, 98.0, 103.0]
    for direction in ("down", "up"):
        t = trend(labels(12), ys, direction, RULE)  # type: ignore[arg-type]
        assert not t.fired and t.alpha == 0.05
    assert screen([ys], "down", RULE) == [False] and screen([ys], "up", RULE) == [False]


def test_alpha_is_010_up_to_seven_points_and_005_above() -> None:
    seven = [130.0, 100.0, 110.0, 120.0, 160.0, 140.0, 150.0]  # 5 inversions against "up"
    t7 = trend(labels(7), seven, "up", RULE)
    assert t7.p_value == pytest.approx((1 + 6 + 20 + 49 + 98 + 169) / 5040)  # 0.068
    assert t7.fired and t7.slope == 10.0
    eight = [*seven, 145.0]  # 7 inversions against "up"
    t8 = trend(labels(8), eight, "up", RULE)
    assert t8.p_value == pytest.approx((1 + 7 + 27 + 76 + 174 + 343 + 602 + 961) / 40320)  # 0.054
    assert not t8.fired and t8.alpha == 0.05


def test_significant_but_tiny_slope_does_not_fire() -> None:
    # perfectly monotone, but 0.1 per period on a median of ~1000 is 0.01%, under the 5% floor
    t = trend(labels(6), [1000.5, 1000.4, 1000.3, 1000.2, 1000.1, 1000.0], "down", RULE)
    assert t.p_value == pytest.approx(1 / 720)
    assert not t.fired and t.reason.startswith("significant but small")


def test_ties_are_broken_against_the_trend() -> None:
    # [4, 3, 3, 1] down: the tie is ordered as a rise, so 1 inversion: p = 4/24, no signal
    assert list(tie_broken([4, 3, 3, 1], "down")) == [4, 2, 3, 1]
    t = trend(labels(4), [4.0, 3.0, 3.0, 1.0], "down", RULE)
    assert t.ties and t.p_value == pytest.approx(4 / 24) and not t.fired
    assert not trend(labels(5), [5.0] * 5, "up", RULE).fired


def test_critical_s_from_the_exact_distribution() -> None:
    # n=4: only S=6 (p=1/24) passes 0.10; n=7 at 0.10: S=11 has p=343/5040, S=9 has 602/5040 > 0.10
    assert critical_s(4, 0.10) == 6
    assert critical_s(7, 0.10) == 11
    # n=8 at 0.05: S=16 (6 inversions, p=1230/40320) passes, S=14 (p=2191/40320) does not
    assert critical_s(8, 0.05) == 16


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=4, max_size=10), st.sampled_from(["down", "up"]))
def test_screen_agrees_with_scipy(ys: list[int], direction: str) -> None:
    """The vectorised screen keeps exactly the series whose scipy p-value passes alpha."""
    values = [float(y) for y in ys]
    n = len(values)
    alt = "less" if direction == "down" else "greater"
    p = stats.kendalltau(range(n), tie_broken(values, direction), method="exact", alternative=alt).pvalue  # type: ignore[arg-type]
    assert screen([values], direction, RULE) == [p <= RULE.alpha(n)]  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.floats(-1000, 1000, allow_nan=False).map(lambda v: round(v, 2)), min_size=4, max_size=12),
    st.sampled_from(["down", "up"]),
)
def test_the_size_screen_keeps_exactly_the_series_that_fire(ys: list[float], direction: str) -> None:
    from kb.silent.trends import sized_slopes

    full = trend(labels(len(ys)), ys, direction, RULE)  # type: ignore[arg-type]
    kept = sized_slopes([ys], direction, RULE)[0]  # type: ignore[arg-type]
    if full.fired:
        assert kept == full.slope
    elif full.p_value is not None and full.p_value <= full.alpha:  # significant: only the size can stop it
        assert kept is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=14), min_size=1, max_size=6))
def test_batched_theil_sen_equals_scipy(series: list[list[float]]) -> None:
    from kb.silent.trends import theil_sen

    expected = [float(stats.theilslopes(ys, np.arange(len(ys))).slope) for ys in series]
    assert theil_sen(series) == expected  # the same floats, not merely close


def test_the_size_screen_drops_a_tiny_slope() -> None:
    from kb.silent.trends import sized_slopes

    tiny = [1000.5, 1000.4, 1000.3, 1000.2, 1000.1, 1000.0]  # -0.1 a period: 0.01% of the median
    assert sized_slopes([tiny, [100.0, 90.0, 80.0, 70.0]], "down", RULE) == [None, -10.0]


@settings(max_examples=300, deadline=None)
@given(st.integers(2, 18).flatmap(lambda n: st.permutations(list(range(n)))), st.sampled_from(["less", "greater"]))
def test_exact_p_without_scipy_equals_scipys(perm: list[int], alternative: str) -> None:
    """kb's exact Mann-Kendall p-value is scipy's kendalltau(method="exact") p-value, bit for bit."""
    from kb.silent.trends import kendall_exact_p

    n = len(perm)
    s = sum((perm[j] > perm[i]) - (perm[j] < perm[i]) for i in range(n) for j in range(i + 1, n))
    expected = stats.kendalltau(range(n), perm, method="exact", alternative=alternative).pvalue  # type: ignore[arg-type]
    assert kendall_exact_p(n, s, alternative) == float(expected)  # type: ignore[arg-type]


@pytest.mark.parametrize("n", range(2, 19))
def test_exact_p_equals_scipy_at_every_s(n: int) -> None:
    """Every S an n-point series can have, every alternative: the same float as scipy."""
    from kb.silent.trends import _with_inversions, kendall_exact_p

    m = n * (n - 1) // 2
    for k in range(m + 1):
        perm = _with_inversions(n, k)
        for alternative in ("less", "greater", "two-sided"):
            expected = stats.kendalltau(range(n), perm, method="exact", alternative=alternative).pvalue
            assert kendall_exact_p(n, m - 2 * k, alternative) == float(expected), (n, k, alternative)


def test_exact_p_by_hand() -> None:
    """n = 4, S = 4 (one inversion): (1 + 3) / 24 one-sided, as the module docstring counts."""
    from kb.silent.trends import kendall_exact_p

    assert kendall_exact_p(4, 4, "greater") == pytest.approx(4 / 24)
    assert kendall_exact_p(4, -6, "less") == pytest.approx(1 / 24)
    assert kendall_exact_p(8, 16, "greater") == pytest.approx((1 + 7 + 27 + 76 + 174 + 343 + 602) / 40320)  # k = 6


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 4), min_size=1, max_size=12), min_size=1, max_size=5).filter(
        lambda rows: len({len(r) for r in rows}) == 1
    ),
    st.sampled_from(["down", "up"]),
)
def test_tie_broken_ranks_equal_scipys_ordinal_ranks(rows: list[list[int]], direction: str) -> None:
    y = np.array(rows, dtype=float)
    expected = (
        stats.rankdata(y, method="ordinal", axis=-1)
        if direction == "down"
        else -stats.rankdata(-y, method="ordinal", axis=-1)
    )
    assert (tie_broken(y, direction) == expected).all()  # type: ignore[arg-type]


def test_kb_silent_imports_no_scipy(tmp_path: Path) -> None:
    """On the seed portfolio (12-period series at most) the scan never needs scipy."""
    import subprocess
    import sys

    from kb.service import KB

    db = tmp_path / "kb.sqlite"
    with KB(db, "tester") as kb:
        kb.seed()
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom kb.cli import main\n"
        "r = CliRunner().invoke(main, ['--db', sys.argv[1], 'silent', '--as-of', '2026-09-30'])\n"
        "assert r.exit_code == 0, r.output\nassert 'silent-failure' in r.output, r.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# --- the plain-Python paths (no numpy for a portfolio's short series) ---------------------------

# values with ties (small integers), and floats of every size a health sheet could hold
_VALUES = st.one_of(
    st.lists(st.integers(0, 4).map(float), min_size=2, max_size=20),
    st.lists(st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False), min_size=2, max_size=20),
)


@settings(max_examples=400, deadline=None)
@given(_VALUES, st.sampled_from(["down", "up"]))
def test_plain_kendall_s_equals_the_s_of_scipys_ordinal_ranks(ys: list[float], direction: str) -> None:
    from kb.silent.trends import kendall_s, tie_broken_s

    y = np.array(ys, dtype=float)
    ranks = stats.rankdata(y, method="ordinal") if direction == "down" else -stats.rankdata(-y, method="ordinal")
    n = len(ys)
    by_hand = sum(int(np.sign(ranks[j] - ranks[i])) for i in range(n) for j in range(i + 1, n))
    assert tie_broken_s(ys, direction) == by_hand  # type: ignore[arg-type]
    assert by_hand == int(kendall_s(tie_broken([ys], direction))[0])  # type: ignore[arg-type]


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.lists(st.integers(-3, 3).map(float), min_size=2, max_size=16),  # many equal slopes, zeros
        st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=16),
        st.lists(st.floats(allow_nan=False), min_size=2, max_size=8),  # infinities and overflow (NaN slopes)
    )
)
def test_plain_theil_sen_equals_numpys_median_and_scipys_slope(ys: list[float]) -> None:
    from kb.silent.trends import theil_sen_one

    n = len(ys)
    with np.errstate(all="ignore"):
        slopes = np.array([(ys[j] - ys[i]) / (j - i) for i in range(n) for j in range(i + 1, n)])
        expected = float(np.median(slopes))
    got = theil_sen_one(ys)
    assert (got == expected) or (np.isnan(got) and np.isnan(expected))
    if all(np.isfinite(ys)) and max(abs(v) for v in ys) < 1e300:
        assert got == float(stats.theilslopes(ys, np.arange(n)).slope)  # the same float, not merely close


def test_median_worked_by_hand() -> None:
    from kb.silent.trends import median

    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5  # the two middle values, halved
    assert median([0.1, 0.2]) == (0.1 + 0.2) / 2
    with pytest.raises(ValueError):
        median([])


@given(
    st.one_of(
        st.lists(st.integers(-3, 3), min_size=1, max_size=16),  # ints stay ints where statistics keeps them
        st.lists(st.floats(allow_nan=False), min_size=1, max_size=16),  # infinities, overflow of the halving
        st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=40),
    )
)
def test_median_equals_statistics_median(values: list[float]) -> None:
    import math
    import statistics

    from kb.silent.trends import median

    got, expected = median(values), statistics.median(values)
    assert type(got) is type(expected)
    assert got == expected or (math.isnan(got) and math.isnan(expected))


@settings(max_examples=60, deadline=None)
@given(
    st.integers(4, 14).flatmap(
        lambda n: st.lists(
            st.one_of(
                st.lists(st.integers(0, 5).map(float), min_size=n, max_size=n),
                st.lists(st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: round(v, 1)), min_size=n, max_size=n),
            ),
            min_size=1,
            max_size=8,
        )
    ),
    st.sampled_from(["down", "up"]),
)
def test_a_batch_big_enough_for_numpy_gives_what_plain_python_gives(series: list[list[float]], direction: str) -> None:
    """The same series screened and sized alone (plain Python) and inside a batch past VECTOR_PAIRS (numpy)."""
    from kb.silent.trends import VECTOR_PAIRS, screen_s, sized_slopes, theil_sen

    n = len(series[0])
    copies = -(-VECTOR_PAIRS // (len(series) * n * (n - 1) // 2))  # enough copies to pass the threshold
    big = series * copies
    small_s = screen_s(series, direction, RULE)  # type: ignore[arg-type]
    assert screen_s(big, direction, RULE) == small_s * copies  # type: ignore[arg-type]
    assert theil_sen(big) == theil_sen(series) * copies
    assert sized_slopes(big, direction, RULE) == sized_slopes(series, direction, RULE) * copies  # type: ignore[arg-type]
    for ys, s in zip(series, small_s, strict=True):  # and each S kept is the one the full test finds
        if s is not None:
            assert trend(labels(n), ys, direction, RULE, s) == trend(labels(n), ys, direction, RULE)  # type: ignore[arg-type]
