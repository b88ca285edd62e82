"""`kb taxonomy list|show|validate` and `kb seed` through the real CLI (click's CliRunner)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result

REPO = Path(__file__).resolve().parents[1]
BROKEN_FIXTURE = Path(__file__).parent / "fixtures" / "taxonomy_broken"
N_SEEDS = len(list((REPO / "seed_cases").glob("*.yaml")))

Run = Callable[..., Result]


@pytest.fixture
def seeded(run: Run) -> Run:
    run.ok("seed")
    return run


def test_seed_is_idempotent(run: Run) -> None:
    first = json.loads(run.ok("seed", "--json").stdout)
    assert first["created"] == {"projects": N_SEEDS, "incidents": N_SEEDS}
    assert "SEED-0001" in first["ids"]
    second = json.loads(run.ok("seed", "--json").stdout)
    assert second["created"] == {"projects": 0, "incidents": 0}
    assert second["updated"] == {"projects": 0, "incidents": 0}
    assert second["unchanged"] == {"projects": N_SEEDS, "incidents": N_SEEDS}
    assert "0 created" in run.ok("seed").stdout


def test_seed_then_show_quiet_shutdown_lists_the_94_percent_case(seeded: Run) -> None:
    out = seeded.ok("taxonomy", "show", "silent.quiet-shutdown").stdout
    assert "Quiet feature-flag shutdown" in out
    assert "SEED-0001" in out and "94%" in out
    data = json.loads(seeded.ok("taxonomy", "show", "silent.quiet-shutdown", "--json").stdout)
    assert data["code"] == "silent.quiet-shutdown"
    primary = [r for r in data["incidents"] if r["role"] == "primary"]
    assert [r["id"] for r in primary] == ["SEED-0001"]
    assert data["sources"] and data["signals"] and data["questions"] and data["mitigations"]
    co = {c["code"]: c["incidents"] for c in data["co_occurring"]}
    assert co.get("integration.latency") == 1 and co.get("org.eroded-trust") == 1
    assert "org.unclear-ownership" in data["led_to_by"]


def test_show_counts_cause_modes_and_co_occurrence(seeded: Run) -> None:
    data = json.loads(seeded.ok("taxonomy", "show", "org.unclear-ownership", "--json").stdout)
    ids = {r["id"] for r in data["incidents"]}
    # the seed cases whose causes name unclear ownership (independently read off the YAML files)
    expected = set()
    for path in (REPO / "seed_cases").glob("*.yaml"):
        for inc in yaml.safe_load(path.read_text(encoding="utf-8"))["incidents"]:
            codes = {m["code"] for m in inc["modes"]} | {c.get("mode") for c in inc["causes"]}
            if "org.unclear-ownership" in codes:
                expected.add(inc["id"])
    assert ids == expected and len(ids) >= 4
    assert data["co_occurring"][0]["code"] == "ops.no-monitoring"


def test_list_json_has_every_mode_with_counts(seeded: Run) -> None:
    data = json.loads(seeded.ok("taxonomy", "list", "--json").stdout)
    assert data["version"] == "2.0.0"
    cats = [c["code"] for c in data["categories"]]
    assert cats == [
        *["data", "drift", "ops", "integration", "org", "value", "econ", "external", "silent"],
        *["model", "harm", "security"],
    ]
    modes = {m["code"]: m for c in data["categories"] for m in c["modes"]}
    assert len(modes) == 62  # 51 from the essays (v1) + 11 added in v2 for issue 16's missing concepts
    assert modes["silent.quiet-shutdown"]["incidents"] == 1
    assert modes["integration.capacity-gap"]["incidents"] == 2  # fraud 500/50 and leads 1,000/100
    assert modes["ops.no-monitoring"]["incidents"] >= 4


def test_list_tree_on_an_empty_database(run: Run) -> None:
    out = run.ok("taxonomy", "list").stdout
    assert "kb failure taxonomy" in out and "62 modes" in out
    assert "silent.quiet-shutdown" in out and "0 incidents" in out


def test_show_unknown_code_suggests(run: Run) -> None:
    result = run.fails("taxonomy", "show", "ops.no-monitorng")
    assert "unknown taxonomy code 'ops.no-monitorng'" in result.stderr
    assert "ops.no-monitoring" in result.stderr


def test_validate_shipped(run: Run) -> None:
    out = run.ok("taxonomy", "validate").stdout
    assert "is valid" in out and "62 modes" in out
    assert json.loads(run.ok("taxonomy", "validate", "--json").stdout)["ok"] is True


def test_validate_broken_fixture(run: Run) -> None:
    result = run.fails("taxonomy", "validate", str(BROKEN_FIXTURE))
    assert "6 problems found" in result.stderr
    out = result.stdout
    assert "duplicate code 'ops.no-monitoring'" in out
    assert "leads_to: unknown code 'ops.nowhere'" in out
    assert "points at unknown code 'ops.does-not-exist'" in out
    assert "undocumented cycle in leads_to" in out


def test_validate_broken_copy_json(run: Run, tmp_path: Path) -> None:
    root = tmp_path / "tax"
    shutil.copytree(REPO / "taxonomy", root)
    path = root / "modes" / "silent.yaml"
    modes = yaml.safe_load(path.read_text(encoding="utf-8"))
    modes[0]["leads_to"] = ["silent.nowhere"]
    path.write_text(yaml.safe_dump(modes, sort_keys=False), encoding="utf-8")
    result = run("taxonomy", "validate", str(root), "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert len(data["problems"]) == 1
    assert data["problems"][0].startswith(
        "tax/modes/silent.yaml: silent.quiet-shutdown: leads_to: unknown code 'silent.nowhere'"
    )


def test_validate_missing_path(run: Run, tmp_path: Path) -> None:
    result = run.fails("taxonomy", "validate", str(tmp_path / "nope"))
    assert "1 problem found" in result.stderr
