"""Exports of the causal graph: GraphML and GEXF (Gephi, yEd, Cytoscape), node-link JSON, DOT and Mermaid.

GraphML, GEXF and JSON go through networkx's own writers; DOT and Mermaid are text written here,
with every label escaped so that any statement (quotes, brackets, newlines, pipes, angle
brackets) survives. Mermaid labels use Mermaid's entity codes (`#quot;`, `#35;`), so a chain pasted
into a Markdown postmortem or a pull request renders as written.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import networkx as nx

from kb.errors import KBError
from kb.graph.results import Chain, ChainNode
from kb.models import Incident
from kb.textsafe import printable

FORMATS = ("graphml", "gexf", "json", "dot", "mermaid")


# --- networkx writers --------------------------------------------------------------------------


def _scalar(value: Any) -> str | int | float | bool:
    """What GraphML/GEXF can store: None becomes "", lists and dicts JSON text, anything else str;
    text with control characters written visibly (XML 1.0 cannot hold most of them at all)."""
    if isinstance(value, str):
        return printable(value.replace("\r\n", "\n").replace("\r", "\n"))
    if isinstance(value, bool | int | float):
        return value
    if value is None:
        return ""
    if isinstance(value, list | tuple | dict | set):
        return printable(
            json.dumps(sorted(value) if isinstance(value, set) else value, ensure_ascii=False, default=str)
        )
    return printable(str(value))


def writable(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy whose attribute values networkx's XML writers accept."""
    out: nx.MultiDiGraph[str | int | float] = nx.MultiDiGraph()
    out.graph.update({k: _scalar(v) for k, v in g.graph.items()})
    out.add_nodes_from((_scalar(n), {k: _scalar(v) for k, v in d.items()}) for n, d in g.nodes(data=True))
    for u, v, k, d in g.edges(keys=True, data=True):  # (u, v, key, data): networkx's stubs know only (u, v, data)
        out.add_edge(_scalar(u), _scalar(v), key=k, **{a: _scalar(x) for a, x in d.items()})
    return out


def to_graphml(g: nx.MultiDiGraph) -> bytes:
    """GraphML with a unique id per edge (e0, e1, ...; the id is the edge key, which is the relation
    name and repeats) and the relation kept as the edge's `label`, which yEd and Gephi show."""
    src = writable(g)
    out: nx.MultiDiGraph[str | int | float] = nx.MultiDiGraph()
    out.graph.update(src.graph)
    out.add_nodes_from(src.nodes(data=True))
    for n, (u, v, k, d) in enumerate(src.edges(keys=True, data=True)):
        out.add_edge(u, v, key=f"e{n}", **{"label": str(k), **d})
    buf = io.BytesIO()
    nx.write_graphml(out, buf, encoding="utf-8")
    return buf.getvalue()


def to_gexf(g: nx.MultiDiGraph) -> bytes:
    buf = io.BytesIO()
    nx.write_gexf(writable(g), buf, encoding="utf-8")
    return buf.getvalue()


def to_json(g: nx.MultiDiGraph) -> str:
    data = nx.node_link_data(g, edges="edges")
    return json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"


# --- DOT ---------------------------------------------------------------------------------------


def dot_quote(text: str) -> str:
    """A DOT double-quoted string; backslashes doubled so Graphviz's `\\N`, `\\G`, `\\l` never fire."""
    body = printable(str(text).replace("\r\n", "\n").replace("\r", "\n")).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + body.replace("\n", "\\n") + '"'


def node_label(node: str, d: dict[str, Any]) -> str:
    """The human label of a graph node, by kind; multi-line for causes (statement, then mode)."""
    kind = d.get("kind")
    if kind == "incident":
        return f"{d.get('label', node)}: {d.get('title', '')}"
    if kind == "cause":
        text = f"{d.get('label', node)}: {d.get('statement', '')}"
        return f"{text}\n{d['mode']}" if d.get("mode") else text
    if kind == "mode":
        return f"{d.get('code', node)}\n{d.get('name', '')}"
    if kind == "project":
        return f"project {d.get('label', node)}"
    return str(d.get("label", node))


_DOT_SHAPES = {"project": "folder", "incident": "box", "cause": "note", "mode": "ellipse"}


