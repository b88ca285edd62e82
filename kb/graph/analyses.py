"""Portfolio analyses over the causal graph (kb.graph.build): each a plain function returning pydantic results.

Every analysis reads the graph's node attributes and typed edges only, so it works the same on a
graph of the whole portfolio, of one project, or of one time window (the window is applied when the
graph is built). Root causes, keystones and recurring chains need only a few facts per incident
(`IncidentFacts`): their logic lives in `rank_root_causes`, `rank_keystones` and
`find_recurring_chains`, which the graph-based functions call after reading the facts off the
graph, and kb.graph.patterns after reading them straight from the store's rows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import partial
from itertools import chain as concat
from operator import itemgetter
from typing import Protocol, TypeVar

import networkx as nx

from kb.graph.build import BECAUSE, CLASSIFIED_AS, LEADS_TO, mode_node
from kb.graph.chain import cause_paths, lift, starts_of
from kb.graph.results import (
    Keystone,
    KeystoneCut,
    RecurringChain,
    RootCauseItem,
    RootCauseReport,
    Similar,
    WhySuggestion,
    Window,
)
from kb.perf import gc_paused


def severity_weight(severity: int) -> int:
    """Severity 1 is the worst of 1..5, so an incident weighs 6 - severity: 5 for a sev-1, 1 for a sev-5."""
    return 6 - severity


def mode_name(g: nx.MultiDiGraph, code: str) -> str:
    data = g.nodes.get(mode_node(code))
    return str(data["name"]) if data else code


# the causal roles of a mode the analyses rank by (kb.taxonomy: condition, trigger or outcome)
CONDITION, TRIGGER = "condition", "trigger"
Roles = Callable[[str], str]


def mode_role(g: nx.MultiDiGraph, code: str) -> str:
    """The role the graph's mode node carries; a code the taxonomy does not know counts as a condition."""
    data = g.nodes.get(mode_node(code))
    return str(data.get("causal_role") or CONDITION) if data else CONDITION


def all_conditions(code: str) -> str:
    """The role of every mode when no taxonomy says otherwise."""
    return CONDITION


@dataclass
class IncidentCauses:
    """One incident's causes as the graph holds them, keyed by cause node id, in the incident's order."""

    order: list[str] = field(default_factory=list)
    because: dict[str, list[str]] = field(default_factory=dict)
    modes: dict[str, str] = field(default_factory=dict)
    trigger: str | None = None


@dataclass
class IncidentFacts:
    """All that root causes, keystones and recurring chains read of one incident.

    Built from a graph (`incident_facts`) or straight from the store's rows
    (kb.graph.patterns.incident_facts_from_rows), so both paths feed the same analysis code.
    `classified`: current codes it is classified as, in order, each once.
    """

    severity: int
    causes: IncidentCauses = field(default_factory=IncidentCauses)
    classified: list[str] = field(default_factory=list)


def incident_causes(g: nx.MultiDiGraph) -> dict[str, IncidentCauses]:
    """Group cause nodes by incident id, with their `because` links (incidents without causes left out)."""
    return _read(g)[1]


def incident_facts(g: nx.MultiDiGraph) -> dict[str, IncidentFacts]:
    """Incident id -> its facts, for every incident in the graph, in the graph's order."""
    return _read(g)[0]


