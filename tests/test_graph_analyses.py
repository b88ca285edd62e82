"""Each portfolio analysis on the fixture portfolio (tests/fixtures/graph/portfolio.yaml), against hand-worked numbers.

The portfolio, in short (weight = 6 - severity; "->" is `because`; * marks the trigger):
  GR-0001 sev 1, w 5, 2026-07-10: classified QS.        *a LAT -> b NM -> c OW
  GR-0002 sev 3, w 3, 2026-08-01: classified GD, DS.    *a DS -> b NM -> c OW;  d ET -> a
  GR-0003 sev 2, w 4, detected 2026-10-05 (no start):  classified CAP.  *a CAP -> b NB;  a -> c NM -> d OW
  GR-0004 sev 5, w 1, 2026-04-02: classified UO.        a NM -> b LAT   (no trigger)
  GR-0005 duplicate of GR-0001 (QS, VD; x OW -> y NM; z VD): never counted.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from kb.errors import KBError
from kb.service import KB
from tests.test_graph_fixture import (
    CAP,
    DS,
    ET,
    GD,
    LAT,
    NB,
    NC,
    NM,
    OW,
    QS,
    UO,
    VD,
    load_portfolio,
    use_fixture_taxonomy,
)


@pytest.fixture
def pf(kb: KB) -> KB:
    return load_portfolio(kb)


def _rows(report):  # (code, incidents, weight, incident ids) per ranked item
    return [(i.code, i.incidents, i.weight, i.incident_ids) for i in report.items]


# --- root causes -------------------------------------------------------------------------------


def test_root_causes_whole_portfolio(pf: KB) -> None:
    # Deepest conditions per incident (fixture roles: NM, OW, CAP, NB conditions; LAT, DS triggers;
    # QS, GD, UO, ET outcomes): a condition cause with no condition below it through `because`.
    #   GR-0001: a LAT* -> b NM -> c OW                        -> {OW}      w 5
    #   GR-0002: a DS* -> b NM -> c OW; d ET -> a              -> {OW}      w 3
    #   GR-0003: a CAP* -> b NB, a -> c NM -> d OW              -> {NB, OW}  w 4
    #   GR-0004: a NM -> b LAT (a trigger-role mode, no condition below NM) -> {NM}  w 1
    # Totals: 4 incidents, weight 13. OW 5+3+4 = 12; NB 4; NM 1. No outcome (QS, GD, UO, ET) and no
    # trigger (LAT, DS) ever appears, though each is classified or carried by a cause.
    report = pf.root_causes()
    assert report.total_incidents == 4
    assert report.total_weight == 13
    assert report.window.label == "all time"
    assert _rows(report) == [
        (OW, 3, 12, ["GR-0001", "GR-0002", "GR-0003"]),
        (NB, 1, 4, ["GR-0003"]),
        (NM, 1, 1, ["GR-0004"]),
    ]
    shares = {i.code: i.share for i in report.items}
    assert shares[OW] == pytest.approx(12 / 13)
    assert shares[NB] == pytest.approx(4 / 13)
    assert shares[NM] == pytest.approx(1 / 13)
    assert report.items[0].name == "Unclear ownership"
    assert not {QS, GD, UO, ET, LAT, DS} & {i.code for i in report.items}
    assert "deepest" in report.counts


def test_triggers_rank_what_set_incidents_off(pf: KB) -> None:
    # The trigger cause's mode, and trigger-role modes of causes and classifications:
    #   GR-0001 {LAT} w 5; GR-0002 {DS} (trigger cause, and classified) w 3;
    #   GR-0003 {CAP}: its trigger cause carries a condition, still what set it off, w 4;
    #   GR-0004 {LAT}: no trigger cause, but b carries a trigger-role mode, w 1.
    report = pf.triggers()
    assert _rows(report) == [
        (LAT, 2, 6, ["GR-0001", "GR-0004"]),
        (CAP, 1, 4, ["GR-0003"]),
        (DS, 1, 3, ["GR-0002"]),
    ]
    assert "set each incident off" in report.counts


def test_root_causes_in_a_quarter(pf: KB) -> None:
    # 2026Q3 = [2026-07-01, 2026-10-01): GR-0001 (07-10) and GR-0002 (08-01); GR-0003 falls back to
    # detected 2026-10-05 (Q4), GR-0004 is in Q2. Total weight 5 + 3 = 8; both have root OW.
    report = pf.root_causes(quarter="2026Q3")
    assert (report.total_incidents, report.total_weight) == (2, 8)
    assert (report.window.start, report.window.end) == (date(2026, 7, 1), date(2026, 10, 1))
    assert _rows(report) == [(OW, 2, 8, ["GR-0001", "GR-0002"])]
    assert report.items[0].share == 1.0


def test_root_causes_since_uses_detected_at_when_there_is_no_start(pf: KB) -> None:
    # since 2026-08-01 (inclusive): GR-0002 (08-01) and GR-0003 (detected 10-05). Weight 3 + 4 = 7.
    report = pf.root_causes(since=date(2026, 8, 1))
    assert (report.total_incidents, report.total_weight) == (2, 7)
    assert [(i.code, i.weight) for i in report.items] == [(OW, 7), (NB, 4)]


def test_until_is_inclusive_and_combines_with_since(pf: KB) -> None:
    # until 2026-07-10 keeps GR-0001 (started that day) and GR-0004; since 2026-05-01 drops GR-0004.
    assert pf.root_causes(until=date(2026, 7, 10)).total_incidents == 2
    report = pf.root_causes(since=date(2026, 5, 1), until=date(2026, 7, 10))
    assert [i.incident_ids for i in report.items] == [["GR-0001"]]


def test_bad_windows_are_user_errors(pf: KB) -> None:
    with pytest.raises(KBError, match="--quarter"):
        pf.root_causes(quarter="2026Q5")
    with pytest.raises(KBError, match="before --since"):
        pf.root_causes(since=date(2026, 8, 1), until=date(2026, 7, 1))


def test_aliases_resolve_and_an_incident_counts_once_per_mode(kb: KB) -> None:
    # One incident (sev 4, weight 2): classified NM by its alias, and two causes carrying NM (one by
    # alias): t LAT* -> m1 NM (alias) -> m2 NM -> o OW. Its deepest condition is OW, once.
    # Lifted, m1 and m2 are one NM node: S -> LAT -> NM -> OW, and NM cuts OW: score 1, once.
    use_fixture_taxonomy(kb)
    kb.import_paths([_write(kb, _ALIAS_DOC)])
    assert _rows(kb.root_causes()) == [(OW, 1, 2, ["AL-0001"])]
    assert [(k.code, k.score, k.incidents) for k in kb.keystones()] == [(NM, 1.0, 1)]
    assert kb.chain("AL-0001").mode_paths == [[LAT, NM, OW]]


_ALIAS_DOC = """
projects: [{slug: gamma}]
incidents:
  - id: AL-0001
    project: gamma
    title: alias test
    severity: 4
    modes: [{code: ops.unmonitored}]
    causes:
      - {id: t, statement: slow, mode: integration.latency, trigger: true, because: [m1]}
      - {id: m1, statement: no dashboards, mode: ops.unmonitored, because: [m2]}
      - {id: m2, statement: no alerts, mode: ops.no-monitoring, because: [o]}
      - {id: o, statement: no owner, mode: org.unclear-ownership}
