"""`KB.graph_patterns` computes root causes, keystones and recurring chains from the store's rows
(kb.graph.patterns) without building the graph: its results must equal the graph-based analyses.

The hand-built portfolio below (fixture taxonomy; weight = 6 - severity; "->" is `because`; * marks
the trigger; "ops.unmonitored" is an alias of NM):
  HB-0001 sev 2, w 4, 2026-07-05: classified QS, ops.unmonitored.  *t LAT -> m NM -> o OW;  m -> x (no mode)
  HB-0002 sev 4, w 2, 2026-08-10: classified GD.   *t DS -> m1 ops.unmonitored -> m2 NM -> o OW;  e ET -> t
  HB-0003 sev 1, w 5, 2026-09-01: classified CAP.  *t CAP -> b NB;  t -> m NM -> o OW
  HB-0004 duplicate of HB-0001 (DS; OW -> NM): never counted.
  HB-0005 sev 3, w 3, 2026-11-02 (2026Q4), no classification.  *t LAT -> o OW
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from kb.graph.analyses import incident_facts, keystones, recurring_chains, root_causes
from kb.graph.build import GraphRows, build_graph, load_rows, mode_node
from kb.graph.patterns import incident_facts_from_rows, mode_namer
from kb.graph.window import make_window
from kb.ops.graph import GraphPatterns
from kb.service import KB
from kb.synth import SynthSpec, generate
from kb.synth.write import write_portfolio
from tests.test_graph_fixture import (
    CAP,
    DS,
    ET,
    GD,
    LAT,
    NB,
    NM,
    OW,
    QS,
    fixture_taxonomy,
    use_fixture_taxonomy,
)

_HAND = """
projects: [{slug: hand}]
incidents:
  - id: HB-0001
    project: hand
    title: one
    severity: 2
    started_at: 2026-07-05
    modes: [{code: silent.quiet-shutdown}, {code: ops.unmonitored}]
    causes:
      - {id: t, statement: slow, mode: integration.latency, trigger: true, because: [m]}
      - {id: m, statement: unwatched, mode: ops.no-monitoring, because: [o, x]}
      - {id: o, statement: no owner, mode: org.unclear-ownership}
      - {id: x, statement: nobody knows}
  - id: HB-0002
    project: hand
    title: two
    severity: 4
    started_at: 2026-08-10
    modes: [{code: silent.gradual-degradation}]
    causes:
      - {id: t, statement: shift, mode: drift.distribution-shift, trigger: true, because: [m1]}
      - {id: m1, statement: no drift alert, mode: ops.unmonitored, because: [m2]}
      - {id: m2, statement: no dashboards, mode: ops.no-monitoring, because: [o]}
      - {id: o, statement: no owner, mode: org.unclear-ownership}
      - {id: e, statement: trust eroded, mode: org.eroded-trust, because: [t]}
  - id: HB-0003
    project: hand
    title: three
    severity: 1
    started_at: 2026-09-01
    modes: [{code: integration.capacity-gap}]
    causes:
      - {id: t, statement: overload, mode: integration.capacity-gap, trigger: true, because: [b, m]}
      - {id: b, statement: no baseline, mode: value.no-baseline}
      - {id: m, statement: queue unwatched, mode: ops.no-monitoring, because: [o]}
      - {id: o, statement: no owner, mode: org.unclear-ownership}
  - id: HB-0004
    project: hand
    title: one again
    severity: 1
    started_at: 2026-07-05
    duplicate_of: HB-0001
    modes: [{code: drift.distribution-shift}]
    causes:
      - {id: o, statement: no owner, mode: org.unclear-ownership, because: [m]}
      - {id: m, statement: unwatched, mode: ops.no-monitoring}
  - id: HB-0005
    project: hand
    title: five
    severity: 3
    started_at: 2026-11-02
    causes:
      - {id: t, statement: slow, mode: integration.latency, trigger: true, because: [o]}
      - {id: o, statement: no owner, mode: org.unclear-ownership}
