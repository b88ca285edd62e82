"""Upgrades: a database written by the first schema (m001) is upgraded by the current code with
no row lost or changed, a backup taken first, and nothing touched when the upgrade is refused.

The fixture is tests/fixtures/db_schema_m001.sqlite, built by make_schema_m001.py and committed.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from kb.errors import KBError, SchemaTooNew
from kb.models import Incident
from kb.service import KB
from kb.store.db import applied_migrations
from kb.store.schema import known_migration_names

FIXTURE = Path(__file__).parent / "fixtures" / "db_schema_m001.sqlite"
SHADOW = ("sqlite_", "incident_text_fts_")  # SQLite's and FTS5's own bookkeeping tables


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tables(conn: sqlite3.Connection) -> list[str]:
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return [n for n in names if not n.startswith(SHADOW) and n != "incident_text_fts"]


def _rows(path: Path) -> dict[str, list[dict[str, object]]]:
    """Every row of every table, keyed by column name, in rowid order (read-only)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        out = {}
        for t in _tables(conn):
            out[t] = [dict(r) for r in conn.execute(f"SELECT * FROM [{t}] ORDER BY rowid")]
        return out
    finally:
        conn.close()


def _export_m001(path: Path, out: Path) -> None:
    """Export a database at schema m001 with today's export code, without upgrading it."""
    from kb.store.db import connect

    kb = KB.__new__(KB)
    kb.path, kb.actor, kb.db = path, "tester", connect(path)
    try:
        kb.export_dir(out)
    finally:
        kb.close()


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def m001(tmp_path: Path) -> Path:
    db = tmp_path / "old.sqlite"
    shutil.copyfile(FIXTURE, db)
    return db


def test_fixture_is_at_the_first_schema_with_rows_in_every_table() -> None:
    conn = sqlite3.connect(f"file:{FIXTURE}?mode=ro", uri=True)
    try:
        assert [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")] == ["m001_initial"]
    finally:
        conn.close()
    rows = _rows(FIXTURE)
    empty = [t for t, r in rows.items() if not r and t != "sqlite_sequence"]
    assert empty == []
    assert len(rows["incidents"]) == 5 and len(rows["projects"]) == 3


def test_upgrade_keeps_every_row_and_every_export_byte(m001: Path, tmp_path: Path) -> None:
    before_rows = _rows(m001)
    _export_m001(m001, tmp_path / "before")
    with KB(m001) as kb:  # opening upgrades
        assert applied_migrations(kb.db) == known_migration_names()
        kb.export_dir(tmp_path / "after")
        assert kb.check().ok
    after_rows = _rows(m001)
    for table, rows in before_rows.items():
        if table == "_sqlite_migrations":
            assert after_rows[table][: len(rows)] == rows  # the old record stays; new steps follow
            continue
        # columns a later migration adds may appear; every old column of every old row is unchanged
        old_columns = list(rows[0]) if rows else []
        assert [{k: r[k] for k in old_columns} for r in after_rows[table]] == rows, table
    before, after = _files(tmp_path / "before"), _files(tmp_path / "after")
    assert len(before) == 3 + 5
    assert after == before


def test_upgrade_takes_a_private_backup_first(m001: Path) -> None:
    before_rows = _rows(m001)
    KB(m001).close()
    backups = sorted(m001.parent.glob("old.sqlite.pre-m002_foreign_key_indexes-*.bak"))
    assert len(backups) == 1
    assert backups[0].stat().st_mode & 0o777 == 0o600
    assert _rows(backups[0]) == before_rows  # the backup is the database as it was, still at m001
    KB(m001).close()  # nothing pending the second time: no second backup
    assert len(list(m001.parent.glob("*.bak"))) == 1


def test_refusing_to_upgrade_changes_nothing(m001: Path) -> None:
    digest = _sha(m001)
    with pytest.raises(KBError, match="needs upgrading"):
        KB(m001, migrate=False)
    assert _sha(m001) == digest
    assert list(m001.parent.glob("*.bak")) == []


def test_database_from_a_newer_kb_is_refused_byte_for_byte(m001: Path) -> None:
    KB(m001).close()
    conn = sqlite3.connect(m001)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('kb', 'm999_future', 'later')"
    )
    conn.commit()
    conn.close()
    digest = _sha(m001)
    with pytest.raises(SchemaTooNew, match="newer version of kb"):
        KB(m001)
    assert _sha(m001) == digest