def _read(g: nx.MultiDiGraph) -> tuple[dict[str, IncidentFacts], dict[str, IncidentCauses]]:
    """Facts by incident (graph order) and causes by incident (order of their first cause), sharing records.

    One pass over the nodes and one over all edges (`g.edges` in bulk is several times faster than
    each node's successors, and lists a node's edges in the same order).
    """
    nodes = g.nodes
    facts: dict[str, IncidentFacts] = {}
    causes: dict[str, IncidentCauses] = {}
    because_of: dict[str, list[str]] = {}
    classified_of: dict[str, list[str]] = {}
    with gc_paused():
        for n, d in nodes(data=True):
            kind = d.get("kind")
            if kind == "incident":
                iid = d["label"]
                found = facts[iid] = IncidentFacts(int(d["severity"]), causes.get(iid) or IncidentCauses())
                classified_of[n] = found.classified
            elif kind == "cause":
                inc = d["incident"]
                rec = causes.get(inc)
                if rec is None:
                    owner = facts.get(inc)
                    rec = causes[inc] = owner.causes if owner is not None else IncidentCauses()
                rec.order.append(n)
                because_of[n] = rec.because[n] = []
                if d["mode"]:
                    rec.modes[n] = d["mode"]
                if d["trigger"]:
                    rec.trigger = n
        for u, v, key in g.edges(keys=True):
            if key == BECAUSE:
                because_of[u].append(v)
            elif key == CLASSIFIED_AS:
                classified_of[u].append(nodes[v]["code"])
    return facts, causes


def incident_ids(g: nx.MultiDiGraph) -> dict[str, str]:
    """Incident node id -> incident id, for every incident in the graph."""
    return {n: d["label"] for n, d in g.nodes(data=True) if d.get("kind") == "incident"}


# --- root causes and triggers -----------------------------------------------------------------

ROOT_CAUSES_COUNT = (
    "counts the deepest standing conditions in each incident's chains (never a trigger or an outcome), "
    "weighted by severity (6 - severity)"
)
TRIGGERS_COUNT = (
    "counts the events that set each incident off (its trigger cause, trigger-role modes), weighted by severity"
)


def root_conditions(facts: IncidentFacts, role: Roles) -> set[str]:
    """The deepest conditions in one incident's chains: the root causes a team can act on.

    A cause counts when its mode's causal role is `condition` and no cause below it (through
    `because`, however deep) carries a condition: a trigger or an outcome written at the bottom of
    a chain is never a root cause, and a condition above another condition is not the deepest.
    When no cause of the incident carries a condition, its classified conditions stand in (the
    postmortem's own judgement, with no chain to place them). Codes are current codes; each once.
    """
    rec = facts.causes
    cond = {c for c, code in rec.modes.items() if role(code) == CONDITION}
    if not cond:
        return {code for code in facts.classified if role(code) == CONDITION}
    below: dict[str, bool] = {}  # cause -> a condition lies somewhere below it

    def has_condition_below(c: str) -> bool:
        hit = below.get(c)
        if hit is None:
            below[c] = False  # chains are acyclic (kb.models); this only guards against a bad row
            hit = below[c] = any(b in cond or has_condition_below(b) for b in rec.because.get(c, ()))
        return hit

    return {rec.modes[c] for c in cond if not has_condition_below(c)}


def trigger_modes(facts: IncidentFacts, role: Roles) -> set[str]:
    """What set one incident off: the mode of its trigger cause, and any cause or classification whose
    mode's role is `trigger`."""
    rec = facts.causes
    out = {code for code in rec.modes.values() if role(code) == TRIGGER}
    out.update(code for code in facts.classified if role(code) == TRIGGER)
    if rec.trigger is not None and rec.trigger in rec.modes:
        out.add(rec.modes[rec.trigger])
    return out


def root_causes(g: nx.MultiDiGraph, window: Window | None = None) -> RootCauseReport:
    """Root causes of the incidents in the graph (see `rank_root_causes`)."""
    return rank_root_causes(incident_facts(g), partial(mode_name, g), window, partial(mode_role, g))


def triggers(g: nx.MultiDiGraph, window: Window | None = None) -> RootCauseReport:
    """Triggers of the incidents in the graph (see `rank_triggers`)."""
    return rank_triggers(incident_facts(g), partial(mode_name, g), window, partial(mode_role, g))


def rank_root_causes(
    incidents: Mapping[str, IncidentFacts],
    name: Callable[[str], str],
    window: Window | None = None,
    role: Roles = all_conditions,
) -> RootCauseReport:
    """Rank modes by the severity-weighted number of incidents whose deepest conditions they are
    (`root_conditions`); see `rank_picked` for weight and share."""
    return rank_picked(incidents, lambda f: root_conditions(f, role), name, window, ROOT_CAUSES_COUNT)


