"""Reports and CLI output read as a person reads them (issue 18, kb.humanize): durations as `9 d` / `3 h`,
rounded shares, nouns in the right number, evidence that leads with the plain sentence.

Every expected string is worked out by hand from the records each test writes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kb.models import Incident, Project
from kb.review.render import to_html, to_markdown
from kb.service import KB
from tests.test_graph_fixture import NB, NM, OW, PORTFOLIO


def _one_incident(kb: KB) -> None:
    """2026Q3: started 1 Aug 00:00, detected 10 Aug 00:00 (9 days), resolved 10 Aug 03:00 (3 hours)."""
    kb.add_project(Project(slug="solo", stage="production", owner="Sol", launched_on="2025-01-01"))
    kb.add_incident(
        Incident(
            project="solo",
            title="drifted unseen",
            started_at="2026-08-01T00:00:00Z",
            detected_at="2026-08-10T00:00:00Z",
            resolved_at="2026-08-10T03:00:00Z",
            causes=[
                {
                    "id": "t",
                    "statement": "mix changed",
                    "mode": "drift.distribution-shift",
                    "trigger": True,
                    "because": ["m"],
                },
                {"id": "m", "statement": "nothing watched inputs", "mode": "ops.no-monitoring"},
            ],
        )
    )


def test_review_markdown_durations_and_plurals(kb: KB) -> None:
    _one_incident(kb)
    md = to_markdown(kb.review("2026Q3", live=True, parallel=False))
    assert "| time to detect: median / p90 | 9 d / 9 d (1 incident) |" in md
    assert "| time to resolve: median / p90 | 3 h / 3 h (1 incident) |" in md
    assert "`ops.no-monitoring`, 1 incident)" in md
    assert "(n=" not in md and "1 incidents" not in md
    assert re.search(r"Computed live on \d{4}-\d\d-\d\d \d\d:\d\d UTC from the data", md)


def test_review_html_durations_and_plurals(kb: KB) -> None:
    _one_incident(kb)
    html = to_html(kb.review("2026Q3", live=True, parallel=False))
    assert "1 incident opened, 1 resolved, 0 quiet shutdowns." in html
    assert "9 d / 9 d (1 incident)" in html and "3 h / 3 h (1 incident)" in html
    assert "(n=" not in html and "1 incidents" not in html


def _rows(out: str) -> dict[str, list[str]]:
    """A rich table without borders, as {first cell: other cells} (cells are 2+ spaces apart)."""
    rows = {}
    for line in out.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) > 1:
            rows[cells[0]] = cells[1:]
    return rows


def test_review_diff_units(run, db_path: Path) -> None:
    with KB(db_path, "tester") as kb:
        _one_incident(kb)
    rows = _rows(run.ok("review", "diff", "2026Q2", "2026Q3").stdout)
    assert rows["time to detect, median"] == ["–", "9 d"]
    assert rows["time to resolve, p90"] == ["–", "3 h"]
    assert rows["detected by monitoring"] == ["0%", "0%"]
    assert rows["action completion rate"] == ["–", "–"]
    assert rows["incidents opened"] == ["0", "1"]
    assert "(days)" not in " ".join(rows) and "(share)" not in " ".join(rows)


@pytest.fixture
def portfolio(run):
    run.ok("import", str(PORTFOLIO))
    return run


def test_graph_root_causes_table_rounds_shares(portfolio) -> None:
    """Weights 12, 4, 1 of 13 (tests/test_graph_cli.py): shares 92%, 31%, 7.7% (one decimal under 10%)."""
    out = portfolio.ok("graph", "root-causes").stdout
    rows = {
        cells[1]: cells[2:] for cells in (re.split(r"\s{2,}", ln.strip()) for ln in out.splitlines()) if len(cells) > 4
    }
    assert rows[OW][-4:-1] == ["3 of 4", "12", "92%"]
    assert rows[NB][-4:-1] == ["1 of 4", "4", "31%"]
    assert rows[NM][-4:-1] == ["1 of 4", "1", "7.7%"]


def test_graph_title_counts_one_incident(portfolio) -> None:
    out = " ".join(portfolio.ok("graph", "root-causes", "--since", "2026-10-01").stdout.split())
    assert ": 1 incident, total weight" in out and "1 incidents" not in out


def test_export_counts_in_the_right_number(run, tmp_path: Path) -> None:
    """One project and nothing else: one file, in the singular (it read `exported 1 projects`)."""
    run.ok("project", "add", "solo", "--stage", "production")
    out = run.ok("export", "--dir", str(tmp_path / "team")).stdout
    assert out.strip() == f"exported 1 project to {tmp_path / 'team'} (1 file changed)"


def test_taxonomy_validate_counts(run) -> None:
    """The shipped taxonomy 2.0.0: 12 categories, 62 modes, one documented cycle (tests/test_cli_taxonomy.py)."""
    out = run.ok("taxonomy", "validate").stdout
    assert "12 categories, 62 modes," in out and out.rstrip().endswith(", 1 documented cycle")
