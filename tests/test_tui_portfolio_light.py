"""kb.portfolio, the UI's fast read path: the same rows and counts as KB, read-only, stdlib only."""

from __future__ import annotations

import dataclasses
import os
import re
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kb import portfolio
from kb.models import Incident, Project
from kb.service import KB
from kb.store.queries import projects as queries
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


def test_the_portfolio_read_by_hand(db_path: Path) -> None:
    """Every field of every row, and the filters, against a portfolio written out here: zero counts and
    no date for a project without incidents, a duplicate counted nowhere, a detected-only incident
    dated by its detection, and the header counts of the whole store whatever the filter."""
    with KB(db_path, "tester") as kb:
        kb.add_project(Project(slug="zeta-rank", stage="production", owner="zo", team="search"))
        kb.add_project(Project(slug="alpha-ocr", stage="retired", owner="al", team="docs"))
        kb.add_project(Project(slug="mid-churn", stage="production", owner="mi", team="docs"))
        kb.add_incident(Incident(id="INC-0001", project="alpha-ocr", title="drift", started_at="2025-03-01"))
        kb.add_incident(
            Incident(id="INC-0002", project="alpha-ocr", title="seen late", status="resolved", detected_at="2025-06-09")
        )
        kb.add_incident(
            Incident(
                id="INC-0003", project="alpha-ocr", title="again", started_at="2025-09-09", duplicate_of="INC-0001"
            )
        )
        kb.add_incident(Incident(id="INC-0004", project="mid-churn", title="flag off", started_at="2025-01-15"))
    conn = portfolio.connect_readonly(db_path)
    try:
        rows, counts = queries.portfolio(conn)
        assert [(r.slug, r.stage, r.owner, r.team, r.incidents, r.open_incidents, r.last_incident) for r in rows] == [
            ("alpha-ocr", "retired", "al", "docs", 2, 1, "2025-06-09"),
            ("mid-churn", "production", "mi", "docs", 1, 1, "2025-01-15"),
            ("zeta-rank", "production", "zo", "search", 0, 0, None),
        ]
        assert counts == {"projects": 3, "incidents": 3, "open_incidents": 2}
        docs, counts_docs = queries.portfolio(conn, team="docs")
        assert [r.slug for r in docs] == ["alpha-ocr", "mid-churn"] and counts_docs == counts
        both, _ = queries.portfolio(conn, stage="production", team="docs")
        assert [r.slug for r in both] == ["mid-churn"]
        assert queries.portfolio(conn, stage="design")[0] == []
    finally:
        conn.close()


def test_the_portfolio_is_read_in_one_statement(db_path: Path) -> None:
    """The UI reads it on a side thread while its main thread imports Textual: every row fetched on
    its own took the GIL back once per row, and each wait for it could last the main thread's switch
    interval (a 60 ms read took 0.6-0.8 s). One statement answering one row needs it once."""
    _seeded(db_path)
    conn = portfolio.connect_readonly(db_path)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        rows, _ = queries.portfolio(conn)
    finally:
        conn.close()
    assert len(rows) == 2
    assert len(statements) == 1


def test_a_read_about_to_finish_is_waited_for_a_moment_then_not(db_path: Path) -> None:
    """The portfolio's first frame waits a moment for a read still under way (drawing "loading…" and
    then the rows would draw the screen twice), but never long: a read held up longer than the wait
    is left to the worker, and its rows are still taken by the next first_rows."""
    _seeded(db_path)
    release = threading.Event()
    portfolio.prefetch(db_path, then=lambda: release.wait(10))
    threading.Timer(0.05, release.set).start()
    got = portfolio.prefetched(db_path, wait=10)  # returns once the read is done, well before 10 s
    assert got is not None and [r.slug for r in got[0][0]] == ["fraud-review", "lead-scoring"]

    held = threading.Event()
    portfolio.prefetch(db_path, then=lambda: held.wait(10))
    assert portfolio.prefetched(db_path, wait=0.05) is None  # still held: not waited for any longer
    held.set()
    rows = portfolio.first_rows(db_path)
    assert rows is not None and rows[1]["projects"] == 2