def rank_triggers(
    incidents: Mapping[str, IncidentFacts],
    name: Callable[[str], str],
    window: Window | None = None,
    role: Roles = all_conditions,
) -> RootCauseReport:
    """Rank modes by the severity-weighted number of incidents they set off (`trigger_modes`)."""
    return rank_picked(incidents, lambda f: trigger_modes(f, role), name, window, TRIGGERS_COUNT)


class Weighed(Protocol):
    """What a ranking needs of an incident besides what `pick` reads: its severity."""

    @property
    def severity(self) -> int: ...


W = TypeVar("W", bound=Weighed)


def rank_picked(
    incidents: Mapping[str, W],
    pick: Callable[[W], set[str]],
    name: Callable[[str], str],
    window: Window | None,
    counts: str,
) -> RootCauseReport:
    """`rank_groups` with each incident a group of its own."""
    return rank_groups(
        (([iid], severity_weight(facts.severity), pick(facts)) for iid, facts in incidents.items()),
        name,
        window,
        counts,
    )


def rank_groups(
    groups: Iterable[tuple[Sequence[str], int, set[str]]],
    name: Callable[[str], str],
    window: Window | None,
    counts: str,
) -> RootCauseReport:
    """weight(mode) = sum of `severity_weight` over the incidents it is picked in;
    share(mode) = weight(mode) / the total weight of every incident given, so a share is the
    severity-weighted fraction of incidents the mode stands behind (shares overlap: they need not
    sum to 1). Ranked by weight, then incident count, then code. `name` gives a mode's display name.

    `groups`: (incident ids, their summed severity weight, the modes picked in each of them), so
    incidents sharing a chain are counted together (kb.graph.shapes).
    """
    total = n = 0
    behind: dict[str, list[str]] = defaultdict(list)
    weights: Counter[str] = Counter()  # exact: integer sums, floats only in the result
    for ids, w, picked in groups:
        total += w
        n += len(ids)
        for code in picked:
            behind[code].extend(ids)
            weights[code] += w
    items = [
        RootCauseItem(
            code=code,
            name=name(code),
            incidents=len(ids),
            weight=float(weights[code]),
            share=weights[code] / total if total else 0.0,
            incident_ids=sorted(ids),
        )
        for code, ids in behind.items()
    ]
    items.sort(key=lambda it: (-it.weight, -it.incidents, it.code))
    return RootCauseReport(
        window=window or Window(),
        total_incidents=n,
        total_weight=float(total),
        items=items,
        counts=counts,
    )


# --- keystones ---------------------------------------------------------------------------------


KEYSTONES_COUNT = (
    "counts, for each standing condition a team controls, the incidents' root conditions it alone leads to "
    "(remove it and those chains are cut); triggers and outcomes never score"
)


def keystones(g: nx.MultiDiGraph, limit: int = 10, causes: dict[str, IncidentCauses] | None = None) -> list[Keystone]:
    """Keystones of the incidents in the graph (see `rank_keystones`).

    `causes` is `incident_causes(g)` when the caller already has it.
    """
    found = incident_causes(g) if causes is None else causes
    return rank_keystones(found, partial(mode_name, g), limit, partial(mode_role, g))


def rank_keystones(
    causes: Mapping[str, IncidentCauses],
    name: Callable[[str], str],
    limit: int = 10,
    role: Roles = all_conditions,
) -> list[Keystone]:
    """Conditions whose removal would have cut the most chains from their root conditions.

    `causes`: incident id -> its causes. For each incident, its causes are lifted to modes (a cause
    without a mode stays its own node; a link between two causes of one mode is dropped) under a
    source node standing for the incident, linked to the chain's starts (the trigger and the causes
    nothing names). Its roots are its deepest conditions (a condition node with no condition node
    below it: `root_conditions` on the lifted chain). A condition m strictly dominates a root r when
    every path from the incident to r passes through m (networkx.immediate_dominators): remove m and
    r no longer reaches the incident.
      score(m)     = sum over incidents of (roots m strictly dominates) / (roots of the incident)
      incidents(m) = the number of incidents where m strictly dominates at least one root
      cuts(m)      = those incidents, each with the roots m cuts off (the chains named)
    Only modes whose causal role is `condition` can score: a trigger (a market turn) dominates
    everything below it but is not something a team removes, and an outcome is what happened.
    So a score of 2.5 means "removing m cuts off two and a half incidents' worth of root conditions".

    Why not betweenness on the mode graph: it counts shortest paths between every pair of modes
    across incidents, so a mode that merely joins two unrelated incidents' chains scores, and
    shortest paths ignore the longer chains a postmortem actually records. Dominance answers the
    question asked, per incident, and is exact on these small chains.
    """
    return rank_lifted((([iid], *_lifted(causes[iid], role)) for iid in sorted(causes)), name, limit)


