"""Ids and counters stay in their own valid range; duplicate_of cycles are refused on input and
impossible in the store; every walk over links ends (issue 14)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kb.errors import KBError
from kb.models import Incident, Project
from kb.service import KB
from tests._hostile import db_digest, run_hostile


def _kb(db: Path) -> KB:
    kb = KB(db)
    kb.add_project(Project(slug="p", owner="ann"))
    return kb


def test_an_imported_top_id_never_makes_kb_allocate_an_invalid_one(tmp_path: Path, db_path: Path) -> None:
    kb = _kb(db_path)
    kb.add_incident(Incident(project="p", title="first"))  # INC-0001
    f = tmp_path / "top.yaml"
    f.write_text("id: INC-999999999\nproject: p\ntitle: top\n", encoding="utf-8")
    kb.import_paths([str(f)])
    nxt = kb.add_incident(Incident(project="p", title="next"))
    # before: INC-1000000000, which kb's own validator refuses; now the first number never held
    assert nxt.id == "INC-0002"
    assert kb.add_incident(Incident(project="p", title="again")).id == "INC-0003"
    # and the whole database round-trips through kb's own export
    kb.export_dir(tmp_path / "out")
    kb.close()
    other = KB(tmp_path / "copy.sqlite")
    report = other.import_paths([str(tmp_path / "out")])
    assert report.created["incidents"] == 4
    other.close()


def test_a_free_id_skips_numbers_that_were_ever_used(tmp_path: Path, db_path: Path) -> None:
    kb = _kb(db_path)
    for n in (1, 2, 4):
        kb.add_incident(Incident(id=f"INC-{n:04d}", project="p", title=str(n)))
    kb.add_incident(Incident(id="INC-999999999", project="p", title="top"))
    assert kb.add_incident(Incident(project="p", title="x")).id == "INC-0003"
    assert kb.add_incident(Incident(project="p", title="y")).id == "INC-0005"


def _two(kb: KB) -> None:
    kb.add_incident(Incident(id="INC-0001", project="p", title="a"))
    kb.add_incident(Incident(id="INC-0002", project="p", title="b", duplicate_of="INC-0001"))


def test_duplicate_cycles_are_refused_on_input(tmp_path: Path, db_path: Path) -> None:
    kb = _kb(db_path)
    _two(kb)
    kb.close()
    f = tmp_path / "cycle.yaml"
    f.write_text("id: INC-0001\nproject: p\ntitle: a\nduplicate_of: INC-0002\n", encoding="utf-8")
    result = run_hostile(db_path, "import", str(f))
    assert result.exit_code == 1
    assert "cycle of duplicates (INC-0001 -> INC-0002 -> INC-0001)" in result.stderr
    f.write_text("id: INC-0001\nproject: p\ntitle: a\nduplicate_of: INC-0001\n", encoding="utf-8")
    assert "cycle" in run_hostile(db_path, "import", str(f)).stderr


def test_a_cycle_is_impossible_in_the_store_even_from_plain_sql(db_path: Path) -> None:
    kb = _kb(db_path)
    _two(kb)
    kb.close()
    conn = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.IntegrityError, match="cycle"):
        conn.execute("UPDATE incidents SET duplicate_of = 'INC-0002' WHERE id = 'INC-0001'")
    with pytest.raises(sqlite3.IntegrityError, match="cycle"):
        conn.execute("UPDATE incidents SET duplicate_of = 'INC-0001' WHERE id = 'INC-0001'")
    conn.close()


def test_merge_on_a_damaged_store_ends(db_path: Path) -> None:
    """A cycle written before m008 (triggers dropped here to make one) cannot make merge loop."""
    kb = _kb(db_path)
    _two(kb)
    kb.add_incident(Incident(id="INC-0003", project="p", title="c"))
    kb.close()
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TRIGGER incidents_no_duplicate_cycle_update")
    conn.execute("UPDATE incidents SET duplicate_of = 'INC-0002' WHERE id = 'INC-0001'")
    conn.commit()
    conn.close()
    kb = KB(db_path)
    with pytest.raises(KBError):
        kb.merge_incident("INC-0003", "INC-0001")  # before: looped forever holding the write lock
    kb.close()
    digest = db_digest(db_path)
    assert run_hostile(db_path, "incident", "merge", "INC-0003", "INC-0001").exit_code == 1
    assert db_digest(db_path) == digest
