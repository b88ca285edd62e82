"""kb.portfolio, the UI's fast read path: the same rows and counts as KB, read-only, stdlib only."""

from __future__ import annotations

import dataclasses
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kb import portfolio
from kb.models import Incident, Project
from kb.service import KB
from tests.terminal import Terminal


def _seeded(path: Path) -> None:
    with KB(path, "tester") as kb:
        kb.add_project(Project(slug="fraud-review", stage="production", owner="ana", team="risk"))
        kb.add_project(Project(slug="lead-scoring", stage="pilot", owner="bo", team="sales"))
        kb.add_incident(Incident(project="fraud-review", title="queue overflow", started_at="2025-11-02"))
        kb.add_incident(
            Incident(project="fraud-review", title="rolled back", status="resolved", started_at="2025-12-20")
        )


def test_first_rows_match_the_service(db_path: Path) -> None:
    _seeded(db_path)
    got = portfolio.first_rows(db_path)
    assert got is not None
    rows, counts = got
    with KB(db_path) as kb:
        assert [dataclasses.asdict(r) for r in rows] == [dataclasses.asdict(r) for r in kb.project_rows()]
        assert counts == kb.counts()
    assert counts == {"projects": 2, "incidents": 2, "open_incidents": 1}
    assert rows[0].slug == "fraud-review" and rows[0].incidents == 2 and rows[0].last_incident == "2025-12-20"


def test_first_rows_steps_aside_for_anything_but_a_current_kb_database(tmp_path: Path) -> None:
    assert portfolio.first_rows(tmp_path / "missing.sqlite") is None
    assert not (tmp_path / "missing.sqlite").exists()  # read-only: never creates the file
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    assert portfolio.first_rows(junk) is None
    newer = tmp_path / "newer.sqlite"
    KB(newer).close()
    conn = sqlite3.connect(newer)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('kb', 'm999_future', '')")
    conn.commit()
    conn.close()
    assert portfolio.first_rows(newer) is None  # KB refuses it with the usual error
    assert not portfolio.is_current(newer)


def test_the_read_path_cannot_write(db_path: Path) -> None:
    _seeded(db_path)
    conn = portfolio.connect_readonly(db_path)
    try:
        failed = False
        try:
            conn.execute("DELETE FROM projects")
        except sqlite3.OperationalError:
            failed = True
        assert failed
    finally:
        conn.close()


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a POSIX pseudo-terminal")
def test_kb_tui_on_a_current_database_draws_its_rows_before_importing_the_service(db_path: Path) -> None:
    """`kb tui --db X` on an existing database, as a real process on a terminal: the portfolio's rows
    are on screen before kb.service (pydantic, sqlite-utils, numpy) is imported, which happens only
    when the forms are warmed up, after the verdicts."""
    _seeded(db_path)
    with Terminal(
        ["tui", "--db", str(db_path)], {"HOME": str(db_path.parent)}, python_flags=("-X", "importtime")
    ) as term:
        term.wait_for("lead-scoring")
        term.wait_for(" kb.service\n")  # importtime writes a module's line once it is imported
        term.press(b"\x11")
        assert term.finish() == 0
    seen = term.text
    rows_at = seen.index("lead-scoring")
    for module in ("kb.service", "sqlite_utils", "numpy", "pydantic"):
        imported = re.search(rf"\| +{re.escape(module)}\n", seen)
        assert imported is None or imported.start() > rows_at, module  # numpy: the UI may never need it
    assert re.search(r"\| +kb\.service\n", seen) is not None


def test_the_first_frame_imports_nothing_heavy() -> None:
    code = (
        "import sys, kb.portfolio, kb_tui.app, kb_tui.screens.portfolio;"
        "print(sorted(m for m in ('kb.service', 'kb.models', 'pydantic', 'sqlite_utils', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_prefetched_read_is_used_only_while_nothing_was_committed(db_path: Path) -> None:
    _seeded(db_path)
    portfolio.prefetch(db_path)
    got = portfolio.first_rows(db_path)
    assert got is not None and got[1]["projects"] == 2

    portfolio.prefetch(db_path)
    with KB(db_path, "tester") as kb:  # a commit after the prefetch began: its rows are stale
        kb.add_project(Project(slug="new-one", stage="pilot", owner="cy", team="ops"))
    got = portfolio.first_rows(db_path)
    assert got is not None and got[1]["projects"] == 3
    assert "new-one" in [r.slug for r in got[0]]