def to_dot(g: nx.MultiDiGraph) -> str:
    lines = ["digraph kb {", "  graph [rankdir=TB];", "  node [shape=box];"]
    for n, d in g.nodes(data=True):
        shape = _DOT_SHAPES.get(str(d.get("kind")), "box")
        lines.append(f"  {dot_quote(n)} [label={dot_quote(node_label(n, d))}, shape={shape}];")
    for u, v, k in g.edges(keys=True):
        lines.append(f"  {dot_quote(u)} -> {dot_quote(v)} [label={dot_quote(str(k))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- Mermaid -----------------------------------------------------------------------------------

# Every character that could end a label, open a shape, start an edge label or a comment, or be
# read as markup or an entity, written as a Mermaid entity code instead.
_MERMAID_ENTITIES = {
    '"': "#quot;",
    "#": "#35;",
    "&": "#amp;",
    "<": "#lt;",
    ">": "#gt;",
    "[": "#91;",
    "]": "#93;",
    "(": "#40;",
    ")": "#41;",
    "{": "#123;",
    "}": "#125;",
    "|": "#124;",
    ";": "#59;",
    "`": "#96;",
    "%": "#37;",
    "\\": "#92;",
}
_BREAKERS = {chr(c): " " for c in [*range(32), 0x7F, 0x85, 0x2028, 0x2029] if c != 10}  # no stray line breaks
_BREAK_TABLE = str.maketrans(_BREAKERS)
_MERMAID_TABLE = str.maketrans(_MERMAID_ENTITIES)


def mermaid_label(text: str) -> str:
    """A label body for `id["..."]`: entities for specials, `<br/>` for line breaks, no raw control characters."""
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "<br/>".join(printable(line.translate(_BREAK_TABLE)).translate(_MERMAID_TABLE) for line in lines)


_MERMAID_STYLE = [
    "    classDef trigger stroke:#c0392b,stroke-width:3px",
    "    classDef root stroke:#27ae60,stroke-width:3px",
    "    classDef incident fill:#f4f4f4,stroke:#555",
    "    classDef mode fill:#eef5ff,stroke:#4a78c2",
]


def to_mermaid(g: nx.MultiDiGraph) -> str:
    """The whole graph (or a project's) as a Mermaid flowchart; node ids are generated (n0, n1...)."""
    ids = {n: f"n{i}" for i, n in enumerate(g.nodes)}
    lines = ["flowchart TD"]
    classes: dict[str, list[str]] = {}
    for n, d in g.nodes(data=True):
        lines.append(f'    {ids[n]}["{mermaid_label(node_label(n, d))}"]')
        kind = str(d.get("kind"))
        if kind in ("incident", "mode"):
            classes.setdefault(kind, []).append(ids[n])
        elif kind == "cause" and d.get("trigger"):
            classes.setdefault("trigger", []).append(ids[n])
    for u, v, k in g.edges(keys=True):
        lines.append(f"    {ids[u]} -->|{mermaid_label(str(k))}| {ids[v]}")
    return _finish(lines, classes)


def chain_mermaid(chain_or_incident: Chain | Incident) -> str:
    """An incident's chain as a Mermaid flowchart: incident on top, trigger and causes below, roots at the bottom."""
    if isinstance(chain_or_incident, Incident):
        from kb.graph.chain import chain as make_chain

        ch = make_chain(chain_or_incident)
    else:
        ch = chain_or_incident
    head = f"{ch.incident_id}: {ch.title}" if ch.title else ch.incident_id
    lines = ["flowchart TD", f'    i0["{mermaid_label(head)}"]']
    ids: dict[str, str] = {}
    edges: list[str] = []
    classes: dict[str, list[str]] = {}

    def declare(node: ChainNode) -> str:
        nid = ids.get(node.cause_id)
        if nid is None:
            nid = ids[node.cause_id] = f"c{len(ids)}"
            text = f"{node.cause_id}: {node.statement}" + (f"\n{node.mode}" if node.mode else "")
            lines.append(f'    {nid}["{mermaid_label(text)}"]')
            if node.trigger:
                classes.setdefault("trigger", []).append(nid)
            if node.root:
                classes.setdefault("root", []).append(nid)
        return nid

    def visit(node: ChainNode) -> str:
        nid = declare(node)
        if not node.repeat:
            edges.extend(f"    {nid} -->|because| {declare(child)}" for child in node.children)
            for child in node.children:
                visit(child)
        return nid

    heads = []
    for top in ch.tree:
        nid = visit(top)
        heads.append(f"    i0 -->|trigger| {nid}" if top.trigger else f"    i0 --> {nid}")
    classes["incident"] = ["i0"]
    return _finish(lines + heads + edges, classes)


def _finish(lines: list[str], classes: dict[str, list[str]]) -> str:
    used = [s for s in _MERMAID_STYLE if s.split()[1] in classes]
    lines += used
    lines += [f"    class {','.join(members)} {name}" for name, members in classes.items() if members]
    return "\n".join(lines) + "\n"


# --- dispatch and files ------------------------------------------------------------------------


def render(g: nx.MultiDiGraph, fmt: str) -> str | bytes:
    if fmt == "graphml":
        return to_graphml(g)
    if fmt == "gexf":
        return to_gexf(g)
    if fmt == "json":
        return to_json(g)
    if fmt == "dot":
        return to_dot(g)
    if fmt == "mermaid":
        return to_mermaid(g)
    raise KBError(f"unknown format {fmt!r} (use one of {', '.join(FORMATS)})", "--format")


def write_file(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write where the user asked (atomically: temp file in the same directory, then rename)."""
    from kb.fsio import atomic_write

    target = Path(path).expanduser()
    if not target.parent.is_dir():
        raise KBError(f"directory {str(target.parent)!r} does not exist", "--out")
    if target.is_dir():
        raise KBError(f"{str(target)!r} is a directory; give a file name", "--out")
    return atomic_write(target, data.encode("utf-8") if isinstance(data, str) else data)
