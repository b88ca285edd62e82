"""Health CSV import: validation naming the line, replacement of periods, derived rates, the change log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.errors import KBError
from kb.models import Project
from kb.service import KB

HEADER = "project,period,predictions,acted_on,overrides,quality,latency_p95_ms,cost,value,owner_confirmed,flag_on\n"


@pytest.fixture
def two(kb: KB) -> KB:
    kb.add_project(Project(slug="alpha", owner="ann"))
    kb.add_project(Project(slug="beta", owner="ben"))
    return kb


def _csv(tmp_path: Path, body: str, header: str = HEADER, name: str = "h.csv") -> Path:
    p = tmp_path / name
    p.write_text(header + body, encoding="utf-8")
    return p


def _rows(kb: KB) -> int:
    return kb.db.execute("SELECT count(*) FROM health").fetchone()[0]


def test_import_and_series_with_derived_rates(two: KB, tmp_path: Path) -> None:
    p = _csv(
        tmp_path,
        "alpha,2026Q1,1000,250,25,0.9,120,500,2000,true,true\n"
        "alpha,2025Q4,800,400,,0.8,,,,yes,\n"
        "beta,2026-W05,,,,,,,,,\n",
    )
    report = two.import_health(p)
    assert (report.rows, report.projects, report.added, report.replaced) == (3, 2, 3, 0)
    series = two.health_series("alpha")
    assert [pt.period for pt in series] == ["2025Q4", "2026Q1"]  # period order, not file order
    q4, q1 = series
    assert (q4.period_start, q4.adoption, q4.override_rate, q4.owner_confirmed, q4.flag_on) == (
        "2025-10-01",
        0.5,
        None,
        True,
        None,
    )
    assert (q1.adoption, q1.override_rate, q1.cost, q1.latency_p95_ms) == (0.25, 0.1, 500.0, 120.0)
    beta = two.health_series("beta")
    assert beta[0].period == "2026-W05" and beta[0].period_start == "2026-01-26"
    assert beta[0].adoption is None


def test_columns_may_come_in_any_order(two: KB, tmp_path: Path) -> None:
    header = "period,project,flag_on,owner_confirmed,value,cost,latency_p95_ms,quality,overrides,acted_on,predictions\n"
    two.import_health(_csv(tmp_path, "2026-03,alpha,false,true,10,20,30,0.5,1,4,8\n", header=header))
    (pt,) = two.health_series("alpha")
    assert (pt.predictions, pt.acted_on, pt.overrides, pt.flag_on, pt.value) == (8.0, 4.0, 1.0, False, 10.0)


def test_reimport_replaces_the_period(two: KB, tmp_path: Path) -> None:
    two.import_health(_csv(tmp_path, "alpha,2026Q1,1000,250,25,0.9,120,500,2000,true,true\n"))
    report = two.import_health(_csv(tmp_path, "alpha,2026Q1,900,300,,,,,,false,true\nalpha,2026Q2,1,1,,,,,,,\n"))
    assert (report.added, report.replaced) == (1, 1)
    q1 = two.health_series("alpha")[0]
    assert (q1.predictions, q1.acted_on, q1.overrides, q1.quality, q1.owner_confirmed) == (
        900.0,
        300.0,
        None,
        None,
        False,
    )
    assert _rows(two) == 2


def test_import_is_recorded_in_the_change_log(two: KB, tmp_path: Path) -> None:
    two.import_health(_csv(tmp_path, "alpha,2026Q1,1,1,,,,,,,\nbeta,2026Q1,1,1,,,,,,,\n", name="march.csv"))
    (rec,) = two.history("health", "march.csv")
    assert rec.op == "import" and rec.actor == "tester"
    assert rec.changes == {"rows": 2, "added": 2, "replaced": 0, "projects": ["alpha", "beta"]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("alpha,2026Q1,1,1,,,,,,,\ngamma,2026Q1,1,1,,,,,,,\n", "line 3: project: unknown project 'gamma'"),
        ("alpha,2026Q1,many,1,,,,,,,\n", "line 2: predictions: 'many' is not a number"),
        ("alpha,2026Q1,1,1,,,,,1e3x,,\n", "line 2: value: '1e3x' is not a number"),
        ("alpha,2026-13,1,1,,,,,,,\n", "line 2: period: '2026-13' is not a period"),
        ("alpha,Q1 2026,1,1,,,,,,,\n", "line 2: period: 'Q1 2026' is not a period"),
        ("alpha,2026Q1,10,-1,,,,,,,\n", "line 2: acted_on: '-1' is negative"),
        ("alpha,2026Q1,10.5,1,,,,,,,\n", "line 2: predictions: '10.5' is not a whole number"),
        ("alpha,2026Q1,1,1,,,,,,maybe,\n", "line 2: owner_confirmed: 'maybe' is not true or false"),
        ("alpha,2026Q1,1,2,,,,,,,\n", "line 2: acted_on: 2 is more than predictions (1)"),
        ("alpha,2026Q1,1,1,,,,,,,\nalpha,2026q1,1,1,,,,,,,\n", "line 3: period: alpha 2026Q1 is already on line 2"),
        ("alpha,2026Q1,1,1,,,,,,\n", "line 2: expected 11 cells, found 10"),
        ("alpha,2026Q1,1,1,,,,,,,\nalpha,2026-02,1,1,,,,,,,\n", "line 3: period: alpha would mix month and quarter"),
    ],
)
def test_bad_rows_name_the_line_and_import_nothing(two: KB, tmp_path: Path, body: str, message: str) -> None:
    p = _csv(tmp_path, body)
    with pytest.raises(KBError) as err:
        two.import_health(p)
    assert str(err.value).startswith(f"{p}: {message}")
    assert _rows(two) == 0
    assert two.history("health", "h.csv") == []


def test_bad_header(two: KB, tmp_path: Path) -> None:
    p = _csv(tmp_path, "", header="project,period,predictions\n")
    with pytest.raises(KBError, match=r"line 1: header must name the columns .*missing acted_on"):
        two.import_health(p)
    p = _csv(tmp_path, "", header=HEADER.strip() + ",notes\n")
    with pytest.raises(KBError, match=r"unknown column notes"):
        two.import_health(p)


def test_mixing_kinds_with_stored_periods_is_refused(two: KB, tmp_path: Path) -> None:
    two.import_health(_csv(tmp_path, "alpha,2026Q1,1,1,,,,,,,\n"))
    with pytest.raises(KBError, match=r"alpha would mix month and quarter periods"):
        two.import_health(_csv(tmp_path, "alpha,2026-04,1,1,,,,,,,\n"))
    assert _rows(two) == 1


def test_cli_health_import_and_show(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run.ok("project", "add", "alpha", "--owner", "ann")
    p = _csv(tmp_path, "alpha,2026Q1,1000,250,25,0.9,120,500,2000,true,true\n")
    assert "imported 1 row for 1 project (1 new periods, 0 replaced)" in run.ok("health", "import", str(p)).stdout
    shown = json.loads(run.ok("health", "show", "alpha", "--json").stdout)
    assert shown[0]["adoption"] == 0.25 and shown[0]["override_rate"] == 0.1
    text = run.ok("health", "show", "alpha").stdout
    assert "2026Q1" in text and "25%" in text
    bad = _csv(tmp_path, "alpha,2026Q5,1,1,,,,,,,\n", name="bad.csv")
    assert "line 2: period:" in run.fails("health", "import", str(bad)).stderr
    assert "no project 'nope'" in run.fails("health", "show", "nope").stderr


def test_health_import_reads_standard_input(run, kb) -> None:
    """`-` reads the CSV from standard input, like `kb import -`."""
    from kb.models import Project

    kb.add_project(Project(slug="churn-scorer", stage="production"))
    csv_text = (
        "project,period,predictions,acted_on,overrides,quality,latency_p95_ms,cost,value,owner_confirmed,flag_on\n"
        "churn-scorer,2026-07,1000,600,10,0.8,120,50,300,true,true\n"
    )
    result = run.ok("health", "import", "-", input=csv_text)
    assert "imported 1 row for 1 project" in result.stdout
    row = kb.db.execute("SELECT period, predictions, acted_on, flag_on FROM health").fetchall()
    assert row == [("2026-07", 1000.0, 600.0, 1)]
