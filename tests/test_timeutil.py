"""The one strict date/time parser: what kb accepts is exactly what it can store and read back.

Issue 14: `0999-06-01` was stored as `999-06-01` (unreadable afterwards), `0001Q1` as `1Q1`,
offsets that leave the calendar and unquoted impossible YAML dates ended in tracebacks.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kb.service import KB
from kb.timeutil import MAX_YEAR, MIN_YEAR, from_text, parse_date, parse_moment, parse_period, to_text
from tests._hostile import run_hostile

GOOD = [
    ("2026-02-10", date(2026, 2, 10)),
    ("2026-02-10T14:03:00Z", datetime(2026, 2, 10, 14, 3, tzinfo=UTC)),
    ("2026-02-10T14:03Z", datetime(2026, 2, 10, 14, 3, tzinfo=UTC)),
    ("2026-02-10 14:03:00", datetime(2026, 2, 10, 14, 3, tzinfo=UTC)),  # no offset: UTC
    ("2026-02-10T14:03:00.5+02:00", datetime(2026, 2, 10, 12, 3, 0, 500000, tzinfo=UTC)),
    ("2026-02-10T14:03:00.123456789Z", datetime(2026, 2, 10, 14, 3, 0, 123456, tzinfo=UTC)),  # nanoseconds cut
    ("2026-02-10T00:30:00-0100", datetime(2026, 2, 10, 1, 30, tzinfo=UTC)),
    ("1900-01-01", date(1900, 1, 1)),
    ("2999-12-31T23:59:59Z", datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)),
]

BAD = [
    "0999-06-01T12:00:00Z",  # stored as 999-06-01 before
    "999-06-01",
    "0001-01-01T00:00:00+01:00",  # offset leaves the calendar
    "9999-12-31T23:00:00-05:00",
    "1900-01-01T00:30:00+01:00",  # in range as written, not in UTC
    "2999-12-31T23:30:00-01:00",
    "2026-02-30",
    "2026-02-10T25:00:00Z",
    "2026-02-10T23:59:60Z",
    "2026-02-10T12:00:00+24:00",
    "2026-02-10T12:00:00+05:60",
    "12026-01-01",
    "2026-2-1",
    "2026W061",  # ISO week date forms Python's fromisoformat would take
    "20260210",
    "2026-02-10T14",
    "٢٠٢٦-٠٢-١٠",  # Arabic-Indic digits: int() reads them, kb must not
    "2026-02-10\n",
    "",
    "last tuesday",
]


@pytest.mark.parametrize(("text", "expected"), GOOD)
def test_good_dates_and_instants(text: str, expected: date | datetime) -> None:
    assert from_text(text) == expected
    assert type(from_text(text)) is type(expected)


@pytest.mark.parametrize("text", [b for b in BAD if b])
def test_bad_dates_are_one_short_line(text: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_moment(text if text != "2026-02-10\n" else text + "x")
    msg = str(err.value)
    assert "\n" not in msg and len(msg) < 200


def test_objects_out_of_range_are_refused() -> None:
    for bad in (date(999, 1, 1), date(3000, 1, 1), datetime(1900, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))):
        with pytest.raises(ValueError):
            parse_moment(bad)
    assert parse_moment(date(1900, 1, 1)) == date(1900, 1, 1)


def test_parse_date_wants_a_day() -> None:
    assert parse_date("2026-02-28") == date(2026, 2, 28)
    for bad in ("2026-02-28T00:00:00Z", "2026-02-29", "0999-01-01", "+2026-01-01"):
        with pytest.raises(ValueError):
            parse_date(bad)


@pytest.mark.parametrize("label", ["0001Q1", "1Q1", "9999-W52", "0999-12", "3000Q1", "2026Q5", "2026-W54", "2026-13"])
def test_bad_periods(label: str) -> None:
    with pytest.raises(ValueError):
        parse_period(label)


def test_good_periods_keep_four_digit_labels() -> None:
    assert parse_period("1900Q1").label == "1900Q1"
    assert parse_period("2999-W52").start == date(2999, 12, 23)  # ISO week 52 of 2999 starts on Monday 23 Dec
    assert parse_period("2999Q4").end == date(3000, 1, 1)


@given(st.dates(min_value=date(MIN_YEAR, 1, 1), max_value=date(MAX_YEAR, 12, 31)))
def test_every_accepted_date_reads_back(d: date) -> None:
    text = to_text(parse_moment(d.isoformat()))
    assert text is not None and len(text) == 10
    assert from_text(text) == d


# ISO 8601 offsets are whole minutes (a zone's historical LMT offset like -05:47:04 is not one)
OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))


@given(st.datetimes(min_value=datetime(1800, 1, 1), max_value=datetime(3100, 1, 1), timezones=st.none() | OFFSETS))
def test_an_instant_is_accepted_exactly_when_its_text_reads_back(dt: datetime) -> None:
    text = dt.isoformat()
    try:
        parsed = from_text(text)
    except ValueError:
        utc_year = dt.astimezone(UTC).year if dt.tzinfo else dt.year
        assert not (MIN_YEAR <= dt.year <= MAX_YEAR and MIN_YEAR <= utc_year <= MAX_YEAR)
        return
    stored = to_text(parsed)
    assert stored is not None and stored[:4].isdigit() and stored[4] == "-"
    assert from_text(stored) == parsed


# --- every boundary: one line naming the place, nothing written -------------------------------------


def _db(tmp_path: Path) -> Path:
    db = tmp_path / "kb.sqlite"
    with KB(db) as kb:
        from kb.models import Project

        kb.add_project(Project(slug="p", owner="ann"))
    return db


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ("2026-02-30", "started_at"),  # unquoted: PyYAML raised a bare ValueError
        ("2026-02-10 25:00:00", "started_at"),
        ("2026-02-10T23:59:60Z", "started_at"),
        ("'0999-06-01T12:00:00Z'", "started_at"),
        ("0001-01-01T00:00:00+01:00", "started_at"),
        ("9999-12-31T23:00:00-05:00", "started_at"),
        ("!!timestamp 2026-13-01", "started_at"),
    ],
)
def test_yaml_dates_are_refused_with_their_line(tmp_path: Path, value: str, where: str) -> None:
    db = _db(tmp_path)
    f = tmp_path / "i.yaml"
    f.write_text(f"project: p\ntitle: t\nstarted_at: {value}\n", encoding="utf-8")
    result = run_hostile(db, "import", str(f))
    assert result.exit_code == 1
    assert f"{f}:3: started_at" in result.stderr


@pytest.mark.parametrize("value", ["!!int abc", "!!float x1", "9" * 5000, "!!int " + "9" * 5000])
def test_bad_yaml_numbers_are_one_line(tmp_path: Path, value: str) -> None:
    db = _db(tmp_path)
    f = tmp_path / "i.yaml"
    f.write_text(f"project: p\ntitle: t\nseverity: {value}\n", encoding="utf-8")
    result = run_hostile(db, "import", str(f))
    assert result.exit_code == 1
    assert f"{f}:3" in result.stderr and len(result.stderr) < 300


def test_launched_on_and_due_are_strict_days(tmp_path: Path) -> None:
    db = _db(tmp_path)
    f = tmp_path / "p.yaml"
    f.write_text("kind: project\nslug: q\nlaunched_on: 0999-01-01\n", encoding="utf-8")
    assert "launched_on" in run_hostile(db, "import", str(f)).stderr
    f.write_text("project: p\ntitle: t\nactions:\n  - title: a\n    due: 2026-02-29\n", encoding="utf-8")
    assert "due" in run_hostile(db, "import", str(f)).stderr


@pytest.mark.parametrize(
    "args",
    [
        ["incident", "list", "--since", "0001-01-01T00:00:00+01:00"],
        ["incident", "list", "--since", "0999-06-01"],
        ["search", "x", "--since", "9999-12-31T23:00:00-05:00"],
        ["flags", "list", "--since", "2026-02-30"],
        ["silent", "--as-of", "0001-01-01T00:00:00+01:00"],
        ["graph", "root-causes", "--since", "0999-01-01"],
        ["graph", "root-causes", "--quarter", "0001Q1"],
        ["graph", "root-causes", "--quarter", "9999-W52"],
        ["review", "show", "0001Q1"],
    ],
)
def test_command_line_dates_are_one_line_naming_the_option(tmp_path: Path, args: list[str]) -> None:
    db = _db(tmp_path)
    result = run_hostile(db, *args)
    assert result.exit_code == 1
    named = args[-2] if args[-2].startswith("--") else "QUARTER"
    assert named in result.stderr, result.stderr


@pytest.mark.parametrize("period", ["0001Q1", "9999-W52", "0999-01"])
def test_health_periods_out_of_range_are_refused(tmp_path: Path, period: str) -> None:
    db = _db(tmp_path)
    f = tmp_path / "h.csv"
    f.write_text(
        "project,period,predictions,acted_on,overrides,quality,latency_p95_ms,cost,value,owner_confirmed,flag_on\n"
        f"p,{period},1,1,,,,,,,\n",
        encoding="utf-8",
    )
    result = run_hostile(db, "health", "import", str(f))
    assert result.exit_code == 1
    assert "line 2" in result.stderr and "period" in result.stderr
    # and a later import still works (before: every later import failed for every project)
    f.write_text(f.read_text().replace(period, "2026Q1"), encoding="utf-8")
    assert run_hostile(db, "health", "import", str(f)).exit_code == 0


@pytest.mark.parametrize("at", ["0999-06-01T12:00:00Z", "0001-01-01T00:00:00+01:00", "2026-02-30T00:00:00Z"])
def test_flag_log_dates_are_refused(tmp_path: Path, at: str) -> None:
    db = _db(tmp_path)
    f = tmp_path / "u.json"
    f.write_text(
        '{"events": [{"id": 1, "type": "feature-updated", "featureName": "f", "environment": "production",'
        f' "createdBy": "ann", "createdAt": "{at}", "data": {{"enabled": false}}}}]}}',
        encoding="utf-8",
    )
    result = run_hostile(db, "flags", "import", str(f), "--format", "unleash")
    assert result.exit_code == 1
    assert "createdAt" in result.stderr, result.stderr
