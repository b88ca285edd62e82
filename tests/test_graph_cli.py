"""`kb graph ...` through the real command line, on the fixture portfolio and on the seed cases.

These use the shipped taxonomy (the fixture uses only the fixed codes every taxonomy keeps), so they
check nothing that depends on the taxonomy's names or leads_to edges.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import networkx as nx
import pytest

from kb.service import KB
from tests.test_graph_fixture import CAP, DS, GD, LAT, NB, NM, OW, PORTFOLIO, QS, UO


@pytest.fixture
def cli(run):
    run.ok("import", str(PORTFOLIO))
    return run


def test_root_causes_json(cli) -> None:
    # Hand-worked in tests/test_graph_analyses.py::test_root_causes_whole_portfolio: total weight 13.
    data = json.loads(cli.ok("graph", "root-causes", "--json").stdout)
    assert (data["total_incidents"], data["total_weight"]) == (4, 13)
    assert [(i["code"], i["incidents"], i["weight"]) for i in data["items"]] == [(OW, 3, 12), (NB, 1, 4), (NM, 1, 1)]
    assert data["items"][0]["share"] == pytest.approx(12 / 13)
    assert "deepest" in data["counts"]
    # outcome-role modes (QS, GD, UO here) are never root causes
    assert not {QS, GD, UO} & {i["code"] for i in data["items"]}


def test_triggers_json_and_table(cli) -> None:
    # Hand-worked in tests/test_graph_analyses.py::test_triggers_rank_what_set_incidents_off.
    data = json.loads(cli.ok("graph", "triggers", "--json").stdout)
    assert [(i["code"], i["weight"]) for i in data["items"]] == [(LAT, 6), (CAP, 4), (DS, 3)]
    out = cli.ok("graph", "triggers").stdout
    assert out.index(LAT) < out.index(CAP) < out.index(DS)
    assert "Triggers counts the events that set each incident off" in " ".join(out.split())


def test_root_causes_window_options(cli) -> None:
    # 2026Q3: GR-0001 (w 5) and GR-0002 (w 3); since 2026-08-01: GR-0002 and GR-0003 (detected 10-05).
    q3 = json.loads(cli.ok("graph", "root-causes", "--quarter", "2026Q3", "--json").stdout)
    assert (q3["window"]["label"], q3["total_weight"]) == ("2026Q3", 8)
    since = json.loads(cli.ok("graph", "root-causes", "--since", "2026-08-01", "--json").stdout)
    assert (since["total_incidents"], since["total_weight"]) == (2, 7)
    top = json.loads(cli.ok("graph", "root-causes", "--limit", "2", "--json").stdout)
    assert [i["code"] for i in top["items"]] == [OW, NB]


def test_root_causes_table(cli) -> None:
    out = cli.ok("graph", "root-causes").stdout
    assert "4 incidents" in out and "total weight 13" in out
    assert out.index(OW) < out.index(NB) < out.index(NM)
    assert "3 of 4" in out  # OW stands behind three of the four incidents
    assert "Root causes counts the deepest standing conditions" in " ".join(out.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("graph", "root-causes", "--quarter", "2026Q5"), "--quarter: '2026Q5' is not a period"),
        (("graph", "root-causes", "--since", "yesterday"), "--since: 'yesterday' is not a date"),
        (("graph", "keystones", "--until", "2026-13-01"), "--until: '2026-13-01' is not a date"),
        (("graph", "chain", "GR-9999"), "no incident 'GR-9999'"),
        (("graph", "similar", "GR-9999"), "no incident 'GR-9999'"),
        (("graph", "why", "ops.no-monitorin"), "unknown taxonomy code 'ops.no-monitorin'"),
        (("graph", "recurring", "--min-count", "0"), "--min-count: must be at least 1"),
        (("graph", "export", "--project", "nope"), "no project 'nope'"),
    ],
)
def test_bad_input_is_one_line(cli, args: tuple[str, ...], message: str) -> None:
    result = cli.fails(*args)
    assert message in result.stderr


def test_chain_tree(cli) -> None:
    out = cli.ok("graph", "chain", "GR-0002").stdout
    # trigger branch first, then the consequence d above it; c is the root cause
    assert out.index("customer mix shifted") < out.index("no input-drift monitoring") < out.index("owner left")
    assert out.index("owner left") < out.index("agents stopped trusting")
    assert "trigger" in out and "root cause" in out and "(shown above)" in out
    data = json.loads(cli.ok("graph", "chain", "GR-0002", "--json").stdout)
    assert data["paths"] == [["a", "b", "c"], ["d", "a", "b", "c"]]


def test_keystones_recurring_similar_why_cycles(cli) -> None:
    ks = json.loads(cli.ok("graph", "keystones", "--json").stdout)
    assert [(k["code"], k["score"]) for k in ks] == [(NM, 2.5), (CAP, 1.0)]
    assert ks[1]["cuts"] == [{"incident_id": "GR-0003", "roots": [OW, NB]}]
    table = " ".join(cli.ok("graph", "keystones").stdout.split())
    assert "chains it cuts" in table and "GR-0003" in table
    assert "Keystones counts, for each standing condition a team controls" in table
    rec = json.loads(cli.ok("graph", "recurring", "--json").stdout)
    assert rec == [{"modes": [NM, OW], "count": 3, "incident_ids": ["GR-0001", "GR-0002", "GR-0003"]}]
    sim = json.loads(cli.ok("graph", "similar", "GR-0001", "--json").stdout)
    # shipped taxonomy: as in test_graph_analyses, plus its leads_to GD -> QS (1) for GR-0002
    assert [(s["incident_id"], s["score"]) for s in sim] == [
        ("GR-0002", pytest.approx(5.25 / 11.75, abs=1e-4)),
        ("GR-0003", pytest.approx(3.25 / 11.75, abs=1e-4)),
    ]
    why = json.loads(cli.ok("graph", "why", NM, "--json").stdout)
    by_code = {w["code"]: w["from_incidents"] for w in why}
    assert (by_code[OW], by_code[LAT]) == (3, 1)  # evidence from incidents; taxonomy edges vary
    assert json.loads(cli.ok("graph", "cycles", "--json").stdout) == [[LAT, NM]]
    assert cli.ok("graph", "cycles").stdout.strip() == f"{LAT} -> {NM} -> {LAT}"
    for args in (("keystones",), ("recurring",), ("similar", "GR-0001"), ("why", NM)):
        assert cli.ok("graph", *args).stdout.strip()


def test_export_to_stdout_and_to_a_file(cli, tmp_path: Path) -> None:
    g = nx.read_graphml(io.BytesIO(cli.ok("graph", "export", "--format", "graphml").stdout_bytes))
    assert "incident:GR-0004" in g and "incident:GR-0005" not in g
    out = tmp_path / "chain.mmd"
    result = cli.ok("graph", "export", "--format", "mermaid", "--incident", "GR-0001", "--out", str(out))
    assert result.stdout == ""
    text = out.read_text(encoding="utf-8")
    assert text.startswith("flowchart TD\n") and "i0 -->|trigger| c0" in text
    cli.fails("graph", "export", "--format", "dot", "--out", str(tmp_path / "no" / "g.dot"))


def test_seed_quiet_shutdown_chain(run, db_path: Path) -> None:
    """The 94%-accuracy quiet-shutdown seed case prints its tree from trigger to roots."""
    with KB(db_path) as kb:
        kb.seed()
        found = [
            inc
            for inc in kb.incidents()
            if "silent.quiet-shutdown" in [m.code for m in inc.modes] and "94%" in inc.title
        ]
        assert len(found) == 1
        inc = found[0]
        trigger = next(c for c in inc.causes if c.trigger)
        roots = [c for c in inc.causes if not c.because]
    out = run.ok("graph", "chain", inc.id or "").stdout
    flat = " ".join(out.split())  # rich wraps long statements
    assert inc.id in out
    assert flat.index(" ".join(trigger.statement.split()[:4])) < min(
        flat.index(" ".join(r.statement.split()[:4])) for r in roots
    )
    assert "trigger" in out and "root cause" in out
    data = json.loads(run.ok("graph", "chain", inc.id or "", "--json").stdout)
    assert data["trigger"] == trigger.id and sorted(data["roots"]) == sorted(r.id for r in roots)
    assert all(p[-1] in data["roots"] for p in data["paths"])
