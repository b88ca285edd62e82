"""The portfolio analyses of `KB` (root causes, triggers, keystones, recurring chains, why, cycles)
read slim per-incident rows (kb.store.queries.graph.load_fact_rows) instead of the portfolio's
MultiDiGraph: each must equal the graph-based analysis on a freshly built graph of the same window,
on the hand-built, seed and synthetic portfolios; and the slim rows give the same facts as the full
ones, record for record and in the same order."""

from __future__ import annotations

from datetime import date

import pytest

from kb.graph.analyses import keystones, mode_cycles, recurring_chains, root_causes, triggers, why
from kb.graph.build import load_rows
from kb.graph.patterns import incident_facts_from_fact_rows, incident_facts_from_rows
from kb.graph.window import make_window
from kb.service import KB
from kb.store.queries.graph import load_fact_rows
from tests.test_graph_fixture import CAP, LAT, NB, NM, OW
from tests.test_graph_patterns import _WINDOWS, hand, seeded, synthetic  # noqa: F401 (fixtures)


def _assert_equal_to_the_graph(kb: KB, window: dict[str, object]) -> None:
    w = make_window(**window)  # type: ignore[arg-type]
    g = kb.graph_service._build_graph(window=w)
    assert kb.root_causes(**window).model_dump() == root_causes(g, w).model_dump()  # type: ignore[arg-type]
    assert kb.triggers(**window).model_dump() == triggers(g, w).model_dump()  # type: ignore[arg-type]
    for limit in (3, 1000):
        got = kb.keystones(limit=limit, **window)  # type: ignore[arg-type]
        assert [k.model_dump() for k in got] == [k.model_dump() for k in keystones(g, limit=limit)]
    for min_count in (1, 2):
        got_chains = kb.recurring_chains(min_count=min_count, **window)  # type: ignore[arg-type]
        expected = recurring_chains(g, min_count=min_count)
        assert [c.model_dump() for c in got_chains] == [c.model_dump() for c in expected]
    # the slim rows give the same facts as the full ones, record for record and in the same order
    slim = incident_facts_from_fact_rows(load_fact_rows(kb.db.conn, start=w.start, end=w.end), kb.taxonomy)
    full = incident_facts_from_rows(load_rows(kb.db, window=w), kb.taxonomy)
    assert slim == full and list(slim) == list(full)


def _assert_why_and_cycles_equal_the_graph(kb: KB) -> None:
    g = kb.graph_service._build_graph()
    for codes in ([OW], [NM, LAT], ["drift.distribution-shift"], ["ops.no-monitoring", "org.unclear-ownership"]):
        current = [kb.taxonomy.resolve(c) or c for c in codes]
        if not all(c in kb.taxonomy.modes for c in current):
            continue
        assert [s.model_dump() for s in kb.why(codes, limit=1000)] == [
            s.model_dump() for s in why(g, current, limit=1000)
        ]
    for length in (2, 3, 6):
        assert kb.mode_cycles(max_length=length) == mode_cycles(g, max_length=length)


@pytest.mark.parametrize("window", [*_WINDOWS, {"quarter": "2026Q3"}, {"since": date(2026, 8, 1)}])
def test_hand_built_analyses_equal_the_graph(hand: KB, window: dict[str, object]) -> None:  # noqa: F811
    _assert_equal_to_the_graph(hand, window)


@pytest.mark.parametrize("window", _WINDOWS)
def test_seed_analyses_equal_the_graph(seeded: KB, window: dict[str, object]) -> None:  # noqa: F811
    _assert_equal_to_the_graph(seeded, window)


@pytest.mark.parametrize("window", [*_WINDOWS, {"quarter": "2026Q3"}])
def test_synthetic_analyses_equal_the_graph(synthetic: KB, window: dict[str, object]) -> None:  # noqa: F811
    _assert_equal_to_the_graph(synthetic, window)


def test_why_and_cycles_equal_the_graph(hand: KB, seeded: KB, synthetic: KB) -> None:  # noqa: F811
    for kb in (hand, seeded, synthetic):
        _assert_why_and_cycles_equal_the_graph(kb)


def test_hand_built_numbers_through_the_service(hand: KB) -> None:  # noqa: F811
    """Values worked out in tests/test_graph_patterns.py's docstring, through the service's own
    methods: 2026Q3 holds HB-0001..0003 (HB-0004 is a merged duplicate, HB-0005 is in 2026Q4)."""
    report = hand.root_causes(quarter="2026Q3")
    assert (report.total_incidents, report.total_weight) == (3, 11.0)
    assert [(i.code, i.weight) for i in report.items] == [(OW, 11.0), (NB, 5.0)]
    assert hand.root_causes().total_incidents == 4  # all time: HB-0005 too, never the duplicate
    assert [(k.code, k.score, k.incidents) for k in hand.keystones(quarter="2026Q3")] == [(NM, 2.5, 3), (CAP, 1.0, 1)]
    assert [(c.modes, c.count) for c in hand.recurring_chains(quarter="2026Q3")] == [([NM, OW], 3)]
    # why NM: HB-0001 t LAT -> m NM -> o OW, m -> x: OW behind m; HB-0002 m1 NM -> m2 NM -> o OW: OW;
    # HB-0003 m NM -> o OW: OW. OW from 3 incidents (the duplicate HB-0004's OW never counts).
    assert [(w.code, w.from_incidents) for w in hand.why([NM]) if w.from_incidents] == [(OW, 3)]


