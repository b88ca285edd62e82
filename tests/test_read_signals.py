"""`kb flags list`, `kb flags unmapped` and `kb health show` on the read path (kb.store.queries.flags and
.health, no pydantic): their JSON and text worked out by hand from the files imported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.models import Project
from kb.service import KB

FLAGS = (
    "flag,environment,action,at,actor,comment\n"
    "churn-on,production,enabled,2026-01-05T10:00:00+02:00,ana,launch\n"
    "churn-on,production,disabled,2026-02-01,bob,\n"
    "orphan,staging,updated,2026-01-20T12:30:00Z,cy,tweak\n"
)
HEALTH = (
    "project,period,predictions,acted_on,overrides,quality,latency_p95_ms,cost,value,owner_confirmed,flag_on\n"
    "churn,2026Q1,1000,250,25,0.9,120,500,2000,true,false\n"
    "churn,2025Q4,800,0,,,,,,,\n"
)


@pytest.fixture
def signals(db_path: Path, tmp_path: Path) -> Path:
    (tmp_path / "f.csv").write_text(FLAGS, encoding="utf-8")
    (tmp_path / "h.csv").write_text(HEALTH, encoding="utf-8")
    with KB(db_path, "tester") as kb:
        kb.add_project(Project(slug="churn", feature_flags=["churn-on"]))
        kb.import_flags(str(tmp_path / "f.csv"), "csv")
        kb.import_health(str(tmp_path / "h.csv"))
    return db_path


def _kb(db: Path, *args: str) -> str:
    out = CliRunner().invoke(main, ["--db", str(db), *args])
    assert out.exit_code == 0, out.output
    return out.output


def _event(n: int, flag: str, env: str, action: str, states: tuple[str | None, str | None], at: str, actor: str,
           comment: str, project: str | None) -> dict[str, object]:  # fmt: skip
    return {
        "id": n,
        "source": "csv",
        "flag_key": flag,
        "environment": env,
        "action": action,
        "state_from": states[0],
        "state_to": states[1],
        "at": at,
        "actor": actor,
        "comment": comment,
        "scope": "",
        "instance": "",
        "serving_from": None,
        "serving_to": None,
        "detail": "",
        "project": project,
    }


# in time order (10:00+02:00 is 08:00Z); enabling leaves the flag on, disabling off, an update says nothing
ENABLED = _event(
    1, "churn-on", "production", "enabled", ("off", "on"), "2026-01-05T08:00:00Z", "ana", "launch", "churn"
)
ORPHAN = _event(3, "orphan", "staging", "updated", (None, None), "2026-01-20T12:30:00Z", "cy", "tweak", None)
DISABLED = _event(2, "churn-on", "production", "disabled", ("on", "off"), "2026-02-01T00:00:00Z", "bob", "", "churn")


def _without_keys(events: list[dict[str, object]]) -> list[dict[str, object]]:
    assert all(isinstance(e["event_key"], str) and e["event_key"] for e in events)
    assert list(events[0]) == ["id", "event_key", *list(ENABLED)[1:]]  # the field order kb has always printed
    return [{k: v for k, v in e.items() if k != "event_key"} for e in events]


def test_flags_list_json_by_hand(signals: Path) -> None:
    assert _without_keys(json.loads(_kb(signals, "flags", "list", "--json"))) == [ENABLED, ORPHAN, DISABLED]
    churn = json.loads(_kb(signals, "flags", "list", "--project", "churn", "--json"))
    assert _without_keys(churn) == [ENABLED, DISABLED]
    since = json.loads(_kb(signals, "flags", "list", "--since", "2026-01-06", "--json"))
    assert _without_keys(since) == [ORPHAN, DISABLED]
    assert _without_keys(json.loads(_kb(signals, "flags", "unmapped", "--json"))) == [ORPHAN]


def test_flags_list_text_by_hand(signals: Path) -> None:
    lines = _kb(signals, "flags", "list").splitlines()  # not a terminal: tab-separated, one line per event
    assert lines[0].split("\t") == ["at", "flag", "env", "action", "from→to", "actor", "project", "comment"]
    assert [line.split("\t")[1:] for line in lines[1:]] == [
        ["churn-on", "production", "enabled", "off→on", "ana", "churn", "launch"],
        ["orphan", "staging", "updated", "", "cy", "(unmapped)", "tweak"],
        ["churn-on", "production", "disabled", "on→off", "bob", "churn", ""],
    ]
    out = CliRunner().invoke(main, ["--db", str(signals), "flags", "list", "--project", "nope"])
    assert out.exit_code == 1 and out.output.strip() == "Error: project: no project 'nope'"


def test_health_show_json_by_hand(signals: Path) -> None:
    # adoption = acted_on / predictions, override rate = overrides / acted_on; a zero denominator is unknown
    assert json.loads(_kb(signals, "health", "show", "churn", "--json")) == [
        {
            "period": "2025Q4",
            "period_start": "2025-10-01",
            "predictions": 800.0,
            "acted_on": 0.0,
            "overrides": None,
            "quality": None,
            "latency_p95_ms": None,
            "cost": None,
            "value": None,
            "owner_confirmed": None,
            "flag_on": None,
            "adoption": 0.0,
            "override_rate": None,
        },
        {
            "period": "2026Q1",
            "period_start": "2026-01-01",
            "predictions": 1000.0,
            "acted_on": 250.0,
            "overrides": 25.0,
            "quality": 0.9,
            "latency_p95_ms": 120.0,
            "cost": 500.0,
            "value": 2000.0,
            "owner_confirmed": True,
            "flag_on": False,
            "adoption": 0.25,
            "override_rate": 0.1,
        },
    ]
    assert '"predictions": 800.0,' in _kb(signals, "health", "show", "churn", "--json")  # floats stay floats


def test_health_show_text_by_hand(signals: Path) -> None:
    out = CliRunner().invoke(main, ["--db", str(signals), "health", "show", "churn"], env={"COLUMNS": "120"})
    rows = [line.split() for line in out.output.splitlines()]
    assert rows[0] == ["period", "preds", "acted", "adopt", "overr", "ovr%", "quality", "p95ms", "cost", "value",
                       "owner", "flag"]  # fmt: skip
    assert rows[1] == ["2025Q4", "800", "0", "0%", "—", "—", "—", "—", "—", "—", "—", "—"]
    assert rows[2] == ["2026Q1", "1,000", "250", "25%", "25", "10%", "0.9", "120", "500", "2,000", "yes", "no"]
    missing = CliRunner().invoke(main, ["--db", str(signals), "health", "show", "nope"])
    assert missing.exit_code == 1 and missing.output.strip() == "Error: project: no project 'nope'"
