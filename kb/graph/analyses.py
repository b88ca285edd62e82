"""Portfolio analyses over the causal graph (kb.graph.build): each a plain function returning pydantic results.

Every analysis reads the graph's node attributes and typed edges only, so it works the same on a
graph of the whole portfolio, of one project, or of one time window (the window is applied when the
graph is built).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

import networkx as nx

from kb.graph.build import BECAUSE, CLASSIFIED_AS, LEADS_TO, mode_node
from kb.graph.chain import cause_paths, lift, starts_of
from kb.graph.results import Keystone, RecurringChain, RootCauseItem, RootCauseReport, Similar, WhySuggestion, Window


def severity_weight(severity: int) -> int:
    """Severity 1 is the worst of 1..5, so an incident weighs 6 - severity: 5 for a sev-1, 1 for a sev-5."""
    return 6 - severity


def mode_name(g: nx.MultiDiGraph, code: str) -> str:
    data = g.nodes.get(mode_node(code))
    return str(data["name"]) if data else code


@dataclass
class IncidentCauses:
    """One incident's causes as the graph holds them, keyed by cause node id, in the incident's order."""

    order: list[str] = field(default_factory=list)
    because: dict[str, list[str]] = field(default_factory=dict)
    modes: dict[str, str] = field(default_factory=dict)
    trigger: str | None = None


def incident_causes(g: nx.MultiDiGraph) -> dict[str, IncidentCauses]:
    """Group cause nodes by incident id, with their `because` links; one pass over the causes."""
    out: dict[str, IncidentCauses] = {}
    succ = g.succ
    for n, d in g.nodes(data=True):
        if d.get("kind") != "cause":
            continue
        rec = out.get(d["incident"])
        if rec is None:
            rec = out[d["incident"]] = IncidentCauses()
        rec.order.append(n)
        rec.because[n] = [v for v, keys in succ[n].items() if BECAUSE in keys]
        if d["mode"]:
            rec.modes[n] = d["mode"]
        if d["trigger"]:
            rec.trigger = n
    return out


def incident_ids(g: nx.MultiDiGraph) -> dict[str, str]:
    """Incident node id -> incident id, for every incident in the graph."""
    return {n: d["label"] for n, d in g.nodes(data=True) if d.get("kind") == "incident"}


# --- root causes -------------------------------------------------------------------------------


def upstream_modes(g: nx.MultiDiGraph) -> dict[str, set[str]]:
    """Incident id -> the taxonomy modes that sit upstream of it.

    A mode sits upstream of an incident when any of these holds:
    - it is the mode of one of the incident's root causes (a cause whose `because` is empty);
    - it is the mode of a cause another cause names in `because` (reached through a because chain);
    - the incident is classified as it (any role or confidence: the author judged it at work).
    The trigger cause never counts by itself: it is the proximate event, not an underlying cause (its
    mode still counts if a classification or another counted cause carries it). A top-level cause
    that has causes of its own but that nothing names (a consequence written as a cause) does not
    count either. Codes are current codes (aliases resolved when the graph was built). Each incident
    counts once per mode, however many causes carry it.
    """
    up: dict[str, set[str]] = {iid: set() for iid in incident_ids(g).values()}
    nodes = g.nodes
    for n, d in nodes(data=True):
        kind = d.get("kind")
        if kind == "cause":
            if d["mode"] and not d["trigger"] and (d["root"] or not d["top"]):
                up.setdefault(d["incident"], set()).add(d["mode"])
        elif kind == "incident":
            mine = up[d["label"]]
            for v, keys in g.succ[n].items():
                if CLASSIFIED_AS in keys:
                    mine.add(nodes[v]["code"])
    return up


def root_causes(g: nx.MultiDiGraph, window: Window | None = None) -> RootCauseReport:
    """Rank modes by the severity-weighted number of incidents they sit upstream of (see `upstream_modes`).

    weight(mode) = sum of `severity_weight` over the incidents it sits upstream of;
    share(mode) = weight(mode) / the total weight of every incident in the graph, so a share is the
    severity-weighted fraction of incidents the mode stands behind (shares overlap: they need not
    sum to 1). Ranked by weight, then incident count, then code.
    """
    severity = {d["label"]: int(d["severity"]) for _, d in g.nodes(data=True) if d.get("kind") == "incident"}
    total = float(sum(severity_weight(s) for s in severity.values()))
    behind: dict[str, list[str]] = defaultdict(list)
    for iid, codes in upstream_modes(g).items():
        for code in codes:
            behind[code].append(iid)
    items = []
    for code, ids in behind.items():
        weight = float(sum(severity_weight(severity[i]) for i in ids))
        items.append(
            RootCauseItem(
                code=code,
                name=mode_name(g, code),
                incidents=len(ids),
                weight=weight,
                share=weight / total if total else 0.0,
                incident_ids=sorted(ids),
            )
        )
    items.sort(key=lambda it: (-it.weight, -it.incidents, it.code))
    return RootCauseReport(window=window or Window(), total_incidents=len(severity), total_weight=total, items=items)


# --- keystones ---------------------------------------------------------------------------------


def keystones(g: nx.MultiDiGraph, limit: int = 10, causes: dict[str, IncidentCauses] | None = None) -> list[Keystone]:
    """Modes whose removal would cut the most incidents off from their root causes.

    Measure: dominance (networkx.immediate_dominators). For each incident, its causes are lifted to
    modes (a cause without a mode stays its own node; a link between two causes of one mode is
    dropped) under a source node standing for the incident, linked to the chain's starts (the
    trigger and the causes nothing names). A mode m strictly dominates a root mode r when every
    path from the incident to r passes through m: prevent m and r no longer reaches the incident.
      score(m)     = sum over incidents of (root modes m strictly dominates) / (root modes of the incident)
      incidents(m) = the number of incidents where m strictly dominates at least one root mode
    So a score of 2.5 means "removing m cuts off two and a half incidents' worth of roots".

    Why not betweenness on the mode graph: it counts shortest paths between every pair of modes
    across incidents, so a mode that merely joins two unrelated incidents' chains scores, and
    shortest paths ignore the longer chains a postmortem actually records. Dominance answers the
    question asked, per incident, and is exact on these small chains.

    `causes` is `incident_causes(g)` when the caller already has it.
    """
    score: dict[str, Fraction] = defaultdict(Fraction)  # exact sums; floats only in the result
    hits: Counter[str] = Counter()
    # Many incidents share one chain shape (the same modes linked the same way): the dominators of a
    # shape are computed once. A cause without a mode is named by its id inside its incident only.
    done: dict[tuple[frozenset[tuple[str, str]], frozenset[str]], tuple[Counter[str], int]] = {}
    for iid, rec in (incident_causes(g) if causes is None else causes).items():
        cut_at = len(f"cause:{iid}/")
        lifted = {c: (mode_node(rec.modes[c]) if c in rec.modes else "cause:" + c[cut_at:]) for c in rec.order}
        edges = {(SOURCE, lifted[s]) for s in starts_of(rec.order, rec.because, rec.trigger)}
        edges.update((lifted[c], lifted[b]) for c in rec.order for b in rec.because[c] if lifted[c] != lifted[b])
        roots = frozenset(lifted[c] for c in rec.order if not rec.because[c])
        shape = (frozenset(edges), roots)
        found = done.get(shape)
        if found is None:
            found = done[shape] = (_cut(edges, roots), len(roots))
        cut, n_roots = found
        for node, n in cut.items():
            code = g.nodes[node]["code"]
            score[code] += Fraction(n, n_roots)
            hits[code] += 1
    ranked = sorted(score, key=lambda c: (-score[c], -hits[c], c))[:limit]
    return [Keystone(code=c, name=mode_name(g, c), score=float(score[c]), incidents=hits[c]) for c in ranked]


SOURCE = "incident:"  # the incident a chain shape hangs from, in `keystones`


def _cut(edges: Iterable[tuple[str, str]], roots: Iterable[str]) -> Counter[str]:
    """For one chain shape: how many of its roots each mode strictly dominates (seen from SOURCE)."""
    dag = nx.DiGraph()
    dag.add_node(SOURCE)
    dag.add_edges_from(edges)
    idom = nx.immediate_dominators(dag, SOURCE)
    cut: Counter[str] = Counter()
    for r in roots:
        x = idom.get(r, SOURCE)
        while x != SOURCE:
            if x.startswith("mode:"):
                cut[x] += 1
            x = idom[x]
    return cut


# --- recurring chains --------------------------------------------------------------------------


def recurring_chains(
    g: nx.MultiDiGraph, min_count: int = 2, causes: dict[str, IncidentCauses] | None = None
) -> list[RecurringChain]:
    """Mode-level chains (A -> B -> C, read "A because B because C") found in at least `min_count` incidents.

    Each incident contributes every contiguous run of two or more modes along its chain's mode paths
    (Chain.mode_paths), once per incident however often it occurs there. A chain is dropped when a
    longer reported chain contains it and was seen in exactly the same incidents (it adds nothing).
    Ranked by count, then length (longer first), then the modes. `causes` as in `keystones`.
    """
    seen: dict[tuple[str, ...], set[str]] = defaultdict(set)
    done: dict[tuple[tuple[str, tuple[str, ...], str, bool], ...], set[tuple[str, ...]]] = {}
    for iid, rec in (incident_causes(g) if causes is None else causes).items():
        # incidents with the same chain shape (cause ids, links, modes, trigger) have the same runs
        cut_at = len(f"cause:{iid}/")
        shape = tuple(
            (c[cut_at:], tuple(b[cut_at:] for b in rec.because[c]), rec.modes.get(c, ""), c == rec.trigger)
            for c in rec.order
        )
        runs = done.get(shape) if len(rec.order) > 1 else set()
        if runs is None:
            runs = done[shape] = _runs(rec)
        for run in runs:
            seen[run].add(iid)
    kept = {run: ids for run, ids in seen.items() if len(ids) >= min_count}
    # If a longer run holds `run` with the same incidents, so does the run one mode longer on the
    # way to it (incident sets only shrink as runs grow), so one-step extensions are enough to look at.
    subsumed = {
        shorter
        for run, ids in kept.items()
        if len(run) > 2
        for shorter in (run[1:], run[:-1])
        if kept.get(shorter) == ids
    }
    out = [
        RecurringChain(modes=list(run), count=len(ids), incident_ids=sorted(ids))
        for run, ids in kept.items()
        if run not in subsumed
    ]
    out.sort(key=lambda r: (-r.count, -len(r.modes), r.modes))
    return out


def _runs(rec: IncidentCauses) -> set[tuple[str, ...]]:
    paths, _ = cause_paths(rec.order, rec.because, rec.trigger)
    runs: set[tuple[str, ...]] = set()
    for path in paths:
        modes = lift(path, rec.modes)
        for i in range(len(modes)):
            for j in range(i + 2, len(modes) + 1):
                runs.add(tuple(modes[i:j]))
    return runs


# --- similar incidents -------------------------------------------------------------------------


def mode_weights(g: nx.MultiDiGraph) -> dict[str, Counter[str]]:
    """Incident id -> how many times each mode appears in it: one per cause of that mode, one if classified."""
    out: dict[str, Counter[str]] = {iid: Counter() for iid in incident_ids(g).values()}
    nodes = g.nodes
    for n, d in nodes(data=True):
        kind = d.get("kind")
        if kind == "cause" and d["mode"]:
            out.setdefault(d["incident"], Counter())[d["mode"]] += 1
        elif kind == "incident":
            for v, keys in g.succ[n].items():
                if CLASSIFIED_AS in keys:
                    out[d["label"]][nodes[v]["code"]] += 1
    return out


def similar(g: nx.MultiDiGraph, incident_id: str, limit: int = 10) -> list[Similar]:
    """Other incidents ranked by weighted Jaccard similarity of their mode weights (`mode_weights`).

    score(a, b) = sum over modes of min(w_a, w_b) / sum over modes of max(w_a, w_b), in [0, 1];
    a mode that runs through many causes of both incidents counts for more than one named in passing.
    Incidents sharing no mode are left out; ties go to the lower id.
    """
    weights = mode_weights(g)
    mine = weights.get(incident_id, Counter())
    index: dict[str, set[str]] = defaultdict(set)
    for iid, w in weights.items():
        for code in w:
            index[code].add(iid)
    candidates = set().union(*(index[c] for c in mine)) - {incident_id} if mine else set()
    titles = {d["label"]: d["title"] for _, d in g.nodes(data=True) if d.get("kind") == "incident"}
    out = []
    for other in candidates:
        theirs = weights[other]
        keys = mine.keys() | theirs.keys()
        num = sum(min(mine[k], theirs[k]) for k in keys)
        den = sum(max(mine[k], theirs[k]) for k in keys)
        out.append(
            Similar(
                incident_id=other,
                title=titles.get(other, ""),
                score=num / den,
                shared_modes=sorted(mine.keys() & theirs.keys()),
            )
        )
    out.sort(key=lambda s: (-s.score, s.incident_id))
    return out[:limit]


# --- why-suggestions ---------------------------------------------------------------------------


def why(g: nx.MultiDiGraph, codes: Iterable[str], limit: int = 10) -> list[WhySuggestion]:
    """Upstream modes to ask about for an incident classified with `codes` (current codes).

    A chosen mode appears in a past incident as the mode of a cause (then every cause down that
    cause's `because` chain stands behind it) or, when no cause carries it, only as a classification
    of the incident (then every cause of that incident stands behind it: the chain is the
    incident's own explanation).
    from_incidents: past incidents in which a cause of the mode stands behind a chosen mode; each
    incident counts once. from_taxonomy: the taxonomy has a `leads_to` edge from the mode to one of
    `codes`. evidence = from_incidents + the number of `codes` the mode leads to in the taxonomy.
    The chosen codes themselves are never suggested. Ranked by evidence, then from_incidents, then code.
    """
    chosen = set(codes)
    classified = _classifications(g)
    from_incidents: Counter[str] = Counter()
    for iid, rec in incident_causes(g).items():
        carried = {rec.modes[c] for c in rec.order if c in rec.modes}
        if classified.get(iid, set()) & (chosen - carried):
            behind = set(rec.order)
        else:
            seeds = [c for c in rec.order if rec.modes.get(c) in chosen]
            if not seeds:
                continue
            dag = nx.DiGraph()
            dag.add_nodes_from(rec.order)
            dag.add_edges_from((c, b) for c in rec.order for b in rec.because[c])
            behind = set().union(*(nx.descendants(dag, s) for s in seeds))
        from_incidents.update({rec.modes[c] for c in behind if c in rec.modes} - chosen)
    taxonomy_links: Counter[str] = Counter()
    for code in chosen:
        node = mode_node(code)
        if node in g:
            for u, keys in g.pred[node].items():
                if LEADS_TO in keys and g.nodes[u]["code"] not in chosen:
                    taxonomy_links[g.nodes[u]["code"]] += 1
    suggestions = [
        WhySuggestion(
            code=code,
            name=mode_name(g, code),
            evidence=from_incidents[code] + taxonomy_links[code],
            from_incidents=from_incidents[code],
            from_taxonomy=taxonomy_links[code] > 0,
        )
        for code in from_incidents.keys() | taxonomy_links.keys()
    ]
    suggestions.sort(key=lambda s: (-s.evidence, -s.from_incidents, s.code))
    return suggestions[:limit]


def _classifications(g: nx.MultiDiGraph) -> dict[str, set[str]]:
    """Incident id -> the codes it is classified as."""
    out: dict[str, set[str]] = {}
    for n, d in g.nodes(data=True):
        if d.get("kind") == "incident":
            out[d["label"]] = {g.nodes[v]["code"] for v, keys in g.succ[n].items() if CLASSIFIED_AS in keys}
    return out


# --- cycles ------------------------------------------------------------------------------------


def mode_graph(g: nx.MultiDiGraph) -> nx.DiGraph:
    """`because` links lifted to modes across incidents (A -> B: a cause of A happened because of a cause of B).

    Links between two causes of the same mode, and causes without a mode, are left out.
    """
    lifted = nx.DiGraph()
    nodes = g.nodes
    for n, d in nodes(data=True):
        if d.get("kind") != "cause" or not d["mode"]:
            continue
        for v, keys in g.succ[n].items():
            if BECAUSE in keys:
                other = nodes[v]["mode"]
                if other and other != d["mode"]:
                    lifted.add_edge(d["mode"], other)
    return lifted


def mode_cycles(g: nx.MultiDiGraph, max_length: int = 6) -> list[list[str]]:
    """Vicious circles: cycles of at most `max_length` modes in `mode_graph` (networkx.simple_cycles).

    One incident's causes never form a cycle (kb.models.Incident rejects that), but lifted to modes
    a cycle appears when incidents disagree on direction (A because B here, B because A there) or
    one chain passes through a mode twice. Each cycle starts at its smallest code; shorter first.
    """
    out = []
    for cycle in nx.simple_cycles(mode_graph(g), length_bound=max_length):
        i = cycle.index(min(cycle))
        out.append(cycle[i:] + cycle[:i])
    out.sort(key=lambda c: (len(c), c))
    return out