def test_a_merged_duplicate_is_left_out_of_the_slim_rows(hand: KB) -> None:  # noqa: F811
    rows = load_fact_rows(hand.db.conn)
    assert [i for i, _sev in rows.incidents] == ["HB-0001", "HB-0002", "HB-0003", "HB-0005"]
    assert "HB-0004" not in {r[0] for r in (*rows.causes, *rows.links, *rows.classifications)}
    q3 = load_fact_rows(hand.db.conn, start=date(2026, 7, 1), end=date(2026, 10, 1))
    assert [i for i, _sev in q3.incidents] == ["HB-0001", "HB-0002", "HB-0003"]
    assert {r[0] for r in q3.causes} == {"HB-0001", "HB-0002", "HB-0003"}


# --- the grouped rows the shape path reads (kb.store.queries.graph.load_chain_groups) -------------


def test_chain_rows_pack_each_incident_as_stored(hand: KB) -> None:  # noqa: F811
    """HB-0001 as written in tests/test_graph_patterns.py: t (trigger, latency) because [m];
    m (ops.no-monitoring) because [o, x]; o (org.unclear-ownership); x (no mode)."""
    from kb.store.queries.graph import SEP, load_chain_groups, unpack_causes, unpack_links, unpack_modes

    groups = load_chain_groups(hand.db.conn)
    # the live incidents, each in one group, with their severities (HB-0004 is a merged duplicate)
    members = sorted((i, s) for g in groups for i, s in zip(g.ids, g.severities, strict=True))
    assert members == [("HB-0001", 2), ("HB-0002", 4), ("HB-0003", 1), ("HB-0005", 3)]
    (g1,) = [g for g in groups if "HB-0001" in g.ids]
    # causes in cause-id order: m, o, t, x; the trigger is t (position 2)
    assert g1.causes == SEP.join(["m", "0", "o", "0", "t", "1", "x", "0"])
    assert unpack_causes(g1.causes) == (["m", "o", "t", "x"], 2)
    assert unpack_modes(g1.modes) == ["ops.no-monitoring", "org.unclear-ownership", "integration.latency", ""]
    assert unpack_links(g1.links) == [("m", "o"), ("m", "x"), ("t", "m")]
    # codes as stored (the alias ops.unmonitored is not followed here), by code
    assert g1.codes == SEP.join(["ops.unmonitored", "silent.quiet-shutdown"])
    (g5,) = [g for g in groups if "HB-0005" in g.ids]
    assert g5.codes == ""  # no classification
    assert all(g.codes is None for g in load_chain_groups(hand.db.conn, codes=False))
    # a window: since 2026-08-01 leaves HB-0001 (started 2026-07-05) out
    since = load_chain_groups(hand.db.conn, start=date(2026, 8, 1), end=date(2027, 1, 1))
    assert sorted(i for g in since for i in g.ids) == ["HB-0002", "HB-0003", "HB-0005"]


def test_links_come_back_in_their_written_order() -> None:
    from kb.store.queries.graph import SEP, unpack_links

    # a because [c, b] written in that order: packed by named cause (b before c), positions 1 and 0
    assert unpack_links(SEP.join(["a", "1", "b", "a", "0", "c", "b", "0", "d"])) == [("a", "c"), ("a", "b"), ("b", "d")]
    assert unpack_links("") == []


def test_a_value_holding_the_separator_is_read_row_by_row(hand: KB) -> None:  # noqa: F811
    """Only a hand-edited database can hold U+001F in a mode (kb checks codes against the taxonomy):
    the incident is read without packing, the character shown as U+FFFD, the rest unchanged."""
    from kb.store.queries.graph import load_chain_groups, unpack_modes

    hand.db.execute("UPDATE causes SET mode = 'made.up\x1fcode' WHERE incident_id = 'HB-0005' AND cause_id = 'o'")
    hand.db.conn.commit()
    (g5,) = [g for g in load_chain_groups(hand.db.conn) if "HB-0005" in g.ids]
    assert unpack_modes(g5.modes) == ["made.up\ufffdcode", "integration.latency"]
    w = make_window()
    g = hand.graph_service._build_graph(window=w)
    expected = root_causes(g, w).model_dump()
    for item in expected["items"]:
        item["code"] = item["code"].replace("\x1f", "\ufffd")
        item["name"] = item["name"].replace("\x1f", "\ufffd")
    assert hand.root_causes().model_dump() == expected
    assert "made.up\ufffdcode" in {i.code for i in hand.root_causes().items}
