"""Format 2 of the record (issue 16): approximate dates, lifecycle, impact, sources, lessons and the rest.

Expected values are worked out by hand from tests/fixtures/docs/record_v2.yaml, never read back from kb.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from kb.approxdate import ApproxDate, parse_when
from kb.lifecycle import stage_in
from kb.models import Incident, Project
from kb.service import KB
from tests.conftest import Run

FIXTURE = Path(__file__).parent / "fixtures" / "docs" / "record_v2.yaml"


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- approximate dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end", "precision"),
    [
        ("2021", date(2021, 1, 1), date(2022, 1, 1), "year"),
        ("2021Q3", date(2021, 7, 1), date(2021, 10, 1), "quarter"),
        ("2021-q4", date(2021, 10, 1), date(2022, 1, 1), "quarter"),
        ("2021-11", date(2021, 11, 1), date(2021, 12, 1), "month"),
        ("2021-12", date(2021, 12, 1), date(2022, 1, 1), "month"),
    ],
)
def test_approximate_date_keeps_its_period(text: str, start: date, end: date, precision: str) -> None:
    d = parse_when(text)
    assert isinstance(d, ApproxDate)
    assert date(d.year, d.month, d.day) == start and d.end == end and d.precision == precision


@pytest.mark.parametrize("bad", ["2021-13", "2021Q5", "21", "1850", "2021-11-31", "soon", 20211])
def test_bad_dates_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_when(bad)


def test_yaml_year_number_is_a_year() -> None:
    assert Project(slug="p", launched_on=2018).launched_on == ApproxDate("2018")  # type: ignore[arg-type]


def test_ordered_by_their_start() -> None:
    values = [parse_when(t) for t in ("2021-11-05", "2021", "2021Q4", "2021-11", "2020-12-31")]
    assert [str(v) for v in sorted(values)] == ["2020-12-31", "2021", "2021Q4", "2021-11", "2021-11-05"]


def test_impossible_order_refused_possible_overlap_accepted() -> None:
    with pytest.raises(ValueError, match=r"detected_at \(2021-06\) is before started_at \(2022\)"):
        Incident(project="p", title="t", started_at="2022", detected_at="2021-06")
    # started on the 20th, detected "in November": possible, so accepted
    inc = Incident(project="p", title="t", started_at="2021-11-20", detected_at="2021-11")
    assert inc.time_to_detect == timedelta(0) and inc.span_is_approximate("time_to_detect")


def test_time_to_detect_is_approximate_between_midpoints() -> None:
    inc = Incident(project="p", title="t", started_at="2021-11", detected_at="2022-03-05")
    # November's midpoint is 16 Nov 00:00 (30 days / 2); 16 Nov -> 5 Mar is 14 + 31 + 28 + 4 = 109 days
    assert inc.time_to_detect == timedelta(days=109)
    assert inc.span_is_approximate("time_to_detect")
    exact = Incident(project="p", title="t", started_at="2021-11-16", detected_at="2022-03-05")
    assert exact.time_to_detect == timedelta(days=109) and not exact.span_is_approximate("time_to_detect")


# --- import, show, list, export ---------------------------------------------------------------------


def test_issue_example_imports_shows_as_written_and_sorts(run: Run, tmp_path: Path) -> None:
    doc = tmp_path / "inc.yaml"
    doc.write_text(
        "projects:\n  - {slug: p, launched_on: 2018}\n"
        "incidents:\n"
        "  - {id: INC-0001, project: p, title: approx, started_at: 2021-11, detected_at: 2021Q4}\n"
        "  - {id: INC-0002, project: p, title: exact, started_at: 2021-10-15}\n"
        "  - {id: INC-0003, project: p, title: year, started_at: 2021}\n",
        encoding="utf-8",
    )
    run.ok("import", str(doc))
    shown = json.loads(run.ok("incident", "show", "INC-0001", "--json").stdout)
    assert shown["started_at"] == "2021-11" and shown["detected_at"] == "2021Q4"
    proj = json.loads(run.ok("project", "show", "p", "--json").stdout)
    assert proj["launched_on"] == "2018"
    text = run.ok("incident", "show", "INC-0001").stdout
    assert "2021-11" in text and "2021Q4" in text and "(approximate)" in text
    rows = json.loads(run.ok("incident", "list", "--json").stdout)
    # newest start first: 2021-11-01, 2021-10-15, 2021-01-01
    assert [r["id"] for r in rows] == ["INC-0001", "INC-0002", "INC-0003"]
    assert [r["started_at"] for r in rows] == ["2021-11", "2021-10-15", "2021"]


def test_impossible_order_is_one_line_and_writes_nothing(run: Run, tmp_path: Path, db_path: Path) -> None:
    doc = tmp_path / "bad.yaml"
    doc.write_text(
        "projects:\n  - {slug: p}\nincidents:\n  - project: p\n    title: t\n    started_at: 2022\n"
        "    detected_at: 2021-06\n",
        encoding="utf-8",
    )
    res = run.fails("import", str(doc))
    assert "detected_at (2021-06) is before started_at (2022)" in res.stderr
    assert str(doc) in res.stderr
    with KB(db_path) as kb:
        assert list(kb.incidents()) == [] and kb.project_rows() == []


def test_every_new_field_is_stored_and_read_back(run: Run, db_path: Path) -> None:
    run.ok("import", str(FIXTURE))
    with KB(db_path) as kb:
        inc = kb.get_incident("PUB-0001")
        proj = kb.get_project("home-buyer")
    assert inc.kind == "emergency-takedown" and inc.detected_by == "press"
    assert str(inc.made_public_at) == "2021-11-02" and inc.postmortem_source == "press"
    assert inc.postmortem_link == "https://example.org/report"
    assert inc.impact is not None and inc.impact.money_lost is not None
    assert (inc.impact.money_lost.amount, inc.impact.money_lost.currency) == (304000000, "USD")
    assert (inc.impact.people_affected, inc.impact.decisions_affected) == (2000, 7000)
    assert inc.organisations == ["Agent network", "Lender"] and inc.affected_projects == ["lender-scoring"]
    assert [(m.name, m.before, m.after, m.unit) for m in inc.metrics] == [("median price error", 1.9, 6.9, "%")]
    assert inc.lessons is not None and inc.lessons.got_lucky == ["Prices did not fall further before the sales"]
    assert [a.kind for a in inc.actions] == ["retire", "redesign"]
    assert [str(x) for x in (inc.started_at, inc.detected_at, inc.resolved_at)] == ["2021-11", "2021Q4", "2022Q3"]
    assert proj.automation == "automated" and str(proj.retired_on) == "2021-11" and str(proj.launched_on) == "2018"
    assert [(str(c.at), c.stage) for c in proj.lifecycle] == [
        ("2018", "pilot"),
        ("2019Q2", "production"),
        ("2021Q4", "paused"),
        ("2021-11", "retired"),
    ]
    # the date columns hold each period's first day, so SQL orders and filters by the start
    conn = sqlite3.connect(db_path)
    try:
        row = conn.execute(
            "SELECT started_at, detected_at, approx_dates FROM incidents WHERE id = 'PUB-0001'"
        ).fetchone()
    finally:
        conn.close()
    assert row[0] == "2021-11-01" and row[1] == "2021-10-01"
    assert json.loads(row[2]) == {"started_at": "2021-11", "detected_at": "2021Q4", "resolved_at": "2022Q3"}


def test_new_fields_round_trip_byte_identically(run: Run, tmp_path: Path) -> None:
    run.ok("import", str(FIXTURE))
    out1 = tmp_path / "out1"
    run.ok("export", "--dir", str(out1))
    second = Run(tmp_path / "second.sqlite")
    second.ok("import", str(out1))
    out2 = tmp_path / "out2"
    second.ok("export", "--dir", str(out2))
    assert tree_bytes(out1) == tree_bytes(out2)
    text = (out1 / "projects" / "home-buyer.yaml").read_text(encoding="utf-8")
    assert "launched_on: '2018'" in text and "retired_on: 2021-11" in text


def test_unknown_affected_project_is_refused(run: Run, tmp_path: Path) -> None:
    doc = tmp_path / "x.yaml"
    doc.write_text(
        "projects:\n  - {slug: p}\nincidents:\n  - {project: p, title: t, affected_projects: [nowhere]}\n",
        encoding="utf-8",
    )
    res = run.fails("import", str(doc))
    assert "'nowhere' does not exist" in res.stderr


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("postmortem_source", "blog", "'blog' is not allowed"),
        ("kind", "never-performed", "'never-performed' is not allowed"),
        ("impact", "{money_lost: {amount: 5, currency: usd}}", "'usd' is not an ISO 4217 currency code"),
        ("impact", "{people_affected: -3}", "greater than or equal to 0"),
    ],
)
def test_bad_new_fields_one_line(run: Run, tmp_path: Path, field: str, value: str, message: str) -> None:
    doc = tmp_path / "x.yaml"
    doc.write_text(
        f"projects:\n  - {{slug: p}}\nincidents:\n  - project: p\n    title: t\n    {field}: {value}\n",
        encoding="utf-8",
    )
    res = run.fails("import", str(doc))
    assert message in res.stderr and field in res.stderr


def test_record_without_new_fields_exports_as_before(run: Run, tmp_path: Path) -> None:
    """A v1 document gains no keys on export: the new fields stay out while empty."""
    example = Path(__file__).parent / "fixtures" / "docs" / "example.yaml"
    run.ok("import", str(example))
    out = tmp_path / "out"
    run.ok("export", "--dir", str(out))
    for path in out.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        for key in ("lifecycle", "automation", "retired_on", "impact", "lessons", "metrics", "organisations"):
            assert f"\n{key}:" not in text, (path, key)


# --- lifecycle: the stage in a past quarter ---------------------------------------------------------


def _home_buyer() -> Project:
    return Project.model_validate(
        {
            "slug": "home-buyer",
            "stage": "retired",
            "lifecycle": [
                {"at": "2018", "stage": "pilot"},
                {"at": "2019Q2", "stage": "production"},
                {"at": "2021Q4", "stage": "paused"},
                {"at": "2021-11", "stage": "retired"},
            ],
        }
    )


@pytest.mark.parametrize(
    ("when", "stage"),
    [
        ("2017Q4", None),  # before its first recorded change: it did not exist yet
        ("2018Q1", "pilot"),
        ("2019Q1", "pilot"),
        ("2019Q2", "production"),
        ("2021Q3", "production"),
        ("2021-10", "paused"),
        ("2021Q4", "retired"),  # retired in November, so retired at the quarter's end
        ("2023Q1", "retired"),
    ],
)
def test_stage_in_a_past_period(when: str, stage: str | None) -> None:
    assert stage_in(_home_buyer(), when) == stage


def test_stage_from_launched_and_retired_dates() -> None:
    p = Project(slug="p", stage="retired", launched_on="2019-03-10", retired_on="2021Q2")  # type: ignore[arg-type]
    assert stage_in(p, "2019Q1") == "production"
    assert stage_in(p, "2018Q4") is None
    assert stage_in(p, date(2021, 3, 31)) == "production"
    assert stage_in(p, "2021Q2") == "retired"


def test_stage_without_history_is_the_current_stage() -> None:
    assert stage_in(Project(slug="p", stage="pilot"), "2015Q1") == "pilot"


def test_lifecycle_out_of_order_refused() -> None:
    with pytest.raises(ValueError, match=r"lifecycle\[1\].at \(2018\) is before lifecycle\[0\].at \(2019Q2\)"):
        Project.model_validate(
            {"slug": "p", "lifecycle": [{"at": "2019Q2", "stage": "production"}, {"at": "2018", "stage": "pilot"}]}
        )
    with pytest.raises(ValueError, match=r"retired_on \(2017\) is before launched_on \(2018\)"):
        Project(slug="p", launched_on="2018", retired_on="2017")  # type: ignore[arg-type]


def test_project_dates_are_days_or_periods_never_instants() -> None:
    with pytest.raises(ValueError, match="is a date-time"):
        Project(slug="p", launched_on="2021-03-01T10:00:00Z")  # type: ignore[arg-type]
    assert str(Project(slug="p", launched_on="2021-03-01").launched_on) == "2021-03-01"  # type: ignore[arg-type]


def test_cli_options_take_the_new_fields(run: Run) -> None:
    run.ok("project", "add", "p", "--launched-on", "2018", "--automation", "alerting")
    run.ok("project", "edit", "p", "--retired-on", "2021Q4", "--stage", "retired")
    out = run.ok(
        "incident",
        "add",
        "--project",
        "p",
        "--title",
        "t",
        "--started-at",
        "2021-11",
        "--detected-at",
        "2021Q4",
        "--made-public-at",
        "2022-01-05",
        "--postmortem-source",
        "regulator",
        "--postmortem-link",
        "https://x.org/r",
        "--kind",
        "never-performed-as-claimed",
        "--detected-by",
        "regulators",
        "--json",
    ).stdout
    inc = json.loads(out)
    assert (inc["started_at"], inc["detected_at"], inc["made_public_at"]) == ("2021-11", "2021Q4", "2022-01-05")
    assert (inc["postmortem_source"], inc["postmortem_link"]) == ("regulator", "https://x.org/r")
    proj = json.loads(run.ok("project", "show", "p", "--json").stdout)
    assert (proj["launched_on"], proj["retired_on"], proj["automation"]) == ("2018", "2021Q4", "alerting")
    res = run.fails(
        "incident", "add", "--project", "p", "--title", "u", "--started-at", "2022", "--detected-at", "2021-06"
    )
    assert "detected_at (2021-06) is before started_at (2022)" in res.stderr
