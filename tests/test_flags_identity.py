"""Flag-event identity (issue 14) and the reader's edges (issue 15, item 6): nothing dropped, nothing twice.

Every expected value here is worked out from the files the tests write, not from kb's output.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kb.errors import KBError
from kb.models import Project
from kb.service import KB


def _unleash(events: list[dict[str, object]]) -> str:
    return json.dumps({"version": 1, "events": events, "totalEvents": len(events)})


def _ev(id: int, flag: str, kind: str, at: str, project: str = "default", env: str = "production") -> dict[str, object]:
    return {
        "id": id,
        "type": kind,
        "createdAt": at,
        "createdBy": "dana@example.com",
        "environment": env,
        "project": project,
        "featureName": flag,
        "data": None,
        "preData": None,
        "tags": [],
    }


def _rows(kb: KB) -> list[tuple[str, str, str, str]]:
    return [
        (r[0], r[1], r[2], r[3])
        for r in kb.db.execute("SELECT flag_key, environment, action, at FROM flag_events ORDER BY at, id").fetchall()
    ]


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding=encoding)
    return p


def test_same_unleash_id_from_another_project_is_a_new_event(kb: KB, tmp_path: Path) -> None:
    """Issue 14: after one Unleash log with id 1002, another instance's id 1002 was 'already known' and dropped."""
    first = _write(
        tmp_path,
        "a.json",
        _unleash([_ev(1002, "churn-model", "feature-environment-enabled", "2026-01-05T09:00:00Z", "ml")]),
    )
    second = _write(
        tmp_path,
        "b.json",
        _unleash([_ev(1002, "fraud-model", "feature-environment-disabled", "2026-03-01T10:00:00Z", "risk")]),
    )
    assert kb.import_flags(first).added == 1
    report = kb.import_flags(second)
    assert (report.added, report.duplicates, report.conflicts) == (1, 0, 0)
    assert _rows(kb) == [
        ("churn-model", "production", "enabled", "2026-01-05T09:00:00.000000Z"),
        ("fraud-model", "production", "disabled", "2026-03-01T10:00:00.000000Z"),
    ]


def test_same_id_same_project_other_content_is_a_conflict_kept_and_named(kb: KB, tmp_path: Path) -> None:
    first = _write(
        tmp_path, "a.json", _unleash([_ev(1002, "churn-model", "feature-environment-enabled", "2026-01-05T09:00:00Z")])
    )
    other = _write(
        tmp_path, "b.json", _unleash([_ev(1002, "fraud-model", "feature-environment-disabled", "2026-03-01T10:00:00Z")])
    )
    kb.import_flags(first)
    report = kb.import_flags(other)
    assert (report.added, report.conflicts, report.conflicting_keys) == (1, 1, ["unleash:default:1002"])
    assert [r[0] for r in _rows(kb)] == ["churn-model", "fraud-model"]
    again = kb.import_flags(other)  # the conflicting version is kept once
    assert (again.added, again.conflicts, again.duplicates) == (0, 0, 1)


