"""`kb check` finds each kind of damage it promises to find, names it, and exits 1; a sound
database passes with exit 0. Damage is done behind kb's back with plain sqlite3."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from kb.models import Cause, Incident, Project
from kb.service import KB
from tests.conftest import Run


@pytest.fixture
def sound(db_path: Path) -> Path:
    with KB(db_path) as kb:
        kb.add_project(Project(slug="p", stage="production"))
        kb.add_incident(
            Incident(
                project="p",
                title="Scores stopped",
                causes=[
                    Cause(id="c1", statement="latency rose", trigger=True, because=["c2"]),
                    Cause(id="c2", statement="no load test"),
                ],
            )
        )
    return db_path


def _damage(db: Path, *sql: str) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys = OFF")
    for statement in sql:
        conn.execute(statement)
    conn.commit()
    conn.close()


def test_a_sound_database_passes(run: Run, sound: Path) -> None:
    report = json.loads(run.ok("check", "--json").stdout)
    assert report["ok"] is True and report["problems"] == []
    assert report["checks"] == dict.fromkeys(
        ["integrity", "foreign_keys", "search_index", "causes", "chains", "triggers"], "ok"
    )


DAMAGE: dict[str, tuple[list[str], str, str]] = {
    # name: (statements, the check that must fail, words its problem must contain)
    "search index out of step": (
        ["DROP TRIGGER incident_text_au", "UPDATE incident_text SET title = 'nothing like it'"],
        "search_index",
        "integrity-check failed",
    ),
    "incident without search row": (
        ["DROP TRIGGER incident_text_ad", "DELETE FROM incident_text"],
        "search_index",
        "1 incident(s) have no search row",
    ),
    "search text behind its cause rows": (
        ["UPDATE causes SET statement = 'rewritten' WHERE incident_id = 'INC-0001' AND cause_id = 'c1'"],
        "search_index",
        "1 search row(s) disagree with their incident, causes or actions",
    ),
    "link to a missing cause": (
        ["INSERT INTO cause_links (incident_id, cause_id, because_id, pos) VALUES ('INC-0001', 'c1', 'gone', 1)"],
        "causes",
        "because_id names a missing cause",
    ),
    "cause of a missing incident": (
        ["INSERT INTO causes (incident_id, cause_id, pos, statement) VALUES ('INC-0404', 'c1', 0, 'orphan')"],
        "causes",
        "1 cause(s) belong to a missing incident",
    ),
    "foreign key broken": (
        ["INSERT INTO actions (incident_id, pos, title, status, kind) VALUES ('INC-0404', 0, 'x', 'open', 'prevent')"],
        "foreign_keys",
        "actions row",
    ),
    "packed chain out of step": (
        ["UPDATE incident_chains SET modes = 'made.up' WHERE incident_id = 'INC-0001'"],
        "chains",
        "1 packed chain row(s) disagree with their causes (INC-0001)",
    ),
    "chains left unfollowed": (["DROP TRIGGER causes_chain_au"], "triggers", "causes_chain_au is missing"),
    "history made rewritable": (["DROP TRIGGER changelog_no_update"], "triggers", "changelog_no_update is missing"),
}


@pytest.mark.parametrize("name", sorted(DAMAGE))
def test_each_kind_of_damage_is_found(run: Run, sound: Path, name: str) -> None:
    statements, check, words = DAMAGE[name]
    _damage(sound, *statements)
    result = run("check", "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["checks"][check] != "ok"  # it shows that check's first problem
    assert any(words in p for p in report["problems"])
    text = run("check")
    assert text.exit_code == 1 and "Traceback" not in text.output
    assert f"problem: {report['problems'][0]}" in text.stderr


def test_check_does_not_create_a_database(run: Run, db_path: Path) -> None:
    result = run.fails("check")
    assert "kb init" in result.stderr
    assert not db_path.exists()


def test_check_is_read_only(sound: Path) -> None:
    digest: Callable[[], bytes] = lambda: sound.read_bytes()  # noqa: E731
    with KB(sound) as kb:
        kb.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before = digest()
        assert kb.check().ok
        kb.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert digest() == before
