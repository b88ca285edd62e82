"""The team repository: `kb export` writes everything a team shares, `kb import` reads it all back,
and `kb sync` carries changes between databases that share one directory.

Everything runs through the real `kb` command on databases on disk; the expected values come from
the source database itself (the round trip must not change a review or a verdict) and from what
the test wrote, never from the export code.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import Run

AS_OF = "2026-10-15"


@pytest.fixture
def team_db(run: Run, db_path: Path) -> Path:
    """A database a team would share: seed cases with health and flag history, decisions, a frozen review."""
    run.ok("seed")
    slugs = [r[0] for r in sqlite3.connect(db_path).execute("SELECT slug FROM projects ORDER BY slug LIMIT 3")]
    run.ok("review", "decide", "2026Q2", slugs[0], "--decision", "fix", "--owner", "dana", "--due", "2026-08-31")
    run.ok("review", "freeze", "2026Q2")
    run.ok(
        "review",
        "decide",
        "2026Q3",
        slugs[0],
        "--decision",
        "retire",
        "--owner",
        "dana",
        "--due",
        "2026-12-31",
        "--note",
        "flag off since June; nobody asked for it back",
    )
    run.ok("review", "decide", "2026Q3", slugs[1], "--decision", "continue", "--owner", "lee", "--due", "2026-12-31")
    run.ok("review", "freeze", "2026Q3")
    return db_path


def _count(db: Path, table: str) -> int:
    return int(sqlite3.connect(db).execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_whole_team_round_trip(team_db: Path, run: Run, tmp_path: Path) -> None:
    out = tmp_path / "team"
    run.ok("export", "--dir", str(out))
    for sub in ("projects", "incidents", "decisions", "reviews", "flags", "health"):
        assert any((out / sub).rglob("*.*")), f"nothing exported under {sub}/"
    assert (out / "reviews" / "2026Q3.json").is_file() and (out / "reviews" / "2026Q2.json").is_file()
    assert len(list((out / "decisions" / "2026Q3").glob("*.yaml"))) == 2

    copy = Run(tmp_path / "copy.sqlite")
    copy.ok("import", str(out))
    for table in ("projects", "incidents", "decisions", "frozen_reviews", "flag_events", "health"):
        assert _count(copy.db_path, table) == _count(team_db, table), table

    for args in (
        ("review", "2026Q3", "--format", "json"),
        ("review", "2026Q2", "--format", "json"),
        ("silent", "--json", "--as-of", AS_OF),
    ):
        assert copy.ok(*args).stdout == run.ok(*args).stdout, " ".join(args)
    # the live next quarter follows up the frozen 2026Q3 decisions; only its generation time differs
    live = [json.loads(who.ok("review", "2026Q4", "--format", "json").stdout) for who in (copy, run)]
    for doc in live:
        doc.pop("generated_at")
    assert live[0] == live[1]

    # the copy exports the same bytes: nothing was lost or reshaped on the way
    again = tmp_path / "again"
    copy.ok("export", "--dir", str(again))
    first = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert first == second


def test_export_is_deterministic_and_rewrites_nothing_unchanged(team_db: Path, run: Run, tmp_path: Path) -> None:
    out = tmp_path / "team"
    first = json.loads(run.ok("export", "--dir", str(out), "--json").stdout)
    assert first["written"] > 0 and first["decisions"] == 3 and first["reviews"] == 2
    second = json.loads(run.ok("export", "--dir", str(out), "--json").stdout)
    assert second["written"] == 0
    # flag events: one newline-delimited JSON file per source and month, one event a line
    months = list((out / "flags").glob("*/*.ndjson"))
    assert months and all(p.name[:4].isdigit() and p.name[4] == "-" for p in months)
    lines = [json.loads(line) for p in months for line in p.read_text().splitlines()]
    assert len(lines) == _count(team_db, "flag_events")
    assert all("id" not in row for row in lines)  # a local row id means nothing on another machine
    # health: one CSV per project, readable by `kb health import`
    health = sorted((out / "health").glob("*.csv"))
    assert health
    fresh = Run(tmp_path / "fresh.sqlite")
    fresh.ok("import", str(out / "projects"))
    fresh.ok("health", "import", str(health[0]))


def _decisions(db: Path) -> list[tuple[str, str, str]]:
    return sorted(sqlite3.connect(db).execute("SELECT quarter, project, decision FROM decisions").fetchall())


def test_sync_propagates_a_decision(run: Run, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    alice, bob = run, Run(tmp_path / "bob.sqlite")
    alice.ok("seed")
    alice.ok("sync", str(shared))
    bob.ok("sync", str(shared))
    assert _count(bob.db_path, "incidents") == _count(alice.db_path, "incidents")
    slug = sqlite3.connect(alice.db_path).execute("SELECT min(slug) FROM projects").fetchone()[0]

    alice.ok("review", "decide", "2026Q3", slug, "--decision", "retire", "--owner", "dana", "--due", "2026-12-31")
    report = json.loads(alice.ok("sync", str(shared), "--json").stdout)
    assert report["exported"] == [f"decisions/2026Q3/{slug}.yaml"]
    report = json.loads(bob.ok("sync", str(shared), "--json").stdout)
    assert report["imported"] == [f"decisions/2026Q3/{slug}.yaml"] and report["conflicts"] == []
    assert _decisions(bob.db_path) == [("2026Q3", slug, "retire")]
    # nothing left to do on either side
    for who in (alice, bob):
        again = json.loads(who.ok("sync", str(shared), "--json").stdout)
        assert again["imported"] == again["exported"] == again["conflicts"] == []


def test_a_record_changed_on_both_sides_is_a_conflict_and_neither_is_overwritten(run: Run, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    alice, bob = run, Run(tmp_path / "bob.sqlite")
    alice.ok("seed")
    alice.ok("sync", str(shared))
    bob.ok("sync", str(shared))

    alice.ok("incident", "edit", "SEED-0001", "--title", "Alice's title")
    alice.ok("sync", str(shared))  # the directory now holds Alice's version
    bob.ok("incident", "edit", "SEED-0001", "--title", "Bob's title")
    result: Result = bob("sync", str(shared))
    assert result.exit_code == 1
    assert "conflict: incidents/SEED-0001.yaml" in result.stderr
    assert "Traceback" not in result.output

    title = lambda db: sqlite3.connect(db).execute("SELECT title FROM incidents WHERE id = 'SEED-0001'").fetchone()[0]  # noqa: E731
    assert title(bob.db_path) == "Bob's title"
    assert "title: Alice's title" in (shared / "incidents" / "SEED-0001.yaml").read_text()
    # still a conflict until someone resolves it; other changes keep flowing
    assert bob("sync", str(shared)).exit_code == 1
    assert title(alice.db_path) == "Alice's title"


def test_sync_unites_flag_events_added_on_both_sides(run: Run, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    alice, bob = run, Run(tmp_path / "bob.sqlite")
    alice.ok("init")
    alice.ok("sync", str(shared))
    bob.ok("sync", str(shared))

    def log(n: int, at: str) -> str:
        return json.dumps(
            [
                {
                    "id": n,
                    "type": "feature-environment-disabled",
                    "createdAt": at,
                    "createdBy": "x",
                    "environment": "production",
                    "featureName": f"flag-{n}",
                }
            ]
        )

    (tmp_path / "a.json").write_text(log(1, "2026-05-03T10:00:00Z"))
    (tmp_path / "b.json").write_text(log(2, "2026-05-20T10:00:00Z"))
    alice.ok("flags", "import", str(tmp_path / "a.json"))
    alice.ok("sync", str(shared))
    bob.ok("flags", "import", str(tmp_path / "b.json"))
    report = json.loads(bob.ok("sync", str(shared), "--json").stdout)
    assert report["conflicts"] == [] and report["merged"] == ["flags/unleash/2026-05.ndjson"]
    alice.ok("sync", str(shared))
    for who in (alice, bob):
        assert _count(who.db_path, "flag_events") == 2


def test_import_rejects_a_changed_frozen_review(team_db: Path, run: Run, tmp_path: Path) -> None:
    out = tmp_path / "team"
    run.ok("export", "--dir", str(out))
    path = out / "reviews" / "2026Q3.json"
    doc = json.loads(path.read_text())
    doc["body"]["quarter_label"] = "tampered"
    path.write_text(json.dumps(doc))
    before = _count(team_db, "decisions")
    result = run.fails("import", str(out))
    assert "2026Q3.json" in result.stderr and "frozen review never changes" in result.stderr
    assert _count(team_db, "decisions") == before
