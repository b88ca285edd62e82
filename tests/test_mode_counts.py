"""The TUI's taxonomy browser and `kb taxonomy list` count incidents per mode by one rule.

The browser (F4) reads `KB.usage_counts()`; the CLI reads the same store query
(kb.store.queries.taxonomy.usage_counts): classified under a mode or naming it in a cause, aliases
resolved, once per incident, merged duplicates left out; a category counts each incident once.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from textual.widgets import Static

from kb.service import KB
from kb_tui.screens.taxonomy import TaxonomyScreen
from tests.conftest import Run
from tests.snapshot_apps.common import make_app, settle, until

# INC-0001: classified drift (primary) and naming drift in a cause: one incident for drift
# INC-0002: a duplicate of INC-0001: never counted
DOC = """
projects:
  - slug: p
    name: P
    stage: production
incidents:
  - id: INC-0001
    project: p
    title: one
    kind: degradation
    started_at: 2026-02-01
    summary: s
    modes:
      - code: drift.distribution-shift
        role: primary
      - code: silent.quiet-shutdown
        role: contributing
    causes:
      - id: c1
        statement: moved
        mode: drift.distribution-shift
        trigger: true
  - id: INC-0002
    project: p
    title: two
    kind: degradation
    started_at: 2026-02-01
    summary: s
    duplicate_of: INC-0001
    modes:
      - code: drift.distribution-shift
        role: primary
"""


def _cli_counts(run: Run) -> dict[str, int]:
    data = json.loads(run.ok("taxonomy", "list", "--json").stdout)
    return {m["code"]: m["incidents"] for cat in data["categories"] for m in cat["modes"]}


def test_the_browser_counts_equal_the_cli_on_the_seed_database(run: Run, db_path: Path) -> None:
    run.ok("seed")
    cli = _cli_counts(run)
    with KB(db_path) as kb:
        tui = kb.mode_counts()  # what kb_tui/screens/taxonomy.py shows
    assert sum(cli.values()) > 0
    assert {code: tui.get(code, 0) for code in cli} == cli
    assert set(tui) <= set(cli)  # no count under a code the taxonomy does not list (an alias)


def test_counts_by_hand(run: Run, db_path: Path, tmp_path: Path) -> None:
    doc = tmp_path / "d.yaml"
    doc.write_text(DOC, encoding="utf-8")
    run.ok("import", str(doc))
    with KB(db_path) as kb:
        assert kb.mode_counts() == {"drift.distribution-shift": 1, "silent.quiet-shutdown": 1}
    cli = _cli_counts(run)
    assert cli["drift.distribution-shift"] == 1 and cli["silent.quiet-shutdown"] == 1
    assert sum(cli.values()) == 2


def _cli_category_counts(run: Run) -> dict[str, int]:
    """Category code -> incidents, from the tree `kb taxonomy list` prints in a pipe ("  Data data · data  4 incidents",
    its modes two spaces further in)."""
    out: dict[str, int] = {}
    for line in run.ok("taxonomy", "list").stdout.splitlines():
        m = re.match(r"^  \S.*? (\S+) · \S+\s+(\d+) incidents?$", line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


def test_the_browser_category_totals_equal_the_cli(run: Run, db_path: Path) -> None:
    """An incident under two modes of one category counts once in the category, in both faces
    (summing the modes' counts had shown Data 7 in the browser against 4 in the CLI)."""
    run.ok("seed")
    cli = _cli_category_counts(run)
    assert len(cli) == 12 and sum(cli.values()) > 0

    async def flow() -> dict[str, int]:
        app = make_app(db_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.action_taxonomy(None)
            screen = app.screen
            await until(pilot, lambda: isinstance(screen, TaxonomyScreen) and bool(screen.counts), "the counts")
            await settle(pilot)
            text = str(screen.query_one("#mode-detail", Static).render())
        found = re.findall(r"^(\S+)\s.*\(\d+ modes?, (\d+) incidents?\)$", text, re.M)
        return {code: int(n) for code, n in found}

    assert asyncio.run(flow()) == cli
