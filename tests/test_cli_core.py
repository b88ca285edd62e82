"""The core CLI: projects and incidents from flags, listings as JSON, --db anywhere, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kb.cli import main
from kb.service import KB


def test_init_is_idempotent(run, db_path: Path) -> None:
    assert "0 projects" in run.ok("init").output
    assert "0 projects" in run.ok("init").output
    assert db_path.exists()


def test_db_option_after_the_subcommand(tmp_path: Path) -> None:
    target = tmp_path / "here.sqlite"
    result = CliRunner().invoke(main, ["project", "add", "p1", "--db", str(target)])
    assert result.exit_code == 0, result.output
    with KB(target) as kb:
        assert kb.get_project("p1").slug == "p1"


def test_project_add_edit_show_list(run, db_path: Path) -> None:
    run.ok(
        "project",
        "add",
        "churn-scorer",
        "--name",
        "Churn scorer",
        "--stage",
        "production",
        "--flag",
        "churn-on",
        "--flag",
        "churn-v2",
        "--monitoring",
        "input-drift",
        "--outcome-lag-days",
        "90",
        "--retraining-owner",
        "ml-ops",
        "--retraining-cadence-days",
        "30",
        "--launched-on",
        "2025-11-03",
    )
    run.ok("project", "edit", "churn-scorer", "--owner", "dana", "--baseline", "rule-based churn list")
    data = json.loads(run.ok("project", "show", "churn-scorer", "--json").output)
    assert data["owner"] == "dana"
    assert data["feature_flags"] == ["churn-on", "churn-v2"]
    assert data["retraining"] == {"owner": "ml-ops", "cadence_days": 30}
    assert data["launched_on"] == "2025-11-03"
    assert data["incidents"] == []
    rows = json.loads(run.ok("project", "list", "--json").output)
    assert [(r["slug"], r["stage"], r["incidents"]) for r in rows] == [("churn-scorer", "production", 0)]
    with KB(db_path) as kb:
        flags = kb.db.execute("SELECT flag_key FROM project_flags ORDER BY flag_key").fetchall()
    assert [f[0] for f in flags] == ["churn-on", "churn-v2"]


def test_project_errors(run) -> None:
    run.ok("project", "add", "p")
    assert "already exists" in run.fails("project", "add", "p").stderr
    assert "no project 'nope'" in run.fails("project", "show", "nope").stderr
    assert "is not a valid slug" in run.fails("project", "add", "Bad Slug").stderr
    err = run.fails("project", "add", "q", "--stage", "alive").stderr
    assert "'alive' is not one of" in err and "kb project add --help" in err
    assert "No such command 'lst'" in run.fails("project", "lst").stderr
    assert "Missing argument 'SLUG'" in run.fails("project", "edit").stderr


def test_incident_add_from_flags_then_edit_and_list(run) -> None:
    run.ok("project", "add", "churn", "--stage", "production")
    out = run.ok(
        "incident",
        "add",
        "--project",
        "churn",
        "--title",
        "Model switched off",
        "--kind",
        "quiet-shutdown",
        "--severity",
        "2",
        "--started-at",
        "2026-02-10",
        "--detected-at",
        "2026-05-02",
        "--detected-by",
        "review",
        "--not-announced",
        "--mode",
        "silent.quiet-shutdown",
        "--mode",
        "integration.latency",
        "--flag-key",
        "churn-on",
        "--flag-at",
        "2026-04-28",
    ).output
    assert "recorded INC-0001" in out
    inc = json.loads(run.ok("incident", "show", "INC-0001", "--json").output)
    assert [(m["code"], m["role"]) for m in inc["modes"]] == [
        ("silent.quiet-shutdown", "primary"),
        ("integration.latency", "contributing"),
    ]
    assert inc["flag"] == {
        "key": "churn-on",
        "environment": "production",
        "from": "on",
        "to": "off",
        "at": "2026-04-28",
        "actor": "",
    }
    run.ok("incident", "edit", "INC-0001", "--status", "resolved", "--resolved-at", "2026-05-10")
    rows = json.loads(run.ok("incident", "list", "--json", "--project", "churn").output)
    assert [(r["id"], r["status"]) for r in rows] == [("INC-0001", "resolved")]
    assert json.loads(run.ok("incident", "list", "--json", "--since", "2026-03-01").output) == []
    text = run.ok("incident", "show", "INC-0001").output
    assert "81 d" in text  # time to detect: Feb 10 -> May 2


def test_incident_errors_are_one_line(run) -> None:
    run.ok("project", "add", "churn")
    err = run.fails(
        "incident",
        "add",
        "--project",
        "churn",
        "--title",
        "t",
        "--started-at",
        "2026-03-01",
        "--detected-at",
        "2026-01-01",
    ).stderr
    assert "detected_at (2026-01-01) is before started_at (2026-03-01)" in err
    err = run.fails("incident", "add", "--project", "churn", "--title", "t", "--mode", "ops.monitoring").stderr
    assert "unknown taxonomy code 'ops.monitoring'" in err and "ops.no-monitoring" in err
    assert "no incident 'INC-0404'" in run.fails("incident", "show", "INC-0404").stderr
    assert "no incident" in run.fails("incident", "edit", "INC-0404", "--status", "resolved").stderr


def test_incident_add_from_file(run, tmp_path: Path) -> None:
    run.ok("project", "add", "churn")
    f = tmp_path / "inc.yaml"
    f.write_text("project: churn\ntitle: From a file\nkind: rollback\nseverity: 1\n")
    run.ok("incident", "add", "--file", str(f))
    rows = json.loads(run.ok("incident", "list", "--json").output)
    assert [(r["title"], r["kind"], r["severity"]) for r in rows] == [("From a file", "rollback", 1)]


def test_listing_json_is_only_json(run) -> None:
    run.ok("project", "add", "p")
    for args in (("project", "list"), ("incident", "list"), ("search", "anything")):
        result = run.ok(*args, "--json")
        json.loads(result.stdout)
