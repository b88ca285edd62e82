"""Exports: GraphML and GEXF read back into the same graph; Mermaid and DOT escape any text."""

from __future__ import annotations

import io
import json
import re

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.errors import KBError
from kb.graph.export import chain_mermaid, dot_quote, mermaid_label
from kb.models import Incident
from kb.service import KB
from tests.test_graph_fixture import load_portfolio

HOSTILE = [
    'He said "stop" and left',
    "array[0] was [null] (again)",
    "line one\nline two\r\nline three",
    "a | b || c",
    "<script>alert(1)</script> & <b>bold</b>",
    "#quot; is not a quote; #35; neither",
    "end",
    "--> arrows --- and -.-> and ==>",
    "%% not a comment",
    "back\\slash \\N \\n",
    "{curly} `tick` ;semi;",
]


@pytest.fixture
def pf(kb: KB) -> KB:
    return load_portfolio(kb)


def _edges(g) -> set[tuple[str, str, str]]:
    return {(u, v, d["rel"]) for u, v, d in g.edges(data=True)}


def test_graphml_reads_back_with_the_same_nodes_and_edges(pf: KB) -> None:
    g = pf.graph()
    data = pf.export_graph("graphml")
    back = nx.read_graphml(io.BytesIO(data), force_multigraph=True)
    assert set(back.nodes) == set(g.nodes)
    # every edge has an id of its own; the relation (the edge key in kb's graph) is its label
    ids = re.findall(rb'<edge [^>]*id="([^"]+)"', data)
    assert len(ids) == g.number_of_edges() == len(set(ids))
    assert sorted((u, v, d["label"]) for u, v, d in back.edges(data=True)) == sorted(g.edges(keys=True))
    assert _edges(back) == _edges(g)
    assert back.nodes["cause:GR-0001/a"]["trigger"] is True
    assert back.nodes["incident:GR-0001"]["severity"] == 1


def test_gexf_reads_back_with_the_same_nodes_and_edges(pf: KB) -> None:
    g = pf.graph()
    back = nx.read_gexf(io.BytesIO(pf.export_graph("gexf")))
    assert set(back.nodes) == set(g.nodes)
    assert {(u, v) for u, v in back.edges()} == {(u, v) for u, v, _ in g.edges(keys=True)}
    assert _edges(back) == _edges(g)
    assert back.nodes["cause:GR-0002/d"]["statement"] == "agents stopped trusting the scores"


def test_hostile_statements_survive_graphml_and_gexf(kb: KB) -> None:
    load_portfolio(kb)
    doc = kb.get_incident("GR-0004").model_dump(by_alias=True)
    doc["causes"] = [{"id": f"h{i}", "statement": s} for i, s in enumerate(HOSTILE)]
    kb.save_incident(Incident.model_validate(doc))
    want = {f"cause:GR-0004/h{i}": s for i, s in enumerate(HOSTILE)}
    for fmt, reader in (("graphml", nx.read_graphml), ("gexf", nx.read_gexf)):
        back = reader(io.BytesIO(kb.export_graph(fmt, incident="GR-0004")))
        got = {n: back.nodes[n]["statement"] for n in want}
        # line breaks are written as LF (an XML parser would turn a raw CR LF into LF anyway, XML 1.0, 2.11)
        assert got == {n: s.replace("\r\n", "\n") for n, s in want.items()}, fmt


def test_json_is_node_link_data(pf: KB) -> None:
    data = json.loads(pf.export_graph("json"))
    g = nx.node_link_graph(data, edges="edges")
    assert set(g.nodes) == set(pf.graph().nodes)
    assert g.number_of_edges() == pf.graph().number_of_edges()


def test_out_writes_where_asked(pf: KB, tmp_path) -> None:
    target = tmp_path / "sub dir" / "g.graphml"
    target.parent.mkdir()
    data = pf.export_graph("graphml", out=target)
    assert target.read_bytes() == data
    with pytest.raises(KBError, match="does not exist"):
        pf.export_graph("dot", out=tmp_path / "missing" / "g.dot")
    with pytest.raises(KBError, match="unknown format"):
        pf.export_graph("png")
    with pytest.raises(KBError, match="not both"):
        pf.export_graph("dot", incident="GR-0001", project="alpha")


# --- Mermaid -----------------------------------------------------------------------------------

_ENTITY = re.compile(r"#(\w+);")
_NAMED = {"quot": '"', "amp": "&", "lt": "<", "gt": ">"}
# a label is safe characters, entities (#quot; #35;) and <br/> line breaks, nothing else
NODE_LINE = re.compile(r'^    ([a-z]\d+)\["((?:[^"\[\]\n\r|<>;`{}()#%\\\x85\u2028\u2029]|#\w+;|<br/>)*)"\]$')
EDGE_LINE = re.compile(r"^    ([a-z]\d+) -->(\|[a-z_]+\|)? ([a-z]\d+)$")
STYLE_LINE = re.compile(r"^    (classDef [a-z]+ [a-z:#0-9,-]+|class [a-z0-9,]+ [a-z]+)$")


