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
record speaks for them. Building reads five result sets with plain SQL and adds nodes and edges
in bulk; it is measured against networkx alone in bench/.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx
from sqlite_utils import Database

from kb.errors import NotFound
from kb.graph.results import Window
from kb.graph.window import window_sql
from kb.perf import gc_paused
from kb.store.retry import read_snapshot

if TYPE_CHECKING:
    from kb.taxonomy import Taxonomy

HAS_INCIDENT = "has_incident"
CAUSED_BY = "caused_by"
BECAUSE = "because"
INSTANCE_OF = "instance_of"
CLASSIFIED_AS = "classified_as"
LEADS_TO = "leads_to"
EDGE_TYPES = (HAS_INCIDENT, CAUSED_BY, BECAUSE, INSTANCE_OF, CLASSIFIED_AS, LEADS_TO)

_HAS = {"rel": HAS_INCIDENT}
_BECAUSE = {"rel": BECAUSE}
_INSTANCE = {"rel": INSTANCE_OF}
_LEADS = {"rel": LEADS_TO, "source": "taxonomy"}
_TRIGGER = {"rel": CAUSED_BY, "role": "trigger"}
_CONTRIB = {"rel": CAUSED_BY, "role": "contributing"}


def project_node(slug: str) -> str:
    return f"project:{slug}"


def incident_node(incident_id: str) -> str:
    return f"incident:{incident_id}"


def cause_node(incident_id: str, cause_id: str) -> str:
    return f"cause:{incident_id}/{cause_id}"


def mode_node(code: str) -> str:
    return f"mode:{code}"


@dataclass
class GraphRows:
    """The raw rows a graph is built from, as plain tuples straight from SQLite."""

    projects: list[tuple[str, str, str, str]] = field(default_factory=list)  # slug, name, owner, stage
    incidents: list[tuple[str, str, str, str, int, str]] = field(default_factory=list)
    # ^ id, project, title, kind, severity, at
    causes: list[tuple[str, str, str, str | None, int]] = field(default_factory=list)
    # ^ incident_id, cause_id, statement, mode, is_trigger
    links: list[tuple[str, str, str]] = field(default_factory=list)  # incident_id, cause_id, because_id
    classifications: list[tuple[str, str, str, str]] = field(default_factory=list)
    # ^ incident_id, code, role, confidence


def load_rows(
    db: Database,
    *,
    project: str | None = None,
    incident: str | None = None,
    window: Window | None = None,
) -> GraphRows:
    """Read everything the graph needs in five queries, whatever the number of incidents.

    `incident` selects exactly that record (even a merged duplicate); otherwise duplicates are
    left out and `project` and `window` narrow the set.
    """
    with read_snapshot(db):  # five queries, one state of the store
        return _load_rows(db, project, incident, window)


def _load_rows(db: Database, project: str | None, incident: str | None, window: Window | None) -> GraphRows:
    where, params = _incident_filter(db, project, incident, window)
    conn = db.conn
    rows = GraphRows()
    inc_sql = (
        "SELECT id, project, title, kind, severity, coalesce(started_at, detected_at, '') FROM incidents"
        f" WHERE {where} ORDER BY id"
    )
    rows.incidents = conn.execute(inc_sql, params).fetchall()
    if project is None and incident is None:
        rows.projects = conn.execute("SELECT slug, name, owner, stage FROM projects ORDER BY slug").fetchall()
    else:
        slugs = sorted({r[1] for r in rows.incidents} | ({project} if project else set()))
        rows.projects = conn.execute(
            "SELECT slug, name, owner, stage FROM projects WHERE slug IN (SELECT value FROM json_each(?)) "
            "ORDER BY slug",
            [json.dumps(slugs)],
        ).fetchall()
    # the incidents just read, by id: each child table is searched by its incident_id index
    scope = " WHERE incident_id IN (SELECT value FROM json_each(?))"
    ids = [json.dumps([r[0] for r in rows.incidents])]
    rows.causes = conn.execute(
        f"SELECT incident_id, cause_id, statement, mode, is_trigger FROM causes{scope}", ids
    ).fetchall()
    rows.links = conn.execute(
        f"SELECT incident_id, cause_id, because_id FROM cause_links{scope} ORDER BY incident_id, cause_id, pos", ids
    ).fetchall()
    rows.classifications = conn.execute(
        f"SELECT incident_id, code, role, confidence FROM classifications{scope} ORDER BY incident_id, pos", ids
    ).fetchall()
    return rows


def _incident_filter(
    db: Database, project: str | None, incident: str | None, window: Window | None
) -> tuple[str, list[Any]]:
    if incident is not None:
        if db.execute("SELECT 1 FROM incidents WHERE id = ?", [incident]).fetchone() is None:
            raise NotFound(f"no incident {incident!r}", where="incident")
        return "id = ?", [incident]
    # `+`: not through the duplicate_of index, which nearly every row matches (a plain scan, or the
    # window's started_at index, is faster)
    parts, params = ["+duplicate_of IS NULL"], []
    if project is not None:
        if db.execute("SELECT 1 FROM projects WHERE slug = ?", [project]).fetchone() is None:
            raise NotFound(f"no project {project!r}", where="project")
        parts.append("project = ?")
        params.append(project)
    clause, wparams = window_sql(window)
    if clause:
        parts.append(clause)
        params.extend(wparams)
    return " AND ".join(parts), params


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
    g = nx.MultiDiGraph()
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
    g.add_edges_from(
        (f"project:{proj}", f"incident:{iid}", HAS_INCIDENT, _HAS) for iid, proj, _t, _k, _s, _a in rows.incidents
    )

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
    g.add_edges_from(caused_by)
    g.add_edges_from((f"cause:{inc}/{c}", f"cause:{inc}/{b}", BECAUSE, _BECAUSE) for inc, c, b in rows.links)
    g.add_edges_from(instance_of)
    g.add_edges_from(classified)
    return g


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
        g.add_edges_from(
            (f"mode:{a}", f"mode:{b}", LEADS_TO, _LEADS)
            for a, b in taxonomy.leads_to_edges()
            if a in keep and b in keep
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
