"""Import and export of the YAML document format: round trips, idempotency, bad input."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "docs"
EXAMPLE = FIXTURES / "example.yaml"


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def db_dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_example_round_trips_byte_identically(run, tmp_path: Path) -> None:
    run.ok("import", str(EXAMPLE))
    out1 = tmp_path / "out1"
    run.ok("export", "--dir", str(out1))
    assert sorted(tree_bytes(out1)) == ["incidents/INC-0001.yaml", "projects/churn-scorer.yaml"]

    from tests.conftest import Run

    second = Run(tmp_path / "second.sqlite")
    second.ok("import", str(out1))
    out2 = tmp_path / "out2"
    second.ok("export", "--dir", str(out2))
    assert tree_bytes(out1) == tree_bytes(out2)


def test_exported_incident_reads_as_written(run, tmp_path: Path) -> None:
    run.ok("import", str(EXAMPLE))
    run.ok("export", "--dir", str(tmp_path / "out"))
    text = (tmp_path / "out" / "incidents" / "INC-0001.yaml").read_text()
    # dates stay bare dates, the flag states stay words, causes keep their order and links
    assert "started_at: 2026-02-10\n" in text
    assert "from: 'on'" in text and "to: 'off'" in text
    assert text.index("id: c1") < text.index("id: c2")
    assert "because:\n    - c2" in text or "because:\n  - c2" in text
    assert (tmp_path / "out" / "projects" / "churn-scorer.yaml").read_text().startswith("kind: project\n")


def test_reimport_is_idempotent(run, kb) -> None:
    run.ok("import", str(EXAMPLE))
    before = kb.db.execute("SELECT count(*) FROM changelog").fetchone()[0]
    result = run.ok("import", str(EXAMPLE), "--json")
    assert '"unchanged"' in result.output
    assert kb.db.execute("SELECT count(*) FROM incidents").fetchone()[0] == 1
    assert kb.db.execute("SELECT count(*) FROM causes").fetchone()[0] == 2
    assert kb.db.execute("SELECT count(*) FROM changelog").fetchone()[0] == before


def test_single_documents_and_stdin(run, kb) -> None:
    run.ok("import", str(EXAMPLE))
    doc = "kind: project\nslug: fraud-screen\nname: Fraud screen\nstage: pilot\n"
    run.ok("import", "-", input=doc)
    inc = (
        "id: INC-0007\nproject: fraud-screen\ntitle: Review queue overflow\nkind: degradation\n"
        "modes:\n  - {code: integration.capacity-gap, role: primary}\n"
    )
    run.ok("import", "-", input=inc)
    assert kb.get_project("fraud-screen").stage == "pilot"
    assert kb.get_incident("INC-0007").modes[0].code == "integration.capacity-gap"
    # the id counter moved past the imported id, so a new incident does not collide
    out = run.ok("incident", "add", "--project", "fraud-screen", "--title", "next one")
    assert "INC-0008" in out.output


BAD_CASES = {
    "malformed": (
        "incidents:\n  - id: INC-0002\n    title: [unclosed\n",
        "bad.yaml:4",
        "malformed YAML: did not find expected ',' or ']' (while parsing a flow sequence started on line 3)",
    ),
    "enum": (
        "incidents:\n  - id: INC-0002\n    project: churn-scorer\n    title: t\n    kind: explosion\n",
        "bad.yaml:5",
        "incidents[0].kind: 'explosion' is not allowed",
    ),
    "date_order": (
        "incidents:\n  - id: INC-0002\n    project: churn-scorer\n    title: t\n"
        "    started_at: 2026-03-01\n    detected_at: 2026-02-01\n",
        "bad.yaml:2",
        "detected_at (2026-02-01) is before started_at (2026-03-01)",
    ),
    "dangling_cause": (
        "incidents:\n  - id: INC-0002\n    project: churn-scorer\n    title: t\n    causes:\n"
        "      - {id: c1, statement: s, because: [c9]}\n",
        "bad.yaml:2",
        "causes[0].because: cause 'c9' is not defined in this incident",
    ),
    "unknown_code": (
        "incidents:\n  - id: INC-0002\n    project: churn-scorer\n    title: t\n    modes:\n"
        "      - {code: ops.no-monitor}\n",
        "bad.yaml:2",
        "unknown taxonomy code 'ops.no-monitor'; did you mean ops.no-monitoring",
    ),
    "unknown_field": (
        "incidents:\n  - id: INC-0002\n    project: churn-scorer\n    title: t\n    severty: 2\n",
        "bad.yaml:5",
        "incidents[0].severty: unknown field",
    ),
    "python_tag": ("!!python/object/apply:os.system ['echo pwned']\n", "bad.yaml:1", "malformed YAML"),
    "unknown_project": (
        "incidents:\n  - id: INC-0002\n    project: nope\n    title: t\n",
        "bad.yaml:2",
        "project 'nope' does not exist",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_one_line_exit_1_nothing_written(run, db_path: Path, tmp_path: Path, case: str) -> None:
    run.ok("import", str(EXAMPLE))
    text, where, message = BAD_CASES[case]
    # a good project in the same file must not land either: one transaction per command
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    before = db_dump(db_path)
    result = run.fails("import", str(bad))
    line = result.stderr.strip()
    assert f"{bad}:{where.split(':')[1]}" in line, line
    assert message in line, line
    assert db_dump(db_path) == before


def test_partial_file_is_all_or_nothing(run, kb, tmp_path: Path) -> None:
    run.ok("import", str(EXAMPLE))
    bad = tmp_path / "mixed.yaml"
    bad.write_text(
        "projects:\n  - {slug: new-project, stage: pilot}\n"
        "incidents:\n  - {id: INC-0003, project: new-project, title: fine}\n"
        "  - {id: INC-0004, project: new-project, title: broken, severity: 9}\n"
    )
    run.fails("import", str(bad))
    assert kb.db.execute("SELECT count(*) FROM projects WHERE slug = 'new-project'").fetchone()[0] == 0
    assert kb.db.execute("SELECT count(*) FROM incidents").fetchone()[0] == 1


def test_export_is_deterministic_and_private(run, tmp_path: Path) -> None:
    run.ok("import", str(EXAMPLE))
    out = tmp_path / "out"
    run.ok("export", "--dir", str(out))
    first = tree_bytes(out)
    result = run.ok("export", "--dir", str(out))
    assert "0 files changed" in result.output
    assert tree_bytes(out) == first
    f = out / "incidents" / "INC-0001.yaml"
    assert f.stat().st_mode & 0o777 == 0o600
    assert hashlib.sha256(f.read_bytes()).hexdigest() == hashlib.sha256(first["incidents/INC-0001.yaml"]).hexdigest()


def test_export_never_writes_yaml_anchors() -> None:
    from datetime import date

    from kb.models import Incident
    from kb.yamldoc import document, to_yaml

    same = date(2026, 1, 1)
    text = to_yaml(document(Incident(project="p", title="t", started_at=same, detected_at=same)))
    assert "&id" not in text and "*id" not in text
    assert "started_at: 2026-01-01\n" in text and "detected_at: 2026-01-01\n" in text


def test_directory_import_resolves_forward_references(run, kb, tmp_path: Path) -> None:
    """An incident may come before its project, and a duplicate before its target, in file order."""
    d = tmp_path / "docs"
    d.mkdir()
    (d / "a-incidents.yaml").write_text(
        "incidents:\n"
        "  - {id: INC-0002, project: late-project, title: the duplicate, duplicate_of: INC-0001}\n"
        "  - {id: INC-0001, project: late-project, title: the original}\n"
    )
    (d / "b-projects.yaml").write_text("projects:\n  - {slug: late-project, stage: pilot}\n")
    run.ok("import", str(d))
    assert kb.get_incident("INC-0002").duplicate_of == "INC-0001"
    assert kb.resolve_incident("INC-0002").title == "the original"


def test_export_directory_lists_projects_first(tmp_path: Path) -> None:
    from kb.yamldoc import _files

    for rel in ("incidents/INC-0001.yaml", "projects/p.yaml", "zz.yaml"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    order = [str(p.relative_to(tmp_path)) for p in _files(tmp_path)]
    assert order == ["projects/p.yaml", "incidents/INC-0001.yaml", "zz.yaml"]