def test_cli_check_and_backup_on_the_upgraded_fixture(m001: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kb.cli import main

    runner = CliRunner()
    result = runner.invoke(main, ["--db", str(m001), "check"])
    assert result.exit_code == 0, result.output
    assert "integrity      ok" in result.output
    copy = tmp_path / "copy.sqlite"
    result = runner.invoke(main, ["--db", str(m001), "backup", str(copy)])
    assert result.exit_code == 0, result.output
    assert copy.stat().st_mode & 0o777 == 0o600
    assert _rows(copy) == _rows(m001)
    again = runner.invoke(main, ["--db", str(m001), "backup", str(copy)])
    assert again.exit_code == 1 and "refusing to overwrite" in again.output


OPEN_ON_GO = """
import sys
from kb.service import KB
print("ready", flush=True)
sys.stdin.readline()  # every worker is released at once, after all have started
KB(sys.argv[1]).close()
"""


def test_processes_opening_an_old_database_at_once_upgrade_it_once(m001: Path) -> None:
    """Four processes open the m001 database at the same instant: one upgrades (behind the
    migration lock), the others wait and find nothing left to do."""
    import subprocess
    import sys

    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_ON_GO, str(m001)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline() == "ready\n"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    assert [code for code, _ in results] == [0] * 4
    # a process that waited long for the upgrader may say so, in one line; nothing else is printed
    assert all(err == "" or (err.startswith("waiting (up to") and err.count("\n") == 1) for _, err in results)
    assert len(list(m001.parent.glob("*.bak"))) == 1
    conn = sqlite3.connect(m001)
    names = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    conn.close()
    assert names == known_migration_names()


M005_COLUMNS = {
    "projects": {"automation": None, "retired_on": None, "lifecycle": "[]", "approx_dates": None},
    "incidents": {
        "made_public_at": None,
        "postmortem_source": None,
        "postmortem_link": "",
        "impact": None,
        "organisations": "[]",
        "affected_projects": "[]",
        "metrics": "[]",
        "lessons": None,
        "approx_dates": None,
    },
}


def test_upgrade_adds_format_2_columns_empty_and_old_records_take_new_fields(m001: Path) -> None:
    """m005 (issue 16): the new columns appear on every old row with their empty values, old records read
    back unchanged, and an old incident can then be given the new fields."""
    with KB(m001) as kb:
        before = {i.id: i for i in kb.incidents()}
    after_rows = _rows(m001)
    for table, columns in M005_COLUMNS.items():
        assert after_rows[table], table
        for row in after_rows[table]:
            assert {c: row[c] for c in columns} == columns, (table, row.get("id") or row.get("slug"))
    first = sorted(before)[0]
    with KB(m001) as kb:
        inc = kb.get_incident(first)
        assert inc == before[first]
        doc = inc.model_dump(mode="json", exclude_none=True, by_alias=True)
        for key in ("started_at", "detected_at", "resolved_at"):
            doc.pop(key, None)
        doc.update(organisations=["Vendor A"], impact={"people_affected": 12}, made_public_at="2021Q3")
        kb.save_incident(Incident.model_validate(doc))
        again = kb.get_incident(first)
        assert again.organisations == ["Vendor A"] and again.impact is not None
        assert again.impact.people_affected == 12 and str(again.made_public_at) == "2021Q3"
        others = {i.id: i for i in kb.incidents() if i.id != first}
    assert others == {k: v for k, v in before.items() if k != first}