"""


def _write(kb: KB, text: str) -> str:
    path = kb.path.parent / "alias.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- keystones ---------------------------------------------------------------------------------


def test_keystones_by_dominance(pf: KB) -> None:
    # Per incident, causes lifted to modes under a source S linked to the chain's starts; roots are the
    # deepest conditions; only conditions score:
    #   GR-0001: S->LAT->NM->OW, roots {OW}. OW's strict dominators: NM, LAT (a trigger).    NM +1
    #   GR-0002: S->DS, S->ET->DS, DS->NM->OW, roots {OW}. Dominators NM, DS (a trigger).    NM +1
    #   GR-0003: S->CAP, CAP->NB, CAP->NM->OW, roots {NB, OW}.
    #            NB dominated by CAP; OW by NM and CAP.                       CAP +2/2, NM +1/2
    #   GR-0004: S->NM->LAT, roots {NM} (LAT is no condition): nothing above NM but S.
    # NM: 1 + 1 + 1/2 = 2.5 in 3 incidents; CAP: 1.0 in 1. The triggers DS and LAT never score.
    ks = pf.keystones()
    assert [(k.code, k.score, k.incidents) for k in ks] == [(NM, 2.5, 3), (CAP, 1.0, 1)]
    assert [(c.incident_id, c.roots) for c in ks[0].cuts] == [("GR-0001", [OW]), ("GR-0002", [OW]), ("GR-0003", [OW])]
    assert [(c.incident_id, c.roots) for c in ks[1].cuts] == [("GR-0003", [OW, NB])]
    assert [k.code for k in pf.keystones(limit=1)] == [NM]
    # Only GR-0001 and GR-0002 in 2026Q3: NM 2.
    assert [(k.code, k.score) for k in pf.keystones(quarter="2026Q3")] == [(NM, 2.0)]


# --- recurring chains --------------------------------------------------------------------------


def test_recurring_chains_at_least_twice(pf: KB) -> None:
    # Mode paths: GR-0001 [LAT, NM, OW]; GR-0002 [DS, NM, OW] and [ET, DS, NM, OW];
    # GR-0003 [CAP, NB] and [CAP, NM, OW]; GR-0004 [NM, LAT].
    # Runs of two or more seen in 2+ incidents: only NM -> OW (GR-0001, GR-0002, GR-0003).
    items = pf.recurring_chains()
    assert [(r.modes, r.count, r.incident_ids) for r in items] == [([NM, OW], 3, ["GR-0001", "GR-0002", "GR-0003"])]


def test_recurring_chains_drop_runs_that_add_nothing(pf: KB) -> None:
    # With min_count 1, a run is dropped when a longer run contains it with the same incidents:
    # GR-0002's [ET, DS, NM, OW] swallows ET->DS, DS->NM, ET->DS->NM, DS->NM->OW (all only GR-0002);
    # GR-0001's [LAT, NM, OW] swallows LAT->NM; GR-0003's [CAP, NM, OW] swallows CAP->NM.
    # NM->OW stays (3 incidents); CAP->NB and NM->LAT stay (no longer run holds them).
    items = pf.recurring_chains(min_count=1)
    assert [(r.modes, r.count) for r in items] == [
        ([NM, OW], 3),
        ([ET, DS, NM, OW], 1),
        ([CAP, NM, OW], 1),
        ([LAT, NM, OW], 1),
        ([CAP, NB], 1),
        ([NM, LAT], 1),
    ]
    with pytest.raises(KBError, match="min-count"):
        pf.recurring_chains(min_count=0)


# --- similar -----------------------------------------------------------------------------------


def test_similar_by_shared_elements(pf: KB) -> None:
    # Profiles (kb.graph.similar; fixture roles and leads_to NM->GD, OW->NM, NC->NM; both projects
    # in production, no vendor, no tags):
    #   GR-0001 primary {QS}, other {LAT, NM, OW}, roots {OW}, pairs {LAT->NM, LAT->OW}
    #           own weight 4 + 3 x 0.5 + 2 + 2 x 2 + stage 0.25 = 11.75
    #   GR-0002 primary {GD}, other {DS, NM, OW, ET}, roots {OW}, pairs {DS->NM, DS->OW}
    #           shares NM, OW contributing 1.0 + root OW 2 + category silent 1 + stage 0.25 = 4.25
    #   GR-0003 primary {CAP}, other {NB, NM, OW}, roots {NB, OW}
    #           shares NM, OW 1.0 + root OW 2 + stage 0.25 = 3.25
    #   GR-0004 no primary, other {UO, NM, LAT}, roots {NM}: LAT, NM 1.0 + stage 0.25 = 1.25
    #           -> 0.106, below the floor: left out (the old Jaccard ranked it first)
    items = pf.similar("GR-0001")
    assert [(s.incident_id, s.shared_modes) for s in items] == [("GR-0002", [NM, OW]), ("GR-0003", [NM, OW])]
    assert [s.score for s in items] == pytest.approx([4.25 / 11.75, 3.25 / 11.75], abs=1e-4)
    assert [r.kind for r in items[0].reasons] == ["contributing", "contributing", "root", "category", "stage"]
    assert items[0].title == "Alpha scores drift for a quarter"
    assert [s.incident_id for s in pf.similar("GR-0001", limit=1)] == ["GR-0002"]
    # a merged duplicate's id leads to the surviving record
    assert [s.incident_id for s in pf.similar("GR-0005")] == ["GR-0002", "GR-0003"]


# --- why ---------------------------------------------------------------------------------------


def test_why_from_incidents_and_taxonomy(pf: KB) -> None:
    # Causes of NM and what stands behind them: GR-0001 b -> c OW; GR-0002 b -> c OW; GR-0003 c -> d OW;
    # GR-0004 a -> b LAT. So from incidents: OW 3, LAT 1.
    # Fixture taxonomy edges into NM: OW -> NM, NC -> NM. Evidence = incidents + taxonomy edges:
    # OW 3 + 1 = 4; LAT 1 + 0 = 1; NC 0 + 1 = 1 (LAT first: more incident evidence).
    items = pf.why([NM])
    assert [(w.code, w.evidence, w.from_incidents, w.from_taxonomy) for w in items] == [
        (OW, 4, 3, True),
        (LAT, 1, 1, False),
        (NC, 1, 0, True),
    ]
    assert items[0].name == "Unclear ownership"
    assert pf.why(["ops.unmonitored"]) == items  # an alias means the same mode


def test_why_for_a_mode_known_only_as_a_classification(pf: KB) -> None:
    # QS is carried by no cause; GR-0001 is classified QS, so its whole chain stands behind it:
    # LAT, NM, OW once each (GR-0005, also QS, is a duplicate). Nothing leads to QS in the taxonomy.
    items = pf.why([QS])
    assert [(w.code, w.evidence, w.from_incidents, w.from_taxonomy) for w in items] == [
        (LAT, 1, 1, False),
        (NM, 1, 1, False),
        (OW, 1, 1, False),
    ]


def test_why_rejects_unknown_codes(pf: KB) -> None:
    expected = "unknown taxonomy code 'ops.no-monitorin'; did you mean ops.no-monitoring"
    with pytest.raises(KBError, match=re.escape(expected)):
        pf.why(["ops.no-monitorin"])
    with pytest.raises(KBError, match="at least one"):
        pf.why([])


# --- cycles ------------------------------------------------------------------------------------


def test_mode_cycles_across_incidents(pf: KB) -> None:
    # Lifted `because` links: GR-0001 LAT->NM, NM->OW; GR-0002 ET->DS, DS->NM, NM->OW;
    # GR-0003 CAP->NB, CAP->NM, NM->OW; GR-0004 NM->LAT. One cycle: LAT -> NM -> LAT.
    # The duplicate's OW -> NM would close NM -> OW -> NM, but duplicates are left out.
    assert pf.mode_cycles() == [[LAT, NM]]
    with pytest.raises(KBError, match="max-length"):
        pf.mode_cycles(max_length=1)


def test_duplicate_codes_never_appear(pf: KB) -> None:
    assert VD not in {i.code for i in pf.root_causes().items}
    assert VD not in {w.code for w in pf.why([OW, NM, LAT])}
    # GR-0002: d ET -> a DS puts ET *above* DS (a consequence), so it is not a why for DS; b NM and c OW are.
    assert [(w.code, w.from_incidents) for w in pf.why([DS])] == [(NM, 1), (OW, 1)]


# --- one read per call, nothing kept between calls -----------------------------------------------


def test_graph_patterns_equal_the_three_separate_analyses(pf: KB) -> None:
    found = pf.graph_patterns(quarter="2026Q3")
    assert found.root_causes == pf.root_causes(quarter="2026Q3")
    assert found.keystones == pf.keystones(quarter="2026Q3")
    assert [(k.code, k.score) for k in found.keystones] == [(NM, 2.0)]
    assert found.recurring_chains == pf.recurring_chains(quarter="2026Q3")
    with pytest.raises(KBError):
        pf.graph_patterns(min_count=0)


def test_analyses_see_every_write_and_keep_no_graph(pf: KB, db_path) -> None:
    """Root causes, keystones and recurring chains read the store's rows on each call (no graph is
    built or kept between calls), so a write here or through another connection is seen at once."""
    assert pf.root_causes(quarter="2026Q3").total_weight == 5 + 3
    pf.keystones(quarter="2026Q3")
    pf.recurring_chains(quarter="2026Q3")
    # a write on this connection: the next analysis sees it
    pf.db.execute("UPDATE incidents SET severity = 5 WHERE id = 'GR-0001'")
    pf.db.conn.commit()
    assert pf.root_causes(quarter="2026Q3").total_weight == 1 + 3
    # a write through another connection is seen too
    other = KB(db_path)
    try:
        other.db.execute("UPDATE incidents SET severity = 1 WHERE id = 'GR-0001'")
        other.db.conn.commit()
    finally:
        other.close()
    assert pf.root_causes(quarter="2026Q3").total_weight == 5 + 3
    # nothing graph-shaped kept on the handle, nor on the graph service it delegates to
    assert not [k for k in vars(pf) if "graph" in k and k != "graph_service"]
    assert not [k for k in vars(pf.graph_service) if "graph" in k]
