"""Root causes, triggers, keystones and recurring chains with each distinct chain shape analysed once.

These analyses read an incident's modes only through their causal roles and through which causes
share a mode: `root_conditions`, `trigger_modes`, the lifted chain of `rank_keystones` and the runs
of `find_recurring_chains` come out the same when every mode is renamed, as long as equal modes get
equal names and the roles stay. So each incident's chain is reduced to a `Shape`: its cause ids,
trigger and links as stored, its modes renamed "0", "1", ... by first appearance, and their roles.
At 100,000 incidents there are a few thousand shapes; each analysis runs the shared code of
kb.graph.analyses once per shape (on the renamed modes) and maps the answer back to each
incident's own codes, so results are those of the per-incident path (tests/test_graph_shapes.py).
Pure functions over `kb.store.queries.graph.ChainRows`; no graph is built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING

from kb.graph.analyses import (
    CONDITION,
    ROOT_CAUSES_COUNT,
    TRIGGER,
    TRIGGERS_COUNT,
    IncidentCauses,
    IncidentFacts,
    _lifted,
    _Shape,
    chain_runs,
    count_runs,
    rank_lifted,
    rank_picked,
    root_conditions,
    trigger_modes,
)
from kb.graph.build import resolver
from kb.graph.patterns import mode_roles
from kb.graph.results import Keystone, RecurringChain, RootCauseReport, Window
from kb.store.queries.graph import ChainRows, unpack_causes, unpack_codes, unpack_links, unpack_modes

if TYPE_CHECKING:
    from kb.taxonomy import Taxonomy


@dataclass(slots=True)
class Shape:
    """A chain with its modes renamed: cause ids as keys, modes "0", "1", ... (`roles[k]` is the
    role of mode "k"); what each analysis found for it is kept on it, so it is computed once."""

    causes: IncidentCauses
    roles: tuple[str, ...]
    has_condition: bool
    roots: set[str] | None = None
    triggers: set[str] | None = None
    lifted: tuple[_Shape, Callable[[Sequence[str]], Sequence[str]]] | None = None
    runs: list[Callable[[Sequence[str]], tuple[str, ...]]] | None = None

    def role(self, code: str) -> str:
        return self.roles[int(code)]


@dataclass(slots=True)
class StoredChain:
    """One distinct stored chain (its packed causes, modes and links) and the incidents that have it,
    in their order; what an analysis found for it, in its own codes, is kept on it. Mode "k" of
    `shape` is `codes[k]`; `codes` ends with "" (a cause without a mode, in a lifted chain)."""

    shape: Shape
    codes: list[str]
    ids: list[str] = field(default_factory=list)
    roots: set[str] | None = None
    triggers: set[str] | None = None


@dataclass(slots=True)
class ShapedIncident:
    """One incident: its severity, its chain, and its classification codes as stored (packed;
    None when not read: `needs_codes` says which incidents root causes still needs them for)."""

    id: str
    severity: int
    chain: StoredChain
    codes: str | None


@dataclass(slots=True)
class Shaped:
    """A window's incidents (by id) and their distinct chains (each with its incidents' ids)."""

    incidents: list[ShapedIncident]
    chains: list[StoredChain]


# a chain's structure: cause ids, the trigger's position, its links in written order
_Structure = tuple[tuple[str, ...], int, tuple[tuple[str, str], ...]]
# its modes: each cause's mode number (-1 for none), the current codes numbered, their roles
_Modes = tuple[tuple[int, ...], list[str], tuple[str, ...]]


def shape_incidents(rows: ChainRows, taxonomy: Taxonomy | None = None) -> Shaped:
    """Each incident with its chain, in the rows' order. Each distinct structure text and modes text
    is taken apart once, each distinct (structure, mode pattern, roles) becomes one `Shape`."""
    resolve, role = resolver(taxonomy), _memo(mode_roles(taxonomy))
    structures: dict[tuple[str, str], _Structure] = {}
    namings: dict[str, _Modes] = {}
    shapes: dict[tuple[_Structure, tuple[int, ...], tuple[str, ...]], Shape] = {}
    chains: dict[tuple[str, str, str], StoredChain] = {}
    out: list[ShapedIncident] = []
    causes, modes, links = rows.causes.get, rows.modes.get, rows.links.get
    codes = rows.codes.get if rows.codes is not None else None
    for iid, severity in rows.incidents:
        key = (causes(iid, ""), modes(iid, ""), links(iid, ""))
        chain = chains.get(key)
        if chain is None:
            structure = structures.get((key[0], key[2]))
            if structure is None:
                structure = structures[(key[0], key[2])] = _structure(key[0], key[2])
            naming = namings.get(key[1]) if key[0] else ((), [], ())
            if naming is None:
                naming = namings[key[1]] = _naming(key[1], resolve, role)
            pattern, named, roles = naming
            shape = shapes.get((structure, pattern, roles))
            if shape is None:
                shape = shapes[(structure, pattern, roles)] = _shape(structure, pattern, roles)
            chain = chains[key] = StoredChain(shape, [*named, ""])
        chain.ids.append(iid)
        out.append(ShapedIncident(iid, severity, chain, codes(iid, "") if codes is not None else None))
    return Shaped(out, list(chains.values()))


def _memo(fn: Callable[[str], str]) -> Callable[[str], str]:
    found: dict[str, str] = {}

    def call(code: str) -> str:
        hit = found.get(code)
        if hit is None:
            hit = found[code] = fn(code)
        return hit

    return call


def _structure(packed_causes: str, packed_links: str) -> _Structure:
    cause_ids, trigger = unpack_causes(packed_causes)
    return tuple(cause_ids), trigger, tuple(unpack_links(packed_links))


def _naming(packed_modes: str, resolve: Callable[[str], str], role: Callable[[str], str]) -> _Modes:
    """Modes numbered by first appearance of their current code (aliases followed)."""
    number: dict[str, int] = {}
    pattern: list[int] = []
    for raw in unpack_modes(packed_modes):
        if raw:
            code = resolve(raw)
            k = number.get(code)
            if k is None:
                k = number[code] = len(number)
            pattern.append(k)
        else:
            pattern.append(-1)
    codes = list(number)
    return tuple(pattern), codes, tuple(map(role, codes))


def _shape(structure: _Structure, pattern: tuple[int, ...], roles: tuple[str, ...]) -> Shape:
    """The shape's causes as kb.graph.patterns builds an incident's: causes in order, each link once,
    a cause's links in their written order, the trigger the last flagged cause."""
    cause_ids, trigger, links = structure
    rec = IncidentCauses()
    for cid, k in zip(cause_ids, pattern, strict=True):
        rec.order.append(cid)
        rec.because[cid] = []
        if k >= 0:
            rec.modes[cid] = str(k)
    if trigger >= 0:
        rec.trigger = cause_ids[trigger]
    for cid, named in links:
        found = rec.because[cid]
        if named not in found:
            found.append(named)
    return Shape(rec, roles, CONDITION in roles)


