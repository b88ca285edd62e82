"""The read commands' path (kb.store.queries on the stdlib sqlite3, kb.ops.reads): what they import,
the guards on opening the file, and that what they print is what the pydantic models say."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.models import Incident, Project
from kb.ops.reads import Reader
from kb.service import KB
from kb.store.queries.connection import open_reader

HEAVY = ("numpy", "scipy", "sqlite_utils", "pydantic")
FIXTURES = Path(__file__).parent / "fixtures"

FULL = Incident.model_validate(
    {
        "id": "INC-0042",
        "project": "fraud-review",
        "title": "scores frozen after a silent flag flip",
        "kind": "quiet-shutdown",
        "severity": 2,
        "status": "resolved",
        "started_at": "2026-02-10",
        "detected_at": "2026-02-12T09:30:00.250000+02:00",  # stored in UTC, microseconds kept
        "resolved_at": "2026-02-20T17:00:00Z",
        "detected_by": "user-report",
        "announced": False,
        "postmortem": "published",
        "flag": {"key": "fraud-model", "environment": "prod", "from": "on", "to": "off", "at": "2026-02-10T08:00:00Z"},
        "summary": "Nobody noticed for two days.",
        "modes": [
            {"code": "ops.no-monitoring", "role": "primary", "confidence": "known", "evidence": "no alert"},
            {"code": "org.unclear-ownership", "role": "contributing"},
        ],
        "causes": [
            {"id": "flip", "statement": "the flag was switched off", "trigger": True, "because": ["owner", "alert"]},
            {"id": "owner", "statement": "nobody owned the model", "mode": "org.unclear-ownership"},
            {
                "id": "alert",
                "statement": "no alert on the score rate",
                "mode": "ops.no-monitoring",
                "because": ["owner"],
            },
        ],
        "actions": [
            {
                "title": "alert on score volume",
                "owner": "ana",
                "due": "2026-03-01",
                "status": "done",
                "kind": "prevent",
            },
            {"title": "name an owner"},
        ],
        "timeline": [{"at": "2026-02-10T08:00:00Z", "text": "flag off"}, {"at": "2026-02-12", "text": "report"}],
        "tags": ["fraud", "flags"],
        "links": [{"title": "ticket", "url": "https://example.com/T-1", "quote": "why?"}],
    }
)


def _heavy_modules_after(args: list[str]) -> list[str]:
    """Run `kb ARGS` in a fresh interpreter and list the heavy packages it imported."""
    return _run_fresh(args)[0]


def _run_fresh(args: list[str], watched: tuple[str, ...] = HEAVY) -> tuple[list[str], str]:
    """(the watched modules imported, each a package or a module, and what was printed) of `kb ARGS`
    in a fresh interpreter."""
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom kb.cli import main\n"
        "r = CliRunner().invoke(main, sys.argv[1:])\nassert r.exit_code == 0, r.output\n"
        f"w = {watched!r}\n"
        "print(','.join(sorted(m for m in sys.modules if any(m == n or m.startswith(n + '.') for n in w))))\n"
        "print(r.output, end='')"
    )
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    first, _, printed = out.stdout.partition("\n")
    return [m for m in first.strip().split(",") if m], printed


@pytest.fixture
def stocked(db_path: Path) -> Path:
    with KB(db_path, "tester") as kb:
        kb.add_project(Project(slug="fraud-review", stage="production", owner="ana", team="risk"))
        kb.add_incident(FULL)
        kb.add_incident(Incident(project="fraud-review", title="queue overflow", started_at="2025-11-02"))
        kb.edit_incident("INC-0042", {"severity": 1})
    return db_path


@pytest.mark.parametrize(
    "args",
    [
        ["incident", "show", "INC-0042"],
        ["incident", "show", "INC-0042", "--json"],
        ["incident", "list"],
        ["incident", "list", "--json", "--since", "2026-01-01"],
        ["incident", "history", "INC-0042"],
        ["incident", "history", "INC-0042", "--json"],
        ["project", "list"],
        ["project", "history", "fraud-review", "--json"],
        ["flags", "list"],
        ["flags", "list", "--project", "fraud-review", "--json"],
        ["flags", "unmapped", "--json"],
        ["health", "show", "fraud-review"],
        ["health", "show", "fraud-review", "--json"],
        ["taxonomy", "list"],
        ["taxonomy", "list", "--json"],
        ["search", "silent flag"],
        ["search", "flag", "--mode", "ops", "--json"],
        ["search", "--project", "fraud-review", "--since", "2026-01-01"],
        ["taxonomy", "show", "ops.no-monitoring"],
        ["taxonomy", "show", "ops.no-monitoring", "--json"],
    ],
)
def test_read_commands_import_no_heavy_package(stocked: Path, args: list[str]) -> None:
    assert _heavy_modules_after(["--db", str(stocked), *args]) == []


@pytest.mark.parametrize(
    "args",
    [
        ["incident", "show", "INC-0042"],
        ["incident", "list"],
        ["incident", "history", "INC-0042"],
        ["project", "list"],
        ["project", "history", "fraud-review"],
        ["flags", "list"],
        ["flags", "unmapped"],
        ["health", "show", "fraud-review"],
        ["taxonomy", "list"],
        ["taxonomy", "show", "ops.no-monitoring"],
        ["search", "silent flag"],
    ],
)
def test_read_commands_in_a_pipe_import_no_rich(stocked: Path, args: list[str]) -> None:
    """rich draws for a terminal only: a pipe gets plain text without paying its import."""
    heavy, printed = _run_fresh(["--db", str(stocked), *args], ("rich",))
    assert heavy == [] and printed.strip()


def test_rows_and_history_equal_the_service_for_a_synthetic_portfolio(db_path: Path, tmp_path: Path) -> None:
    from kb.synth import SynthSpec, generate
    from kb.synth.write import write_portfolio

    with KB(db_path, "tester") as kb:
        spec = SynthSpec(projects=6, incidents=120, periods=4, flag_events=20, seed=3)
        write_portfolio(kb, generate(spec), tmp_path / "signals")
        with Reader(db_path) as reader:
            rows = reader.incident_rows(include_duplicates=True)
            assert len(rows) == 120
            assert rows == kb.incident_rows(include_duplicates=True)
            assert reader.project_rows() == kb.project_rows() and len(reader.project_rows()) == 6
            assert reader.counts() == kb.counts()
            for row in rows[:20]:
                history = reader.history("incident", row.id)
                assert [c.document() for c in history] == [
                    r.model_dump(mode="json", exclude={"snapshot"}) for r in kb.history("incident", row.id)
                ]


def test_incident_list_by_hand(stocked: Path) -> None:
    out = CliRunner().invoke(main, ["--db", str(stocked), "incident", "list", "--json"])
    assert out.exit_code == 0, out.output
    got = json.loads(out.output)
    assert [r["id"] for r in got] == ["INC-0042", "INC-0043"]  # newest first; ids never go back below 42
    assert got[0]["severity"] == 1 and got[0]["announced"] is False and got[0]["started_at"] == "2026-02-10"
    history = CliRunner().invoke(main, ["--db", str(stocked), "incident", "history", "INC-0042", "--json"])
    ops = [(r["seq"], r["op"], sorted(r["changes"])) for r in json.loads(history.output)]
    assert [op for _, op, _ in ops] == ["create", "update"]
    assert ops[1][2] == ["severity"]


def test_missing_records_are_one_line_errors(stocked: Path) -> None:
    for args, message in (
        (["incident", "history", "INC-9999"], "Error: incident: no incident 'INC-9999'"),
        (["project", "history", "nope"], "Error: project: no project 'nope'"),
    ):
        out = CliRunner().invoke(main, ["--db", str(stocked), *args])
        assert out.exit_code == 1
        assert out.output.strip() == message


def test_the_reader_refuses_a_newer_schema_and_writes_nothing(stocked: Path) -> None:
    conn = sqlite3.connect(stocked)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('kb', 'm999_future', '')")
    conn.commit()
    conn.close()
    before = stocked.read_bytes()
    out = CliRunner().invoke(main, ["--db", str(stocked), "incident", "list"])
    assert out.exit_code == 1
    assert "newer version of kb" in out.output and "m999_future" in out.output
    assert len(out.output.strip().splitlines()) == 1
    assert stocked.read_bytes() == before


def test_the_reader_uses_wal_and_waits_for_a_writer(stocked: Path) -> None:
    conn = open_reader(stocked)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    finally:
        conn.close()


def test_the_reader_upgrades_an_older_database_first(tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite"
    shutil.copy(FIXTURES / "db_schema_m001.sqlite", old)
    for suffix in ("-wal", "-shm"):
        src = FIXTURES / f"db_schema_m001.sqlite{suffix}"
        if src.exists():
            shutil.copy(src, tmp_path / f"old.sqlite{suffix}")
    out = CliRunner().invoke(main, ["--db", str(old), "incident", "list", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)  # the old file's incidents, read after its upgrade
    assert list(tmp_path.glob("old.sqlite.pre-m002*.bak"))  # upgraded the usual way, with its backup


def test_the_reader_creates_a_missing_database(tmp_path: Path) -> None:
    out = CliRunner().invoke(main, ["--db", str(tmp_path / "new.sqlite"), "incident", "list", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == []
    assert (tmp_path / "new.sqlite").stat().st_mode & 0o777 == 0o600


# --- kb silent: the read path, with statistics only when a series needs them ------------------------

# nor what the verdicts and their printing do not need: rich's console and markup (the lines are
# written as rich would write them, kb.commands.plain), statistics (kb.silent.trends.median),
# importlib.resources (the defaults are read beside kb.silent.config), YAML, templates, graphs,
# and the incident listing's queries (making their dataclasses costs some 40 ms)
SILENT_MAY_NOT_IMPORT = (
    *HEAVY,
    "rich.console",
    "rich.markup",
    "statistics",
    "importlib.resources",
    "yaml",
    "jinja2",
    "networkx",
    "kb.store.queries.incidents",
)


@pytest.mark.parametrize(
    "args",
    [
        ["silent", "--as-of", "2026-09-30"],
        ["silent", "--as-of", "2026-06-30", "--json"],
        ["silent", "--as-of", "2026-09-30", "--project", "contract-summariser", "--json"],
    ],
)
def test_kb_silent_on_the_seed_portfolio_imports_only_what_it_uses(seeded: Path, args: list[str]) -> None:
    loaded, printed = _run_fresh(["--db", str(seeded), *args], SILENT_MAY_NOT_IMPORT)
    assert "Mann-Kendall" in printed  # the scan did test the seed's series (and some trends fired)
    assert loaded == []
