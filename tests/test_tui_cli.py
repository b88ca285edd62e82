"""`kb`, `kb tui` and `kb demo` open the UI on the right database: each runs as a real process on a
pseudo-terminal, the test reads the portfolio off the screen and quits with ctrl+q."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.models import Project
from kb.service import KB
from tests.terminal import Terminal

pytestmark = pytest.mark.skipif(not hasattr(__import__("os"), "openpty"), reason="needs a POSIX pseudo-terminal")

CTRL_Q = b"\x11"


def test_kb_with_no_command_opens_the_ui_on_a_new_database(tmp_path: Path) -> None:
    db = tmp_path / "fresh.sqlite"
    with Terminal(["--db", str(db)], {"HOME": str(tmp_path)}) as term:
        term.wait_for("0 projects ·")
        assert db.exists()
        term.press(CTRL_Q)
        assert term.finish() == 0
    with KB(db) as kb:
        assert kb.counts() == {"projects": 0, "incidents": 0, "open_incidents": 0}


def test_kb_tui_uses_kb_db(tmp_path: Path) -> None:
    db = tmp_path / "env.sqlite"
    with KB(db, "tester") as kb:
        kb.add_project(Project(slug="chosen-by-env", stage="production", owner="ana"))
    with Terminal(["tui"], {"HOME": str(tmp_path), "KB_DB": str(db)}) as term:
        term.wait_for("chosen-by-env")
        term.wait_for("1 project ·")
        term.press(CTRL_Q)
        assert term.finish() == 0


def test_kb_tui_creates_a_new_database_at_the_current_schema(tmp_path: Path) -> None:
    from kb import portfolio

    db = tmp_path / "new.sqlite"
    with Terminal(["tui", "--db", str(db)], {"HOME": str(tmp_path)}) as term:
        term.wait_for("0 projects ·")
        term.press(CTRL_Q)
        assert term.finish() == 0
    assert portfolio.is_current(db)


def test_kb_demo_opens_a_seeded_throwaway_database(tmp_path: Path) -> None:
    with KB(tmp_path / "reference.sqlite") as kb:
        seeded = kb.seed()
        projects = kb.counts()["projects"]
        a_slug = sorted(p.slug for p in kb.projects())[0]
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    with Terminal(["demo"], {"HOME": str(tmp_path), "TMPDIR": str(tmp)}) as term:
        term.wait_for(f"{projects} projects ·")
        term.wait_for(a_slug)
        assert "demo database:" in term.text and f"incidents: {seeded.created['incidents']} created" in term.text
        [workdir] = list(tmp.glob("kb-demo-*"))
        assert (workdir / "demo.sqlite").exists()
        term.press(CTRL_Q)
        assert term.finish() == 0
    assert list(tmp.glob("kb-demo-*")) == []  # removed when the UI closes
