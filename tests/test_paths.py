"""Ids cannot steer `kb export` outside its directory: hostile ids and slugs are refused on input,
and the export refuses any path that would leave its directory (a row inserted behind kb's back,
a symlinked sub-directory, a symlinked file)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import yaml

from kb.models import Incident, Project
from kb.service import KB
from tests.conftest import Run

HOSTILE = ["../../etc/x", "../x", "/etc/passwd", "a/b", "..", ".", "x\x00y", "~root", "C:\\x", "-rf"]


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("slug", [*HOSTILE, "p\n", "P"])
def test_hostile_project_slug_is_refused_on_input(run: Run, tmp_path: Path, slug: str) -> None:
    result = run.fails("project", "add", "--stage", "pilot", "--", slug)
    assert "slug" in result.stderr
    doc = tmp_path / "p.yaml"
    doc.write_text(yaml.safe_dump({"projects": [{"slug": slug}]}), encoding="utf-8")
    result = run.fails("import", str(doc))
    assert "projects[0].slug" in result.stderr


@pytest.mark.parametrize("incident_id", [*HOSTILE, "INC-0001/../../x", "INC-00/1", "INC-0001\n"])
def test_hostile_incident_id_is_refused_on_input(run: Run, tmp_path: Path, incident_id: str) -> None:
    doc = tmp_path / "i.yaml"
    doc.write_text(
        yaml.safe_dump({"projects": [{"slug": "p"}], "incidents": [{"id": incident_id, "project": "p", "title": "t"}]}),
        encoding="utf-8",
    )
    result = run.fails("import", str(doc))
    assert "incidents[0].id" in result.stderr and "not a valid incident id" in result.stderr


def _raw_insert(db: Path, slug: str, incident_id: str) -> None:
    """Rows kb itself would never write, as a hand edit or another tool might leave them."""
    conn = sqlite3.connect(db)
    now = "2026-01-01T00:00:00.000000Z"
    conn.execute(
        "INSERT INTO projects (slug, stage, monitoring, created_at, updated_at) VALUES (?, 'pilot', 'none', ?, ?)",
        [slug, now, now],
    )
    conn.execute(
        "INSERT INTO incidents (id, project, title, kind, severity, status, detected_by, postmortem, created_at, "
        "updated_at) VALUES (?, 'ok', 't', 'outage', 3, 'open', 'nobody', 'none', ?, ?)",
        [incident_id, now, now],
    )
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("slug", "incident_id"),
    [("../../escaped", "INC-0001"), ("ok2", "../../../escaped"), ("ok2", "../projects/ok"), ("/tmp/abs", "INC-0002")],
)
def test_export_refuses_hand_inserted_hostile_rows(
    run: Run, db_path: Path, tmp_path: Path, slug: str, incident_id: str
) -> None:
    with KB(db_path) as kb:
        kb.add_project(Project(slug="ok", stage="pilot"))
    _raw_insert(db_path, slug, incident_id)
    out = tmp_path / "work" / "export"
    result = run.fails("export", "--dir", str(out))
    assert "refusing to write outside the export directory" in result.stderr
    # nothing anywhere under tmp_path but the database, and inside the export directory only
    outside = [p for p in _tree(tmp_path) if not p.startswith(("work", db_path.name))]
    assert outside == []
    assert not Path("/tmp/abs.yaml").exists()
    assert all(p.startswith("work/export") or p == "work" for p in _tree(tmp_path) if p.startswith("work"))


def _db_with_one_incident(db_path: Path) -> None:
    with KB(db_path) as kb:
        kb.add_project(Project(slug="p", stage="pilot"))
        kb.add_incident(Incident(project="p", title="t"))


def test_export_refuses_a_symlinked_subdirectory(run: Run, db_path: Path, tmp_path: Path) -> None:
    _db_with_one_incident(db_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "export"
    out.mkdir()
    (out / "incidents").symlink_to(elsewhere, target_is_directory=True)
    result = run.fails("export", "--dir", str(out))
    assert "refusing to write outside" in result.stderr
    assert list(elsewhere.iterdir()) == []


def test_export_refuses_a_symlinked_file(run: Run, db_path: Path, tmp_path: Path) -> None:
    _db_with_one_incident(db_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    out = tmp_path / "export"
    (out / "incidents").mkdir(parents=True)
    (out / "incidents" / "INC-0001.yaml").symlink_to(victim)
    result = run.fails("export", "--dir", str(out))
    assert "refusing to write outside" in result.stderr
    assert victim.read_text(encoding="utf-8") == "precious\n"


def test_a_normal_export_stays_inside(run: Run, db_path: Path, tmp_path: Path) -> None:
    _db_with_one_incident(db_path)
    out = tmp_path / "export"
    run.ok("export", "--dir", str(out))
    assert _tree(out) == ["incidents", "incidents/INC-0001.yaml", "projects", "projects/p.yaml"]