def rank_lifted(
    lifted: Iterable[tuple[Sequence[str], _Shape, Sequence[str]]], name: Callable[[str], str], limit: int = 10
) -> list[Keystone]:
    """`rank_keystones` from lifted chains (`_lifted`), each given once with the incidents that have it:
    (incident ids, shape, node number -> code). kb.graph.shapes calls it with each chain lifted once."""
    # exact sums without a Fraction per incident: per mode, the dominated roots summed per root count
    parts: dict[str, Counter[int]] = defaultdict(Counter)
    # per mode, each chain it cuts once (its incidents, the roots cut, node -> code), and how many incidents
    cuts: dict[str, list[tuple[Sequence[str], list[int], Sequence[str]]]] = defaultdict(list)
    cut_incidents: Counter[str] = Counter()
    # Thousands of incidents share a few hundred lifted shapes once the lifted nodes are numbered
    # (dominance does not care what a node is called): each shape's dominators are computed once.
    done: dict[_Shape, tuple[list[tuple[int, list[int]]], int]] = {}
    for ids, shape, codes in lifted:
        found = done.get(shape)
        if found is None:
            found = done[shape] = _cut(shape)
        cut, n_roots = found
        for node, roots in cut:  # a mode is one lifted node, so it cuts a chain once
            code = codes[node]
            parts[code][n_roots] += len(roots) * len(ids)
            cuts[code].append((ids, roots, codes))
            cut_incidents[code] += len(ids)
    score = {code: sum((Fraction(n, d) for d, n in by_roots.items()), Fraction()) for code, by_roots in parts.items()}
    ranked = sorted(score, key=lambda c: (-score[c], -cut_incidents[c], c))[:limit]
    return [
        Keystone(
            code=c,
            name=name(c),
            score=float(score[c]),
            incidents=cut_incidents[c],
            # built without validation: tens of thousands of cuts at 100,000 incidents, each field made here
            cuts=[
                KeystoneCut.model_construct(incident_id=iid, roots=list(roots)) for iid, roots in _named_cuts(cuts[c])
            ],
        )
        for c in ranked
    ]


def _named_cuts(cuts: Iterable[tuple[Sequence[str], list[int], Sequence[str]]]) -> list[tuple[str, list[str]]]:
    """Per incident of these chains, by id: the codes of the roots cut off, in code order."""
    out: list[tuple[str, list[str]]] = []
    for ids, roots, codes in cuts:
        named = sorted(codes[r] for r in roots)
        out.extend((iid, named) for iid in ids)
    out.sort(key=itemgetter(0))
    return out


SOURCE = -1  # the incident a lifted chain hangs from, in `rank_keystones`
# a lifted chain: its edges and root nodes over node numbers, and whether each node is a condition
_Shape = tuple[frozenset[tuple[int, int]], frozenset[int], tuple[bool, ...]]


