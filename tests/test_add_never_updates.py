"""Adding never updates (issue 14): `add --file` naming an existing id or slug used to report
"1 updated" and replace the record (an incident lost its causes and actions; a project its owner,
stage and flags). Now it is refused with one line naming `kb import`, and nothing is written.
`kb import` stays the update path and says what it changed, field by field."""

from __future__ import annotations

import json
from pathlib import Path

from kb.service import KB
from tests._hostile import db_digest, run_hostile


def _seeded(db: Path) -> None:
    with KB(db) as kb:
        kb.seed()


def test_incident_add_file_refuses_an_existing_id(tmp_path: Path, db_path: Path) -> None:
    _seeded(db_path)
    with KB(db_path) as kb:
        before = kb.get_incident("SEED-0001")
    assert len(before.causes) > 0 and len(before.actions) > 0
    f = tmp_path / "a.yaml"
    f.write_text("id: SEED-0001\nproject: lead-scoring\ntitle: x\n", encoding="utf-8")
    digest = db_digest(db_path)
    result = run_hostile(db_path, "incident", "add", "--file", str(f))
    assert result.exit_code == 1
    assert "SEED-0001 already exists" in result.stderr and "kb import" in result.stderr
    assert db_digest(db_path) == digest
    with KB(db_path) as kb:
        assert kb.get_incident("SEED-0001") == before


def test_project_add_file_refuses_an_existing_slug(tmp_path: Path, db_path: Path) -> None:
    _seeded(db_path)
    with KB(db_path) as kb:
        slug = kb.get_incident("SEED-0001").project
        before = kb.get_project(slug)
    f = tmp_path / "p.yaml"
    f.write_text(f"kind: project\nslug: {slug}\n", encoding="utf-8")
    result = run_hostile(db_path, "project", "add", "--file", str(f))
    assert result.exit_code == 1
    assert f"project {slug} already exists" in result.stderr and "kb import" in result.stderr
    with KB(db_path) as kb:
        assert kb.get_project(slug) == before


def test_a_new_record_from_a_file_is_still_added(tmp_path: Path, db_path: Path) -> None:
    KB(db_path).close()
    f = tmp_path / "p.yaml"
    f.write_text("kind: project\nslug: fresh\nowner: ann\n", encoding="utf-8")
    assert "1 created" in run_hostile(db_path, "project", "add", "--file", str(f)).output
    g = tmp_path / "i.yaml"
    g.write_text("id: INC-0042\nproject: fresh\ntitle: new\n", encoding="utf-8")
    assert "incidents: 1 created" in run_hostile(db_path, "incident", "add", "--file", str(g)).output
    # the same file again: refused, not "unchanged"
    assert "INC-0042 already exists" in run_hostile(db_path, "incident", "add", "--file", str(g)).stderr


def test_import_reports_what_it_changed_field_by_field(tmp_path: Path, db_path: Path) -> None:
    KB(db_path).close()
    f = tmp_path / "a.yaml"
    f.write_text(
        "projects:\n  - {slug: p, owner: ann, stage: production}\n"
        "incidents:\n  - {id: INC-0001, project: p, title: old title, severity: 2}\n",
        encoding="utf-8",
    )
    run_hostile(db_path, "import", str(f))
    f.write_text(
        "projects:\n  - {slug: p, owner: bob, stage: production}\n"
        "incidents:\n  - {id: INC-0001, project: p, title: new title, severity: 2}\n",
        encoding="utf-8",
    )
    out = run_hostile(db_path, "import", str(f)).output.splitlines()
    assert out[0] == (
        "imported: projects: 0 created, 1 updated, 0 unchanged; incidents: 0 created, 1 updated, 0 unchanged"
    )
    assert "  project p: owner 'ann' -> 'bob'" in out
    assert "  incident INC-0001: title 'old title' -> 'new title'" in out
    data = json.loads(run_hostile(db_path, "import", "--json", str(f)).output)
    assert data["changes"] == []  # the same file again changes nothing
