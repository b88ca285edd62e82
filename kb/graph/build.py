"""The causal graph: one `networkx.MultiDiGraph` joining projects, incidents, causes and taxonomy modes.

This table is the one place edge names and directions are defined (docs/graph.md points here).
Every edge's key is its relation name, and its `rel` attribute repeats it (GEXF reserves `type`).

| edge            | from -> to          | meaning                                              | attributes         |
|-----------------|---------------------|------------------------------------------------------|--------------------|
| `has_incident`  | project -> incident | the incident happened to the project                 |                    |
| `caused_by`     | incident -> cause   | its trigger, and each cause no other cause names     | role (see below)   |
| `because`       | cause -> cause      | the first cause happened because of the second       |                    |
| `instance_of`   | cause -> mode       | the cause is an instance of the taxonomy mode        |                    |
| `classified_as` | incident -> mode    | the postmortem classifies the incident as the mode   | role, confidence   |
| `leads_to`      | mode -> mode        | the taxonomy: the first typically causes the second  | source: taxonomy   |

`caused_by` role is `trigger` for the trigger cause, `contributing` for the others.
Arrows point from an effect to what stands behind it (incident -> cause -> deeper cause), except
`has_incident` (owner -> owned) and `leads_to` (the taxonomy's cause -> effect direction).
Every cause is reachable from its incident: a cause no other cause names is a `caused_by` target.

Node ids carry their kind, so a project slug can never collide with a mode code:
`project:<slug>`, `incident:<id>`, `cause:<incident id>/<cause id>`, `mode:<code>`. Every node has
`kind` and `label`; projects add name, owner, stage; incidents add title, project, incident_kind,
severity and `at` (started_at, else detected_at, as stored text, "" if neither); causes add
incident, statement, mode (the current code after taxonomy aliases, "" if none), and three flags
computed once here so the analyses need no traversal: `trigger`, `root` (its `because` is empty)
and `top` (no other cause names it); modes add code, name, category and causal_role (the taxonomy's
causal role: condition, trigger or outcome; a code it does not know counts as a condition).
Attribute values are only str, int and bool, so networkx's GraphML and GEXF writers accept them.

Merged duplicates (incidents.duplicate_of set) are left out of portfolio graphs: the surviving
record speaks for them. The rows come from the store (kb.store.queries.graph: five result sets,
one snapshot); `build_graph` is a pure function of them and adds nodes and edges in bulk; it is
measured against networkx alone in bench/.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

import networkx as nx

from kb.graph.results import Window
from kb.perf import gc_paused
from kb.store.queries import graph as queries
from kb.store.queries.graph import GraphRows as GraphRows  # re-exported: the rows build_graph reads

if TYPE_CHECKING:
    from sqlite_utils import Database

    from kb.taxonomy import Taxonomy

HAS_INCIDENT = "has_incident"
CAUSED_BY = "caused_by"
BECAUSE = "because"
INSTANCE_OF = "instance_of"
CLASSIFIED_AS = "classified_as"
LEADS_TO = "leads_to"

_HAS = {"rel": HAS_INCIDENT}
_BECAUSE = {"rel": BECAUSE}
_INSTANCE = {"rel": INSTANCE_OF}
_LEADS = {"rel": LEADS_TO, "source": "taxonomy"}
_TRIGGER = {"rel": CAUSED_BY, "role": "trigger"}
_CONTRIB = {"rel": CAUSED_BY, "role": "contributing"}


def mode_node(code: str) -> str:
    return f"mode:{code}"


def load_rows(
    db: Database,
    *,
    project: str | None = None,
    incident: str | None = None,
    window: Window | None = None,
) -> GraphRows:
    """The rows of the portfolio, one project or one incident, optionally within a window
    (kb.store.queries.graph.load_rows: `incident` selects exactly that record, even a merged
    duplicate; otherwise duplicates are left out)."""
    start, end = (window.start, window.end) if window is not None else (None, None)
    return queries.load_rows(db.conn, project=project, incident=incident, start=start, end=end)


def resolver(taxonomy: Taxonomy | None) -> Callable[[str], str]:
    """A memoised code -> current code (aliases followed; unknown codes kept as written)."""
    cache: dict[str, str] = {}
    aliases = taxonomy.alias_map if taxonomy is not None else {}
    live = taxonomy.modes if taxonomy is not None else {}

    def resolve(code: str) -> str:
        hit = cache.get(code)
        if hit is None:
            hit = code
            if code not in live and code in aliases and taxonomy is not None:
                hit = taxonomy.resolve(code) or code
            cache[code] = hit
        return hit

    return resolve


def build_graph(rows: GraphRows, taxonomy: Taxonomy | None = None, *, all_modes: bool = True) -> nx.MultiDiGraph:
    """Turn rows into the graph. `all_modes` adds every taxonomy mode and `leads_to` edge;
    otherwise only the modes the incidents touch, and `leads_to` edges between those."""
    resolve = resolver(taxonomy)
    g: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    g.add_nodes_from(
        (f"project:{slug}", {"kind": "project", "label": slug, "name": name, "owner": owner, "stage": stage})
        for slug, name, owner, stage in rows.projects
    )
    g.add_nodes_from(
        (
            f"incident:{iid}",
            {
                "kind": "incident",
                "label": iid,
                "title": title,
                "project": proj,
                "incident_kind": kind,
                "severity": sev,
                "at": at,
            },
        )
        for iid, proj, title, kind, sev, at in rows.incidents
    )
    _add_keyed(g, ((f"project:{proj}", f"incident:{iid}", HAS_INCIDENT, _HAS) for iid, proj, *_ in rows.incidents))

    named = {f"cause:{inc}/{b}" for inc, _c, b in rows.links}
    explained = {f"cause:{inc}/{c}" for inc, c, _b in rows.links}
    touched: set[str] = set()
    cause_nodes: list[tuple[str, dict[str, Any]]] = []
    caused_by: list[tuple[str, str, str, dict[str, str]]] = []
    instance_of: list[tuple[str, str, str, dict[str, str]]] = []
    for inc, cid, statement, mode, is_trigger in rows.causes:
        node = f"cause:{inc}/{cid}"
        code = resolve(mode) if mode else ""
        top = node not in named
        trigger = bool(is_trigger)
        cause_nodes.append(
            (
                node,
                {
                    "kind": "cause",
                    "label": cid,
                    "incident": inc,
                    "statement": statement,
                    "mode": code,
                    "trigger": trigger,
                    "root": node not in explained,
                    "top": top,
                },
            )
        )
        if trigger or top:
            caused_by.append((f"incident:{inc}", node, CAUSED_BY, _TRIGGER if trigger else _CONTRIB))
        if code:
            touched.add(code)
            instance_of.append((node, f"mode:{code}", INSTANCE_OF, _INSTANCE))
    classified: list[tuple[str, str, str, dict[str, str]]] = []
    for inc, raw, role, confidence in rows.classifications:
        code = resolve(raw)
        touched.add(code)
        attrs = {"rel": CLASSIFIED_AS, "role": role, "confidence": confidence}
        classified.append((f"incident:{inc}", f"mode:{code}", CLASSIFIED_AS, attrs))

    _add_modes(g, taxonomy, touched, all_modes)
    g.add_nodes_from(cause_nodes)
    _add_keyed(g, caused_by)
    _add_keyed(g, ((f"cause:{inc}/{c}", f"cause:{inc}/{b}", BECAUSE, _BECAUSE) for inc, c, b in rows.links))
    _add_keyed(g, instance_of)
    _add_keyed(g, classified)
    return g


def _add_keyed(g: nx.MultiDiGraph[str], edges: Iterable[tuple[str, str, str, dict[str, str]]]) -> None:
    """Add (u, v, key, attributes) edges in bulk; networkx takes them, its type stubs know only (u, v, data)."""
    g.add_edges_from(cast("Iterable[Any]", edges))


def _add_modes(g: nx.MultiDiGraph, taxonomy: Taxonomy | None, touched: Iterable[str], all_modes: bool) -> None:
    modes = taxonomy.modes if taxonomy is not None else {}
    wanted = set(touched)
    codes = list(modes) if all_modes else [c for c in modes if c in wanted]
    codes += sorted(wanted.difference(modes))
    keep = set(codes)
    g.add_nodes_from(
        (
            f"mode:{code}",
            {
                "kind": "mode",
                "label": code,
                "code": code,
                "name": modes[code].name if code in modes else code,
                "category": modes[code].category if code in modes else code.split(".", 1)[0],
                "causal_role": _causal_role(modes.get(code)),
            },
        )
        for code in codes
    )
    if taxonomy is not None:
        _add_keyed(
            g,
            (
                (f"mode:{a}", f"mode:{b}", LEADS_TO, _LEADS)
                for a, b in taxonomy.leads_to_edges()
                if a in keep and b in keep
            ),
        )


def _causal_role(mode: object) -> str:
    """A mode's causal role; a code the taxonomy does not know (or gives none) counts as a condition."""
    return str(getattr(mode, "causal_role", None) or "condition")


def build_graph_from_db(
    db: Database,
    taxonomy: Taxonomy | None = None,
    *,
    project: str | None = None,
    incident: str | None = None,
    window: Window | None = None,
) -> nx.MultiDiGraph:
    """The graph of the whole portfolio, one project, or one incident, optionally within a time window.

    A portfolio graph carries every taxonomy mode; a project or incident graph only the modes it touches.
    """
    with gc_paused():
        rows = load_rows(db, project=project, incident=incident, window=window)
        return build_graph(rows, taxonomy, all_modes=project is None and incident is None)