def _lifted(rec: IncidentCauses, role: Roles) -> tuple[_Shape, list[str]]:
    """One incident's chain lifted to modes, its nodes numbered by first appearance; and number -> code."""
    codes: list[str] = []  # "" for a cause without a mode: a node of its own
    number: dict[str, int] = {}  # mode code -> node
    node: dict[str, int] = {}  # cause -> node
    for c in rec.order:
        code = rec.modes.get(c, "")
        k = number.get(code) if code else None
        if k is None:
            k = len(codes)
            codes.append(code)
            if code:
                number[code] = k
        node[c] = k
    because = rec.because
    edges = {(SOURCE, node[s]) for s in starts_of(rec.order, because, rec.trigger)}
    edges.update((node[c], node[b]) for c in rec.order for b in because[c] if node[c] != node[b])
    is_condition = tuple(bool(code) and role(code) == CONDITION for code in codes)
    below: dict[int, set[int]] = defaultdict(set)
    for u, v in edges:
        if u != SOURCE:
            below[u].add(v)
    roots = frozenset(n for n in range(len(codes)) if is_condition[n] and not _condition_below(n, below, is_condition))
    return (frozenset(edges), roots, is_condition), codes


def _condition_below(n: int, below: dict[int, set[int]], is_condition: tuple[bool, ...]) -> bool:
    seen: set[int] = set()
    stack = list(below.get(n, ()))
    while stack:
        x = stack.pop()
        if x in seen:
            continue
        seen.add(x)
        if is_condition[x]:
            return True
        stack.extend(below.get(x, ()))
    return False


def _cut(shape: _Shape) -> tuple[list[tuple[int, list[int]]], int]:
    """For one lifted shape: the roots each condition node strictly dominates, and how many roots."""
    edges, roots, is_condition = shape
    dag: nx.DiGraph[int] = nx.DiGraph()
    dag.add_node(SOURCE)
    dag.add_edges_from(edges)
    idom = nx.immediate_dominators(dag, SOURCE)
    cut: dict[int, list[int]] = defaultdict(list)
    for r in sorted(roots):
        x = idom.get(r, SOURCE)
        while x != SOURCE:
            if is_condition[x]:
                cut[x].append(r)
            x = idom[x]
    return list(cut.items()), len(roots)


# --- recurring chains --------------------------------------------------------------------------


def recurring_chains(
    g: nx.MultiDiGraph, min_count: int = 2, causes: dict[str, IncidentCauses] | None = None
) -> list[RecurringChain]:
    """Recurring chains of the incidents in the graph (see `find_recurring_chains`). `causes` as in `keystones`."""
    return find_recurring_chains(incident_causes(g) if causes is None else causes, min_count)


def find_recurring_chains(causes: Mapping[str, IncidentCauses], min_count: int = 2) -> list[RecurringChain]:
    """Mode-level chains (A -> B -> C, read "A because B because C") found in at least `min_count` incidents.

    `causes`: incident id -> its causes. Each incident contributes every contiguous run of two or
    more modes along its chain's mode paths (Chain.mode_paths), once per incident however often it
    occurs there. A chain is dropped when a longer reported chain contains it and was seen in
    exactly the same incidents (it adds nothing). Ranked by count, then length (longer first), then
    the modes.
    """
    # Cause paths (even where cause_paths cuts them) depend only on the order, links and trigger,
    # which a few hundred shapes cover once causes are numbered by position; runs on the modes too.
    paths_of: dict[_Links, list[list[int]]] = {}
    runs_of: dict[tuple[_Links, tuple[str, ...]], set[tuple[str, ...]]] = {}

    def runs_of_incidents() -> Iterable[tuple[list[str], set[tuple[str, ...]]]]:
        for iid, rec in causes.items():
            order = rec.order
            if len(order) < 2:  # one cause has no run of two modes
                continue
            at = {c: i for i, c in enumerate(order)}
            links = tuple((tuple(at[b] for b in rec.because[c]), c == rec.trigger) for c in order)
            modes = tuple(rec.modes.get(c, "") for c in order)
            runs = runs_of.get((links, modes))
            if runs is None:
                paths = paths_of.get(links)
                if paths is None:
                    found, _ = cause_paths(order, rec.because, rec.trigger)
                    paths = paths_of[links] = [[at[c] for c in p] for p in found]
                runs = runs_of[(links, modes)] = _runs([[order[i] for i in p] for p in paths], rec.modes)
            yield [iid], runs

    return count_runs(runs_of_incidents(), min_count)