"""


@pytest.fixture
def hand(kb: KB) -> KB:
    use_fixture_taxonomy(kb)
    path = kb.path.parent / "hand.yaml"
    path.write_text(_HAND, encoding="utf-8")
    kb.import_paths([str(path)])
    return kb


def _by_graph(kb: KB, min_count: int = 2, limit: int = 10, **window: object) -> GraphPatterns:
    """The same three results the old way: a freshly built graph and the graph-based analyses."""
    w = make_window(**window)  # type: ignore[arg-type]
    g = kb.graph_service._build_graph(window=w)
    return GraphPatterns(root_causes(g, w), keystones(g, limit=limit), recurring_chains(g, min_count=min_count))


def _assert_same(kb: KB, min_count: int = 2, limit: int = 10, **window: object) -> GraphPatterns:
    found = kb.graph_patterns(min_count=min_count, limit=limit, **window)  # type: ignore[arg-type]
    expected = _by_graph(kb, min_count=min_count, limit=limit, **window)
    assert found.root_causes.model_dump() == expected.root_causes.model_dump()
    assert [k.model_dump() for k in found.keystones] == [k.model_dump() for k in expected.keystones]
    assert [c.model_dump() for c in found.recurring_chains] == [c.model_dump() for c in expected.recurring_chains]
    # and the facts both read are the same, record for record and in the same order
    w = make_window(**window)  # type: ignore[arg-type]
    rows = load_rows(kb.db, window=w)
    from_rows = incident_facts_from_rows(rows, kb.taxonomy)
    from_graph = incident_facts(build_graph(rows, kb.taxonomy))
    assert from_rows == from_graph
    assert list(from_rows) == list(from_graph)
    assert [list(f.causes.order) for f in from_rows.values()] == [list(f.causes.order) for f in from_graph.values()]
    return found


# --- hand-built ----------------------------------------------------------------------------------


def test_root_causes_worked_by_hand(hand: KB) -> None:
    # Deepest conditions per incident in 2026Q3 (fixture roles: NM, OW, CAP, NB conditions; LAT, DS
    # triggers; QS, GD, ET outcomes; x has no mode):
    #   HB-0001: t LAT* -> m NM -> o OW, m -> x: conditions m, o; m has o below  -> {OW}      w 4
    #   HB-0002: t DS* -> m1 NM -> m2 NM -> o OW; e ET -> t                      -> {OW}      w 2
    #   HB-0003: t CAP* -> b NB, t -> m NM -> o OW: t and m have conditions below -> {NB, OW}  w 5
    # Total 4 + 2 + 5 = 11. OW 11 (share 1.0); NB 5 (5/11). Classifications (QS, NM, GD, CAP) add nothing:
    # each incident's chain carries conditions.
    report = hand.graph_patterns(quarter="2026Q3").root_causes
    assert (report.total_incidents, report.total_weight) == (3, 11.0)
    assert [(i.code, i.incidents, i.weight, i.share, i.incident_ids) for i in report.items] == [
        (OW, 3, 11.0, 1.0, ["HB-0001", "HB-0002", "HB-0003"]),
        (NB, 1, 5.0, 5 / 11, ["HB-0003"]),
    ]
    assert report.items[0].name == "Unclear ownership"
    assert not {QS, GD, ET} & {i.code for i in report.items}  # outcomes, classified or carried, never count
    assert report.window.label == "2026Q3"
    # all time adds HB-0005 (w 3): t LAT* -> o OW, root OW. Total 14; the duplicate's DS never appears.
    report = hand.graph_patterns().root_causes
    assert (report.total_incidents, report.total_weight) == (4, 14.0)
    assert [(i.code, i.weight, i.share) for i in report.items] == [(OW, 14.0, 1.0), (NB, 5.0, 5 / 14)]
    assert DS not in {i.code for i in report.items}


def test_keystones_worked_by_hand(hand: KB) -> None:
    # Causes lifted to modes under a source S linked to the starts (trigger, then causes nothing names);
    # roots are the deepest conditions; only conditions score:
    #   HB-0001: S->LAT->NM->OW, NM->X (no mode). Roots {OW}: NM +1 (LAT is a trigger)
    #   HB-0002: S->DS, S->ET->DS, DS->NM->OW (m1->m2 is NM->NM: dropped). Roots {OW}: NM +1
    #   HB-0003: S->CAP, CAP->NB, CAP->NM->OW. Roots {NB, OW}: CAP +2/2, NM +1/2
    # NM 1 + 1 + 1/2 = 2.5 in 3 incidents; CAP 1.0 in one.
    ks = hand.graph_patterns(quarter="2026Q3").keystones
    assert [(k.code, k.score, k.incidents) for k in ks] == [(NM, 2.5, 3), (CAP, 1.0, 1)]
    assert ks[0].name == "No monitoring"
    assert [(c.incident_id, c.roots) for c in ks[1].cuts] == [("HB-0003", [OW, NB])]
    # all time adds HB-0005: S->LAT->OW, root OW, dominated only by the trigger LAT: nothing changes.
    ks = hand.graph_patterns(limit=1).keystones
    assert [(k.code, k.score, k.incidents) for k in ks] == [(NM, 2.5, 3)]


def test_recurring_chains_worked_by_hand(hand: KB) -> None:
    # Mode paths: HB-0001 [LAT, NM, OW] and [LAT, NM] (x has no mode);
    # HB-0002 [DS, NM, OW] (NM twice collapsed) and [ET, DS, NM, OW]; HB-0003 [CAP, NB] and [CAP, NM, OW].
    # In 2+ incidents: only NM -> OW (all three).
    chains = hand.graph_patterns(quarter="2026Q3").recurring_chains
    assert [(c.modes, c.count, c.incident_ids) for c in chains] == [([NM, OW], 3, ["HB-0001", "HB-0002", "HB-0003"])]
    # min_count 1: runs a longer run holds with the same incidents are dropped (LAT->NM, DS->NM,
    # ET->DS, ET->DS->NM, DS->NM->OW, CAP->NM).
    chains = hand.graph_patterns(quarter="2026Q3", min_count=1).recurring_chains
    assert [(c.modes, c.count) for c in chains] == [
        ([NM, OW], 3),
        ([ET, DS, NM, OW], 1),
        ([CAP, NM, OW], 1),
        ([LAT, NM, OW], 1),
        ([CAP, NB], 1),
    ]


@pytest.mark.parametrize(
    "window",
    [{}, {"quarter": "2026Q3"}, {"quarter": "2026Q4"}, {"since": date(2026, 8, 1), "until": date(2026, 11, 2)}],
)
@pytest.mark.parametrize("min_count", [1, 2])
def test_hand_built_equals_the_graph(hand: KB, window: dict[str, object], min_count: int) -> None:
    _assert_same(hand, min_count=min_count, limit=100, **window)


def test_an_empty_window_gives_empty_patterns(hand: KB) -> None:
    found = _assert_same(hand, quarter="2020Q1")
    assert (found.root_causes.total_incidents, found.root_causes.total_weight, found.root_causes.items) == (0, 0, [])
    assert (found.keystones, found.recurring_chains) == ([], [])


def test_facts_from_rows_resolve_aliases_and_name_unknown_codes_by_code() -> None:
    # Rows as load_rows gives them: an alias in a cause and a classification, a code the taxonomy
    # does not know (named by its code, as build_graph's mode node is), a link written twice.
    tax = fixture_taxonomy()
    rows = GraphRows(
        projects=[("p", "p", "", "production")],
        incidents=[("X-1", "p", "t", "degradation", 2, "2026-07-01"), ("X-2", "p", "t", "degradation", 5, "")],
        causes=[
            ("X-1", "a", "s", "ops.unmonitored", 1),
            ("X-1", "b", "s", "made.up-code", 0),
            ("X-1", "c", "s", None, 0),
        ],
        links=[("X-1", "a", "b"), ("X-1", "a", "b"), ("X-1", "b", "c")],
        classifications=[("X-1", "ops.unmonitored", "primary", "known"), ("X-1", NM, "contributing", "potential")],
    )
    facts = incident_facts_from_rows(rows, tax)
    assert facts == incident_facts(build_graph(rows, tax))
    one = facts["X-1"]
    assert one.severity == 2 and one.classified == [NM]
    assert one.causes.order == ["cause:X-1/a", "cause:X-1/b", "cause:X-1/c"]
    assert one.causes.because == {"cause:X-1/a": ["cause:X-1/b"], "cause:X-1/b": ["cause:X-1/c"], "cause:X-1/c": []}
    assert one.causes.modes == {"cause:X-1/a": NM, "cause:X-1/b": "made.up-code"}
    assert one.causes.trigger == "cause:X-1/a"
    assert facts["X-2"].causes.order == [] and facts["X-2"].classified == []
    name = mode_namer(tax)
    g = build_graph(rows, tax)
    assert [name(c) for c in (NM, "made.up-code")] == ["No monitoring", "made.up-code"]
    assert [name(c) for c in (NM, "made.up-code")] == [g.nodes[mode_node(c)]["name"] for c in (NM, "made.up-code")]
    assert mode_namer(None)(NM) == NM


def test_graph_patterns_builds_no_graph(hand: KB) -> None:
    def fail(**_kw: object) -> None:
        raise AssertionError("graph_patterns built a graph")

    hand.graph_service._build_graph = fail  # type: ignore[method-assign]
    assert hand.graph_patterns(quarter="2026Q3").root_causes.total_incidents == 3


# --- seed and synthetic portfolios ---------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KB]:
    handle = KB(tmp_path_factory.mktemp("seed") / "kb.sqlite", actor="seed")
    handle.seed()
    yield handle
    handle.close()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KB]:
    # a quarter of the bench "smoke" size: a few seconds, with merged duplicates and every chain shape
    root: Path = tmp_path_factory.mktemp("synth")
    handle = KB(root / "kb.sqlite", actor="synth")
    write_portfolio(handle, generate(SynthSpec(projects=20, incidents=400, periods=8, flag_events=50, seed=8)), root)
    yield handle
    handle.close()


_WINDOWS = [{}, {"quarter": "2025Q3"}, {"quarter": "2026Q1"}, {"since": date(2025, 10, 1), "until": date(2026, 6, 30)}]


@pytest.mark.parametrize("window", _WINDOWS)
def test_seed_patterns_equal_the_graph(seeded: KB, window: dict[str, object]) -> None:
    found = _assert_same(seeded, **window)
    _assert_same(seeded, min_count=1, limit=1000, **window)
    if not window:
        live = seeded.db.execute("SELECT count(*) FROM incidents WHERE duplicate_of IS NULL").fetchone()[0]
        assert found.root_causes.total_incidents == live > 10
        assert found.keystones and found.recurring_chains


@pytest.mark.parametrize("window", [*_WINDOWS, {"quarter": "2026Q3"}])
def test_synthetic_patterns_equal_the_graph(synthetic: KB, window: dict[str, object]) -> None:
    found = _assert_same(synthetic, **window)
    _assert_same(synthetic, min_count=1, limit=1000, **window)
    assert found.root_causes.total_incidents > 0 and found.keystones and found.recurring_chains


def test_synthetic_portfolio_has_merged_duplicates_left_out(synthetic: KB) -> None:
    dups = synthetic.db.execute("SELECT count(*) FROM incidents WHERE duplicate_of IS NOT NULL").fetchone()[0]
    total = synthetic.db.execute("SELECT count(*) FROM incidents").fetchone()[0]
    assert dups > 0
    assert synthetic.graph_patterns().root_causes.total_incidents == total - dups