def needs_codes(shaped: Shaped) -> list[str]:
    """Incidents whose root causes are their classified conditions (no cause carries a condition)
    and whose codes were not read."""
    return [i.id for i in shaped.incidents if i.codes is None and not i.chain.shape.has_condition]


def _classified(
    resolve: Callable[[str], str], role: Callable[[str], str], wanted: str
) -> Callable[[str | None], set[str]]:
    """Packed codes -> the current codes among them whose role is `wanted`, memoised on the text."""
    found: dict[str, set[str]] = {}

    def of(packed: str | None) -> set[str]:
        if not packed:
            return set()
        hit = found.get(packed)
        if hit is None:
            hit = found[packed] = {c for c in map(resolve, unpack_codes(packed)) if role(c) == wanted}
        return hit

    return of


def rank_root_causes(
    shaped: Shaped,
    name: Callable[[str], str],
    window: Window | None,
    taxonomy: Taxonomy | None = None,
) -> RootCauseReport:
    """kb.graph.analyses.rank_root_causes over shaped incidents (the same weights, shares and order):
    `root_conditions` of a chain's shape once, in each chain's codes once; an incident whose causes
    carry no condition is represented by its classified conditions (`codes` must be read for it)."""
    conditions = _classified(resolver(taxonomy), _memo(mode_roles(taxonomy)), CONDITION)

    def roots(inc: ShapedIncident) -> set[str]:
        chain = inc.chain
        if not chain.shape.has_condition:
            return conditions(inc.codes)
        found = chain.roots
        if found is None:
            shape = chain.shape
            if shape.roots is None:
                shape.roots = root_conditions(IncidentFacts(0, shape.causes), shape.role)
            found = chain.roots = {chain.codes[int(k)] for k in shape.roots}
        return found

    return rank_picked({i.id: i for i in shaped.incidents}, roots, name, window, ROOT_CAUSES_COUNT)