def chain_paths(rec: IncidentCauses) -> list[list[str]]:
    """One incident's cause paths as `find_recurring_chains` walks them (none for a single cause):
    they depend on its causes' order, links and trigger, never on their modes."""
    if len(rec.order) < 2:
        return []
    return cause_paths(rec.order, rec.because, rec.trigger)[0]


def chain_runs(rec: IncidentCauses, paths: list[list[str]] | None = None) -> set[tuple[str, ...]]:
    """One incident's runs of two or more modes along its chain's mode paths (what
    `find_recurring_chains` counts); `paths` is `chain_paths(rec)` when already known (kb.graph.shapes
    finds them once per structure, the runs once per shape)."""
    return _runs(chain_paths(rec) if paths is None else paths, rec.modes)


def count_runs(
    runs: Iterable[tuple[Sequence[str], Iterable[tuple[str, ...]]]], min_count: int = 2
) -> list[RecurringChain]:
    """`find_recurring_chains` from runs given once per group of incidents that share them, each
    incident in one group: (incident ids, their runs). kb.graph.shapes gives one group per chain.

    A run is kept when its groups hold at least `min_count` incidents. It is dropped when a longer
    kept run holds it with the same incidents, that is with the same groups (groups are disjoint
    and never empty). If a longer run holds `run` with the same incidents, so does the run one mode
    longer on the way to it (incident sets only shrink as runs grow), so one-step extensions are
    enough to look at.
    """
    groups: list[Sequence[str]] = []
    seen: dict[tuple[str, ...], list[int]] = defaultdict(list)  # run -> its groups, ascending
    for ids, found in runs:
        k = len(groups)
        groups.append(ids)
        for run in found:
            seen[run].append(k)
    sizes = [*map(len, groups)]
    kept: dict[tuple[str, ...], tuple[list[int], int]] = {}
    for run, ks in seen.items():
        count = sum(sizes[k] for k in ks) if len(ks) > 1 else sizes[ks[0]]
        if count >= min_count:
            kept[run] = ks, count
    subsumed = {
        shorter
        for run, (ks, _) in kept.items()
        if len(run) > 2
        for shorter in (run[1:], run[:-1])
        if shorter in kept and kept[shorter][0] == ks
    }
    out = [
        RecurringChain(
            modes=list(run), count=count, incident_ids=sorted(concat.from_iterable(map(groups.__getitem__, ks)))
        )
        for run, (ks, count) in kept.items()
        if run not in subsumed
    ]
    out.sort(key=lambda r: (-r.count, -len(r.modes), r.modes))
    return out


# per cause, in order: the positions of the causes it names in `because`, and whether it is the trigger
_Links = tuple[tuple[tuple[int, ...], bool], ...]


def _runs(paths: Iterable[list[str]], modes: Mapping[str, str]) -> set[tuple[str, ...]]:
    """Every contiguous run of two or more modes along the cause paths lifted to modes."""
    runs: set[tuple[str, ...]] = set()
    for path in paths:
        lifted = lift(path, modes)
        for i in range(len(lifted)):
            for j in range(i + 2, len(lifted) + 1):
                runs.add(tuple(lifted[i:j]))
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
    """Why-suggestions from the incidents and `leads_to` edges in the graph (see `rank_why`)."""
    leads_to = [(g.nodes[u]["code"], g.nodes[v]["code"]) for u, v, key in g.edges(keys=True) if key == LEADS_TO]
    return rank_why(incident_facts(g), codes, leads_to, partial(mode_name, g), limit=limit)