def test_cli_names_the_conflict(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = _write(
        tmp_path, "a.json", _unleash([_ev(7, "churn-model", "feature-environment-enabled", "2026-01-05T09:00:00Z")])
    )
    other = _write(
        tmp_path, "b.json", _unleash([_ev(7, "churn-model", "feature-environment-disabled", "2026-02-05T09:00:00Z")])
    )
    run.ok("flags", "import", str(first))
    result = run.ok("flags", "import", str(other))
    assert "1 event shares an id with a different stored event; both kept" in result.stderr
    assert "unleash:default:7" in result.stderr


def test_repeated_csv_rows_all_count_and_reimport_adds_nothing(kb: KB, tmp_path: Path) -> None:
    """Issue 14: disabled, enabled, disabled on one day by one actor kept two rows (the second disable was lost)."""
    kb.add_project(Project(slug="churn", stage="production", feature_flags=["churn-model"]))
    text = (
        "flag,environment,action,at,actor,comment\n"
        "churn-model,production,disabled,2026-04-28,dana,\n"
        "churn-model,production,enabled,2026-04-28,dana,\n"
        "churn-model,production,disabled,2026-04-28,dana,\n"
    )
    log = _write(tmp_path, "flags.csv", text)
    report = kb.import_flags(log)
    assert (report.read, report.added) == (3, 3)
    assert [r[2] for r in _rows(kb)] == ["disabled", "enabled", "disabled"]
    again = kb.import_flags(log)
    assert (again.added, again.duplicates) == (0, 3)
    # the last word of that day is "disabled": the flag is off, not on
    events = kb.flag_events(project="churn")
    assert events[-1].state_to == "off"


def test_an_overlapping_export_adds_only_its_new_rows(kb: KB, tmp_path: Path) -> None:
    head = "flag,environment,action,at,actor,comment\n"
    a = "m,production,enabled,2026-01-01,dana,\n"
    b = "m,production,disabled,2026-02-01,dana,\n"
    c = "m,production,enabled,2026-03-01,dana,\n"
    kb.import_flags(_write(tmp_path, "week1.csv", head + a + b))
    report = kb.import_flags(_write(tmp_path, "week2.csv", head + b + c))
    assert (report.added, report.duplicates) == (1, 1)


def test_byte_order_mark_is_read_through(kb: KB, tmp_path: Path) -> None:
    """Issue 14: a UTF-8 BOM gave 'cannot tell the format'."""
    log = _write(
        tmp_path, "bom.csv", "\ufeffflag,environment,action,at,actor,comment\nm,production,disabled,2026-02-01,dana,\n"
    )
    report = kb.import_flags(log)
    assert (report.format, report.added) == ("csv", 1)
    js = _write(
        tmp_path, "bom.json", "\ufeff" + _unleash([_ev(1, "m", "feature-environment-disabled", "2026-02-01T00:00:00Z")])
    )
    assert kb.import_flags(js).format == "unleash"


def test_import_from_standard_input(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    body = _unleash([_ev(5, "m", "feature-environment-disabled", "2026-02-01T00:00:00Z")])
    out = run.ok("flags", "import", "-", "--json", input=body).stdout
    report = json.loads(out)
    assert (report["format"], report["added"]) == ("unleash", 1)
    assert report["detected"].startswith("unleash (the first record is an object with keys 'id', 'type'")
    csv_text = "flag,environment,action,at,actor,comment\nm,production,enabled,2026-03-01,dana,\n"
    assert "added 1" in run.ok("flags", "import", "-", "--format", "csv", input=csv_text).stdout


def test_standard_input_that_is_no_flag_log_says_what_it_saw(run) -> None:  # type: ignore[no-untyped-def]
    err = run.fails("flags", "import", "-", input="hello there\n").stderr
    assert "<stdin>: line 1: cannot tell the format: the file starts with 'hello there'" in err


@pytest.mark.parametrize(
    ("value", "want"),
    [
        (1767603600, datetime(2026, 1, 5, 9, 0, tzinfo=UTC)),  # seconds
        (1767603600000, datetime(2026, 1, 5, 9, 0, tzinfo=UTC)),  # milliseconds
        (1767603600.5, datetime(2026, 1, 5, 9, 0, 0, 500000, tzinfo=UTC)),
    ],
)
def test_epoch_seconds_and_milliseconds_told_apart(kb: KB, tmp_path: Path, value: float, want: datetime) -> None:
    """Issue 15: numbers were always milliseconds, so a log in epoch seconds landed in 1970."""
    ev = _ev(9, "m", "feature-environment-disabled", "x")
    ev["createdAt"] = value
    kb.import_flags(_write(tmp_path, "e.json", _unleash([ev])))
    assert kb.flag_events()[0].at == want


@pytest.mark.parametrize("value", [86_400, 5_000_000_000_000_000, 20_000_000_000])
def test_epoch_that_is_neither_is_an_error(kb: KB, tmp_path: Path, value: int) -> None:
    ev = _ev(9, "m", "feature-environment-disabled", "x")
    ev["createdAt"] = value
    p = _write(tmp_path, "e.json", _unleash([ev]))
    with pytest.raises(
        KBError, match=rf"event 0 \(id 9\): createdAt: {value} is neither epoch seconds nor epoch milliseconds"
    ):
        kb.import_flags(p)
    assert _rows(kb) == []


def test_after_kb_seed_another_logs_id_1002_is_kept(kb: KB, tmp_path: Path) -> None:
    """Issue 14, as found: after `kb seed` (Unleash ids 1001-1018), another log's event 1002 was dropped."""
    kb.seed()
    before = kb.db.execute("SELECT count(*) FROM flag_events").fetchone()[0]
    other_instance = _ev(1002, "pricing-model", "feature-environment-disabled", "2026-08-01T10:00:00Z", "pricing")
    same_instance = _ev(1002, "search-model", "feature-environment-disabled", "2026-08-02T10:00:00Z", "ml")
    report = kb.import_flags(_write(tmp_path, "other.json", _unleash([other_instance, same_instance])))
    assert (report.added, report.conflicts, report.conflicting_keys) == (2, 1, ["unleash:ml:1002"])
    flags = {r[0] for r in kb.db.execute("SELECT flag_key FROM flag_events").fetchall()}
    assert {"pricing-model", "search-model", "churn-model-enabled"} <= flags
    assert kb.db.execute("SELECT count(*) FROM flag_events").fetchone()[0] == before + 2
