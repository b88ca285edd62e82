"""The store: schema guard, pragmas, permissions, permanent ids, merges and the change log."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from kb.errors import KBError, SchemaTooNew
from kb.models import Incident, Project
from kb.service import KB
from kb.store.schema import MIGRATION_SET


def test_new_database_is_private_wal_and_migrated(db_path: Path) -> None:
    kb = KB(db_path)
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    assert kb.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert kb.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert kb.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    names = [
        r[0] for r in kb.db.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [MIGRATION_SET])
    ]
    assert names[0] == "m001_initial"
    kb.close()


def test_default_location_is_created_private(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    kb = KB()
    assert kb.path == tmp_path / "xdg" / "kb" / "kb.sqlite"
    assert stat.S_IMODE(kb.path.parent.stat().st_mode) == 0o700
    kb.close()
    monkeypatch.setenv("KB_DB", str(tmp_path / "env.sqlite"))
    with KB() as other:
        assert other.path == tmp_path / "env.sqlite"


def test_newer_schema_is_refused_and_untouched(db_path: Path, run) -> None:
    KB(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, 'm999_from_the_future', 'x')",
        [MIGRATION_SET],
    )
    conn.commit()
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(SchemaTooNew, match="newer version of kb"):
        KB(db_path)
    result = run.fails("project", "list")
    assert "newer version of kb" in result.stderr and "m999_from_the_future" in result.stderr
    assert db_path.read_bytes() == before


def test_not_a_database_is_a_clear_error(tmp_path: Path, run) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello, this is not SQLite " * 100)
    with pytest.raises(KBError, match="not a kb database"):
        KB(bogus)


def _inc(n: int, **kw: object) -> Incident:
    return Incident.model_validate({"id": f"INC-{n:04d}", "project": "p", "title": f"incident {n}", **kw})


def test_ids_are_never_reused(kb: KB) -> None:
    kb.add_project(Project(slug="p"))
    a = kb.add_incident(Incident(project="p", title="a"))
    b = kb.add_incident(Incident(project="p", title="b"))
    assert (a.id, b.id) == ("INC-0001", "INC-0002")
    kb.merge_incident("INC-0002", "INC-0001")
    c = kb.add_incident(Incident(project="p", title="c"))
    assert c.id == "INC-0003"
    with pytest.raises(KBError, match="already exists"):
        kb.add_incident(_inc(1))


def test_merge_keeps_the_duplicate_resolvable(kb: KB, run) -> None:
    kb.add_project(Project(slug="p"))
    for n in (1, 2, 3):
        kb.add_incident(_inc(n))
    kb.merge_incident("INC-0002", "INC-0001")
    kb.merge_incident("INC-0003", "INC-0002")  # merging into a duplicate lands on the survivor
    assert kb.get_incident("INC-0002").duplicate_of == "INC-0001"
    assert kb.get_incident("INC-0003").duplicate_of == "INC-0001"
    assert kb.resolve_incident("INC-0003").id == "INC-0001"
    assert kb.db.execute("SELECT count(*) FROM incidents").fetchone()[0] == 3
    assert [r.id for r in kb.incident_rows()] == ["INC-0001"]
    assert len(kb.incident_rows(include_duplicates=True)) == 3
    with pytest.raises(KBError, match="itself"):
        kb.merge_incident("INC-0001", "INC-0003")
    assert run.ok("incident", "list", "--all", "--json").output.count('"duplicate_of": "INC-0001"') == 2


def test_change_log_records_who_what_when_and_is_append_only(kb: KB) -> None:
    kb.add_project(Project(slug="p", owner=""))
    kb.edit_project("p", {"owner": "dana", "stage": "production"})
    kb.edit_project("p", {"owner": "dana"})  # no change, no record
    hist = kb.history("project", "p")
    assert [h.op for h in hist] == ["create", "update"]
    assert hist[1].changes == {"owner": ["", "dana"], "stage": ["pilot", "production"]}
    assert hist[1].actor == "tester"
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        kb.db.execute("DELETE FROM changelog")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        kb.db.execute("UPDATE changelog SET actor = 'someone else'")


def test_incident_history_as_of(kb: KB, run) -> None:
    kb.add_project(Project(slug="p"))
    kb.add_incident(_inc(1, summary="first version"))
    kb.edit_incident("INC-0001", {"summary": "second version", "status": "resolved"})
    first, second = kb.history("incident", "INC-0001")
    assert first.snapshot is not None and first.snapshot["summary"] == "first version"
    assert second.changes["summary"] == ["first version", "second version"]
    out = run.ok("incident", "history", "INC-0001", "--as-of", first.at.isoformat()).output
    assert "summary: first version" in out and "by tester" in out
    out = run.ok("incident", "history", "INC-0001").output
    assert "status, summary" in out


def test_actor_flag_env_and_default(run, kb: KB, monkeypatch: pytest.MonkeyPatch) -> None:
    run.ok("project", "add", "p1", "--actor", "alice")
    monkeypatch.setenv("KB_ACTOR", "bob")
    run.ok("project", "add", "p2")
    assert kb.history("project", "p1")[0].actor == "alice"
    assert kb.history("project", "p2")[0].actor == "bob"


def test_incident_with_unknown_project_is_rejected(kb: KB) -> None:
    with pytest.raises(KBError, match="project 'ghost' does not exist"):
        kb.add_incident(Incident(project="ghost", title="t"))
    assert kb.db.execute("SELECT count(*) FROM incidents").fetchone()[0] == 0


def test_save_replaces_children_and_keeps_search_current(kb: KB) -> None:
    kb.add_project(Project(slug="p"))
    kb.add_incident(_inc(1, causes=[{"id": "c1", "statement": "old statement about drift"}]))
    assert [h.id for h in kb.search("drift")] == ["INC-0001"]
    inc = kb.get_incident("INC-0001")
    kb.save_incident(inc.model_copy(update={"causes": [], "actions": [{"title": "add latency alerting"}]}))
    assert kb.search("drift") == []
    assert [h.id for h in kb.search("alerting")] == ["INC-0001"]
    assert kb.db.execute("SELECT count(*) FROM causes").fetchone()[0] == 0
