"""Building the MultiDiGraph from the store: nodes, typed edges and their directions, scopes."""

from __future__ import annotations

from collections import Counter

import networkx as nx
import pytest

from kb.errors import NotFound
from kb.graph.build import build_graph_from_db
from kb.service import KB
from tests.test_graph_fixture import CAP, LAT, NB, NM, OW, QS, UO, load_portfolio


@pytest.fixture
def pf(kb: KB) -> KB:
    return load_portfolio(kb)


def _kinds(g) -> Counter[str]:
    return Counter(d["kind"] for _, d in g.nodes(data=True))


def _rels(g) -> Counter[str]:
    return Counter(k for _, _, k in g.edges(keys=True))


def test_portfolio_graph_counts(pf: KB) -> None:
    # Nodes: 2 projects; 4 incidents (GR-0005 is a duplicate); causes 3 + 4 + 4 + 2 = 13; all 14 fixture modes.
    # Edges: has_incident 4; caused_by = trigger or unnamed cause: GR-0001 a; GR-0002 a, d; GR-0003 a;
    # GR-0004 a -> 5; because 2 + 3 + 3 + 1 = 9; instance_of 13 (every cause has a mode);
    # classified_as 1 + 2 + 1 + 1 = 5; leads_to 3 (fixture taxonomy).
    g = pf.graph()
    assert _kinds(g) == {"project": 2, "incident": 4, "cause": 13, "mode": 14}
    assert _rels(g) == {
        "has_incident": 4,
        "caused_by": 5,
        "because": 9,
        "instance_of": 13,
        "classified_as": 5,
        "leads_to": 3,
    }
    assert "incident:GR-0005" not in g


def test_edge_directions_and_attributes(pf: KB) -> None:
    g = pf.graph()
    assert g.has_edge("project:alpha", "incident:GR-0001", "has_incident")
    assert g.edges["incident:GR-0001", "cause:GR-0001/a", "caused_by"] == {"rel": "caused_by", "role": "trigger"}
    assert g.edges["incident:GR-0002", "cause:GR-0002/d", "caused_by"]["role"] == "contributing"
    assert not g.has_edge("incident:GR-0002", "cause:GR-0002/b")  # b is named by a: reached through `because`
    assert g.has_edge("cause:GR-0001/a", "cause:GR-0001/b", "because")
    assert g.has_edge("cause:GR-0001/b", f"mode:{NM}", "instance_of")
    assert g.edges["incident:GR-0002", "mode:drift.distribution-shift", "classified_as"] == {
        "rel": "classified_as",
        "role": "contributing",
        "confidence": "potential",
    }
    assert g.has_edge(f"mode:{OW}", f"mode:{NM}", "leads_to")
    a = g.nodes["cause:GR-0002/a"]
    d = g.nodes["cause:GR-0002/d"]
    c = g.nodes["cause:GR-0002/c"]
    assert (a["trigger"], a["root"], a["top"]) == (True, False, False)
    assert (d["trigger"], d["root"], d["top"]) == (False, False, True)
    assert (c["trigger"], c["root"], c["top"]) == (False, True, False)
    inc = g.nodes["incident:GR-0003"]
    assert (inc["severity"], inc["at"], inc["project"]) == (2, "2026-10-05", "beta")  # detected_at fallback


def test_every_cause_is_reachable_from_its_incident(pf: KB) -> None:
    g = pf.graph()
    for n, d in g.nodes(data=True):
        if d["kind"] == "incident":
            reached = {
                v
                for v in nx.descendants(g, n)
                if g.nodes[v]["kind"] == "cause" and g.nodes[v]["incident"] == d["label"]
            }
            mine = {m for m, e in g.nodes(data=True) if e["kind"] == "cause" and e["incident"] == d["label"]}
            assert reached == mine


def test_project_scope_keeps_only_touched_modes(pf: KB) -> None:
    # beta: GR-0003 (CAP, NB, NM, OW) and GR-0004 (NM, LAT, UO); leads_to among those: only OW -> NM.
    g = pf.graph(project="beta")
    assert _kinds(g) == {"project": 1, "incident": 2, "cause": 6, "mode": 6}
    assert {d["code"] for _, d in g.nodes(data=True) if d["kind"] == "mode"} == {CAP, NB, NM, OW, LAT, UO}
    assert _rels(g)["leads_to"] == 1


def test_incident_scope_even_for_a_duplicate(pf: KB) -> None:
    g = pf.graph(incident="GR-0001")
    assert _kinds(g) == {"project": 1, "incident": 1, "cause": 3, "mode": 4}  # LAT, NM, OW, QS
    assert {d["code"] for _, d in g.nodes(data=True) if d["kind"] == "mode"} == {LAT, NM, OW, QS}
    dup = pf.graph(incident="GR-0005")
    assert "incident:GR-0005" in dup and _kinds(dup)["cause"] == 3


def test_unknown_scopes_are_not_found(pf: KB) -> None:
    with pytest.raises(NotFound, match="no incident 'GR-9999'"):
        pf.graph(incident="GR-9999")
    with pytest.raises(NotFound, match="no project 'nope'"):
        pf.graph(project="nope")


def test_build_without_a_taxonomy_keeps_codes_as_written(pf: KB) -> None:
    g = build_graph_from_db(pf.db)
    assert _kinds(g)["mode"] == 10  # only the codes the four incidents use
    assert _rels(g)["leads_to"] == 0
    assert g.nodes[f"mode:{NM}"]["name"] == NM


def test_empty_store_gives_an_empty_graph(kb: KB) -> None:
    g = build_graph_from_db(kb.db)
    assert g.number_of_nodes() == 0
