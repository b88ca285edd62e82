"""CLI tables never cut ids, slugs or flag keys (issue 18, defect 6): piped output is tab-separated
with whole values; counts carry their noun in the right number."""

from __future__ import annotations

from pathlib import Path

from kb.models import Project
from kb.service import KB


def test_piped_incident_list_is_tab_separated_with_whole_ids(run, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    with KB(db_path, "tester") as kb:
        kb.seed()
        ids = sorted(r.id for r in kb.incident_rows())
    lines = run.ok("incident", "list").stdout.splitlines()
    assert lines[0].split("\t")[:2] == ["id", "project"]
    assert sorted(line.split("\t")[0] for line in lines[1:]) == ids
    assert all(len(line.split("\t")) == 9 for line in lines)


def test_piped_unmapped_flags_keep_whole_keys(run, db_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    key = "checkout-recommendations-enabled-for-all-regions"
    log = tmp_path / "flags.csv"
    log.write_text(
        f"flag,environment,action,at,actor,comment\n{key},production,disabled,2026-01-05T10:00:00Z,ana,\n",
        encoding="utf-8",
    )
    with KB(db_path, "tester") as kb:
        kb.add_project(Project(slug="checkout", stage="production"))
    run.ok("flags", "import", str(log))
    lines = run.ok("flags", "unmapped").stdout.splitlines()
    assert lines[1].split("\t")[1] == key
