"""kb.humanize: values worked out by hand, not read back from the code."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from kb.humanize import day, duration, evidence, evidence_line, number, percent, plural, rate, score, when
from kb.silent.detector import Signal


def test_plurals() -> None:
    assert plural(1, "incident") == "1 incident"
    assert plural(2, "incident") == "2 incidents"
    assert plural(0, "match") == "0 matches"
    assert plural(1, "project") == "1 project"
    assert plural(2000, "project") == "2,000 projects"


def test_moments_to_the_minute_local_or_utc() -> None:
    stored = "2026-11-29T16:25:22.391826Z"
    assert when(stored, utc=True) == "2026-11-29 16:25 UTC"
    plus2 = timezone(timedelta(hours=2))
    assert when(stored, zone=plus2) == "2026-11-29 18:25"
    assert when(datetime(2026, 1, 5, 23, 59, 59, tzinfo=UTC), utc=True) == "2026-01-05 23:59 UTC"
    assert when("2026-11-29") == "2026-11-29"
    assert when(date(2025, 9, 1)) == "2025-09-01"
    assert when(None) == "" and day(stored) == "2026-11-29"


def test_durations_in_whole_units() -> None:
    assert duration(8.95694) == "9 d"
    assert duration(0.125) == "3 h"
    assert duration(1 / 48) == "30 min"
    assert duration(None) == "–"
    assert duration(400) == "400 d"


def test_numbers_rates_percentages_scores() -> None:
    assert rate(0.891304) == "0.89"
    assert percent(0.382) == "38%"
    assert percent(0.046) == "4.6%"
    assert percent(-0.5, signed=True) == "-50%"
    assert number(1234.6) == "1,235"
    assert number(0.891304) == "0.891"
    assert number(12.345) == "12.3"
    assert number(0) == "0"
    assert score(0.5) == "0.5" and score(3.0) == "3" and score(4.25) == "4.2"


def test_trend_evidence_leads_with_the_plain_sentence() -> None:
    signal = Signal(
        code="usage-decline",
        weight=1.5,
        evidence="predictions fell from 1200 in 2025Q1 to 744 in 2026Q2 over 6 periods (Mann-Kendall ...)",
        data={
            "periods": ["2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2"],
            "values": [1200.0, 1100.0, 1000.0, 900.0, 800.0, 744.0],
            "n": 6,
            "tau": -1.0,
            "p_value": 0.0014,
            "alpha": 0.1,
            "slope": -95.2,
            "relative_slope": -0.1,
        },
    )
    plain, stats = evidence(signal)
    # (1200 - 744) / 1200 = 0.38
    assert plain == "predictions served fell 38% over 6 quarters, from 1,200 in 2025Q1 to 744 in 2026Q2"
    assert stats == "Mann-Kendall tau -1.00, p = 0.0014 < 0.10; Theil-Sen slope -95.2 per period (-10% of the median)"
    assert evidence_line(signal).startswith(plain + " (Mann-Kendall")


def test_other_evidence_is_left_as_written() -> None:
    signal = Signal(code="ownerless", weight=1.5, evidence="no owner recorded")
    assert evidence(signal) == ("no owner recorded", "")