def rank_why(
    incidents: Mapping[str, IncidentFacts],
    codes: Iterable[str],
    leads_to: Iterable[tuple[str, str]],
    name: Callable[[str], str],
    limit: int = 10,
) -> list[WhySuggestion]:
    """Upstream modes to ask about for an incident classified with `codes` (current codes).

    A chosen mode appears in a past incident as the mode of a cause (then every cause down that
    cause's `because` chain stands behind it) or, when no cause carries it, only as a classification
    of the incident (then every cause of that incident stands behind it: the chain is the
    incident's own explanation).
    from_incidents: past incidents in which a cause of the mode stands behind a chosen mode; each
    incident counts once. from_taxonomy: the taxonomy has a `leads_to` edge (`leads_to`: pairs of
    current codes) from the mode to one of `codes`. evidence = from_incidents + the number of
    `codes` the mode leads to in the taxonomy.
    The chosen codes themselves are never suggested. Ranked by evidence, then from_incidents, then code.
    """
    chosen = set(codes)
    from_incidents: Counter[str] = Counter()
    for facts in incidents.values():
        rec = facts.causes
        if not rec.order:
            continue
        carried = {rec.modes[c] for c in rec.order if c in rec.modes}
        if set(facts.classified) & (chosen - carried):
            behind = set(rec.order)
        else:
            seeds = [c for c in rec.order if rec.modes.get(c) in chosen]
            if not seeds:
                continue
            behind = _below(seeds, rec.because)
        from_incidents.update({rec.modes[c] for c in behind if c in rec.modes} - chosen)
    taxonomy_links: Counter[str] = Counter(u for u, v in set(leads_to) if v in chosen and u not in chosen)
    suggestions = [
        WhySuggestion(
            code=code,
            name=name(code),
            evidence=from_incidents[code] + taxonomy_links[code],
            from_incidents=from_incidents[code],
            from_taxonomy=taxonomy_links[code] > 0,
        )
        for code in from_incidents.keys() | taxonomy_links.keys()
    ]
    suggestions.sort(key=lambda s: (-s.evidence, -s.from_incidents, s.code))
    return suggestions[:limit]


def _below(seeds: Iterable[str], because: Mapping[str, list[str]]) -> set[str]:
    """Every cause reachable from `seeds` through `because`, the seeds themselves only when reached
    again (networkx.descendants of each seed, joined)."""
    seen: set[str] = set()
    stack = [b for s in seeds for b in because.get(s, ())]
    while stack:
        x = stack.pop()
        if x not in seen:
            seen.add(x)
            stack.extend(because.get(x, ()))
    return seen


# --- cycles ------------------------------------------------------------------------------------


def mode_graph(g: nx.MultiDiGraph) -> nx.DiGraph:
    """`because` links lifted to modes across the incidents in the graph (see `lift_links`)."""
    return lift_links(incident_causes(g).values())


def lift_links(causes: Iterable[IncidentCauses]) -> nx.DiGraph:
    """`because` links lifted to modes across incidents (A -> B: a cause of A happened because of a cause of B).

    Links between two causes of the same mode, and causes without a mode, are left out.
    """
    lifted: nx.DiGraph[str] = nx.DiGraph()
    for rec in causes:
        modes = rec.modes
        for c in rec.order:
            code = modes.get(c)
            if code:
                named = (modes.get(b) for b in rec.because[c])
                lifted.add_edges_from((code, other) for other in named if other and other != code)
    return lifted


def mode_cycles(g: nx.MultiDiGraph, max_length: int = 6) -> list[list[str]]:
    """Cycles among the modes of the incidents in the graph (see `find_mode_cycles`)."""
    return find_mode_cycles(mode_graph(g), max_length)


def find_mode_cycles(lifted: nx.DiGraph, max_length: int = 6) -> list[list[str]]:
    """Vicious circles: cycles of at most `max_length` modes in `lifted` (`lift_links`; networkx.simple_cycles).

    One incident's causes never form a cycle (kb.models.Incident rejects that), but lifted to modes
    a cycle appears when incidents disagree on direction (A because B here, B because A there) or
    one chain passes through a mode twice. Each cycle starts at its smallest code; shorter first.
    """
    out = []
    for cycle in nx.simple_cycles(lifted, length_bound=max_length):
        i = cycle.index(min(cycle))
        out.append(cycle[i:] + cycle[:i])
    out.sort(key=lambda c: (len(c), c))
    return out