def _decode(label: str) -> str:
    """What Mermaid shows for a label: <br/> is a line break, #name; and #123; are characters."""
    text = label.replace("<br/>", "\n")
    return _ENTITY.sub(lambda m: _NAMED.get(m.group(1)) or chr(int(m.group(1))), text)


def _parse(text: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    for line in lines[1:]:
        if m := NODE_LINE.match(line):
            assert m.group(1) not in nodes
            nodes[m.group(1)] = _decode(m.group(2))
        elif m := EDGE_LINE.match(line):
            edges.append((m.group(1), m.group(3)))
        else:
            assert STYLE_LINE.match(line), f"not a flowchart line: {line!r}"
    assert all(u in nodes and v in nodes for u, v in edges)
    return nodes, edges


def test_chain_mermaid_escapes_hostile_statements() -> None:
    causes = [{"id": "c0", "statement": HOSTILE[0], "trigger": True, "because": ["c1"], "mode": "x.y"}]
    causes += [{"id": f"c{i}", "statement": s, "because": [f"c{i + 1}"]} for i, s in enumerate(HOSTILE[1:-1], 1)]
    causes += [{"id": f"c{len(HOSTILE) - 1}", "statement": HOSTILE[-1]}]
    inc = Incident.model_validate({"id": "MM-0001", "project": "p", "title": 'A "title" [x]', "causes": causes})
    nodes, edges = _parse(chain_mermaid(inc))
    want = {"i0": 'MM-0001: A "title" [x]', "c0": f"c0: {HOSTILE[0]}\nx.y"}
    want |= {f"c{i}": f"c{i}: {s}".replace("\r\n", "\n") for i, s in enumerate(HOSTILE) if i}
    assert nodes == want
    # the incident points at its trigger; each cause at the next; 1 + 10 edges
    assert edges == [("i0", "c0")] + [(f"c{i}", f"c{i + 1}") for i in range(len(HOSTILE) - 1)]


def test_chain_mermaid_of_a_stored_chain(pf: KB) -> None:
    # GR-0002: i0 -> a (trigger), i0 -> d; a -> b -> c; d -> a.
    text = pf.export_graph("mermaid", incident="GR-0002")
    nodes, edges = _parse(text)
    ids = {label.split(":", 1)[0]: nid for nid, label in nodes.items()}
    assert sorted(edges) == sorted(
        [
            (ids["GR-0002"], ids["a"]),
            (ids["GR-0002"], ids["d"]),
            (ids["a"], ids["b"]),
            (ids["b"], ids["c"]),
            (ids["d"], ids["a"]),
        ]
    )
    assert "i0 -->|trigger| c0" in text
    assert f"class {ids['c']} root" in text


def test_whole_graph_mermaid_and_dot_parse(pf: KB) -> None:
    g = pf.graph()
    nodes, edges = _parse(pf.export_graph("mermaid"))
    assert (len(nodes), len(edges)) == (g.number_of_nodes(), g.number_of_edges())
    dot = pf.export_graph("dot")
    assert dot.startswith("digraph kb {") and dot.rstrip().endswith("}")
    assert dot.count(" -> ") == g.number_of_edges()


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_is_one_safe_mermaid_label(text: str) -> None:
    label = mermaid_label(text)
    assert NODE_LINE.match(f'    n0["{label}"]')
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    breakers = {"\x7f", "\x85", "\u2028", "\u2029"}
    expected = "".join(" " if (ord(ch) < 32 and ch != "\n") or ch in breakers else ch for ch in expected)
    # what a terminal or renderer could act on (C1 controls, bidi overrides, lone surrogates) is shown as an escape
    expected = "".join(f"\\x{ord(ch):02x}" if 0x7F < ord(ch) < 0xA0 and ch != "\x85" else ch for ch in expected)
    expected = "".join(f"\\u{ord(ch):04x}" if _hidden(ch) else ch for ch in expected)
    assert _decode(label) == expected


def _hidden(ch: str) -> bool:
    o = ord(ch)
    return 0xD800 <= o <= 0xDFFF or o in (0xFFFE, 0xFFFF) or 0x202A <= o <= 0x202E or 0x2066 <= o <= 0x2069


_DOT_STRING = re.compile(r'^"(?:[^"\\\n]|\\.)*"$')


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_is_one_dot_string(text: str) -> None:
    quoted = dot_quote(text)
    assert _DOT_STRING.match(quoted)
    unescaped = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), quoted[1:-1])
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    # control characters (but tab and newline) are written visibly, never raw
    expected = "".join(
        f"\\x{ord(ch):02x}" if (ord(ch) < 32 and ch not in "\t\n") or 0x7F <= ord(ch) < 0xA0 else ch for ch in expected
    )
    expected = "".join(f"\\u{ord(ch):04x}" if _hidden(ch) else ch for ch in expected)
    assert unescaped == expected