def rank_triggers(
    shaped: Shaped,
    name: Callable[[str], str],
    window: Window | None,
    taxonomy: Taxonomy | None = None,
) -> RootCauseReport:
    """kb.graph.analyses.rank_triggers over shaped incidents (their codes read): `trigger_modes` of a
    chain's shape once, with each incident's trigger-role classifications."""
    classified = _classified(resolver(taxonomy), _memo(mode_roles(taxonomy)), TRIGGER)

    def triggers(inc: ShapedIncident) -> set[str]:
        chain = inc.chain
        found = chain.triggers
        if found is None:
            shape = chain.shape
            if shape.triggers is None:
                shape.triggers = trigger_modes(IncidentFacts(0, shape.causes), shape.role)
            found = chain.triggers = {chain.codes[int(k)] for k in shape.triggers}
        extra = classified(inc.codes)
        return found | extra if extra else found

    return rank_picked({i.id: i for i in shaped.incidents}, triggers, name, window, TRIGGERS_COUNT)


def rank_keystones(shaped: Shaped, name: Callable[[str], str], limit: int = 10) -> list[Keystone]:
    """kb.graph.analyses.rank_keystones over shaped incidents: each shape lifted once, each chain once."""

    def lifted() -> Iterable[tuple[list[str], _Shape, Sequence[str]]]:
        for chain in shaped.chains:
            shape = chain.shape
            if shape.lifted is None:
                nodes, renamed = _lifted(shape.causes, shape.role)
                # lifted node -> code: mode "k" is codes[k], a node without a mode the trailing ""
                shape.lifted = nodes, _getter([int(k) if k else -1 for k in renamed])
            nodes, codes_of = shape.lifted
            yield chain.ids, nodes, codes_of(chain.codes)

    return rank_lifted(lifted(), name, limit)


def find_recurring_chains(shaped: Shaped, min_count: int = 2) -> list[RecurringChain]:
    """kb.graph.analyses.find_recurring_chains over shaped incidents: each shape's runs found once,
    counted once per chain."""

    def runs() -> Iterable[tuple[list[str], list[tuple[str, ...]]]]:
        for chain in shaped.chains:
            shape = chain.shape
            if shape.runs is None:  # a run has two modes or more, so itemgetter gives a tuple
                shape.runs = [itemgetter(*(int(k) for k in run)) for run in chain_runs(shape.causes)]
            if shape.runs:
                codes = chain.codes
                yield chain.ids, [run(codes) for run in shape.runs]

    return count_runs(runs(), min_count)


def _getter(positions: list[int]) -> Callable[[Sequence[str]], Sequence[str]]:
    """A function picking these positions of a sequence, as a sequence (itemgetter gives a single
    item for one position)."""
    if len(positions) == 1:
        only = positions[0]
        return lambda seq: (seq[only],)
    if not positions:
        return lambda seq: ()
    return itemgetter(*positions)
