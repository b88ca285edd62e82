"""Root causes, triggers, keystones and recurring chains with each distinct chain shape analysed once.

These analyses read an incident's modes only through their causal roles and through which causes
share a mode: `root_conditions`, `trigger_modes`, the lifted chain of `rank_keystones` and the runs
of `find_recurring_chains` come out the same when every mode is renamed, as long as equal modes get
equal names and the roles stay. So each incident's chain is reduced to a `Shape`: its cause ids,
trigger and links as stored, its modes renamed "0", "1", ... by first appearance, and their roles.
SQLite hands over each distinct stored chain once with the incidents that have it
(kb.store.queries.graph.load_chain_groups: about 25,000 of 100,000 incidents), and those make a
few thousand shapes; each analysis runs the shared code of kb.graph.analyses once per shape (on
the renamed modes), maps the answer to each chain's own codes and counts each chain once for all
its incidents, so results are those of the per-incident path (tests/test_graph_rows_path.py).
Pure functions over `kb.store.queries.graph.ChainGroup`s; no graph is built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
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
    chain_paths,
    chain_runs,
    count_runs,
    rank_groups,
    rank_lifted,
    root_conditions,
    severity_weight,
    trigger_modes,
)
from kb.graph.build import resolver
from kb.graph.patterns import mode_roles
from kb.graph.results import Keystone, RecurringChain, RootCauseReport, Window
from kb.store.queries.graph import ChainGroup, unpack_causes, unpack_codes, unpack_links, unpack_modes

if TYPE_CHECKING:
    from kb.taxonomy import Taxonomy


@dataclass(slots=True)
class Frame:
    """What the shapes of one structure (cause ids, trigger, links) share: their cause paths, which
    do not depend on modes (`chain_paths`), found once."""

    paths: list[list[str]] | None = None


@dataclass(slots=True)
class Shape:
    """A chain with its modes renamed: cause ids as keys, modes "0", "1", ... (`roles[k]` is the
    role of mode "k"); what each analysis found for it is kept on it, so it is computed once."""

    causes: IncidentCauses
    roles: tuple[str, ...]
    has_condition: bool
    frame: Frame
    roots: set[str] | None = None
    triggers: set[str] | None = None
    lifted: tuple[_Shape, Callable[[Sequence[str]], Sequence[str]]] | None = None
    runs: list[Callable[[Sequence[str]], tuple[str, ...]]] | None = None

    def role(self, code: str) -> str:
        return self.roles[int(code)]


@dataclass(slots=True)
class StoredChain:
    """One distinct stored chain (its packed causes, modes and links, and codes when read) with the
    incidents that have it (kb.store.queries.graph.ChainGroup). Mode "k" of `shape` is `codes[k]`;
    `codes` ends with "" (a cause without a mode, in a lifted chain). `classified`: the packed
    codes the incidents are classified as (None when not read)."""

    shape: Shape
    codes: list[str]
    ids: list[str]
    severities: list[int]
    classified: str | None


# a chain's structure: cause ids, the trigger's position, its links in written order
_Structure = tuple[tuple[str, ...], int, tuple[tuple[str, str], ...]]
# its modes: each cause's mode number (-1 for none), the current codes numbered, their roles
_Modes = tuple[tuple[int, ...], list[str], tuple[str, ...]]


def shape_chains(groups: Iterable[ChainGroup], taxonomy: Taxonomy | None = None) -> list[StoredChain]:
    """Each group's chain with its shape. Each distinct structure text and modes text is taken apart
    once, each distinct (structure, mode pattern, roles) becomes one `Shape`."""
    resolve, role = _Memo(resolver(taxonomy), {"": ""}), _Memo(mode_roles(taxonomy))
    structures: dict[tuple[str, str], tuple[_Structure, Frame]] = {}
    namings: dict[str, _Modes] = {}
    shapes: dict[tuple[str, str, tuple[int, ...], tuple[str, ...]], Shape] = {}
    out: list[StoredChain] = []
    for group in groups:
        causes, links = group.causes, group.links
        naming = namings.get(group.modes) if causes else ((), [], ())
        if naming is None:
            naming = namings[group.modes] = _naming(group.modes, resolve, role)
        pattern, named, roles = naming
        key = (causes, links, pattern, roles)
        shape = shapes.get(key)
        if shape is None:
            found = structures.get((causes, links))
            if found is None:
                found = structures[(causes, links)] = _structure(causes, links), Frame()
            shape = shapes[key] = _shape(*found, pattern, roles)
        out.append(StoredChain(shape, [*named, ""], group.ids, group.severities, group.codes))
    return out


class _Memo(dict[str, str]):
    """`fn` of a code, each code computed once (`known` given)."""

    def __init__(self, fn: Callable[[str], str], known: dict[str, str] | None = None) -> None:
        super().__init__(known or {})
        self.fn = fn

    def __missing__(self, code: str) -> str:
        hit = self[code] = self.fn(code)
        return hit

    def __call__(self, code: str) -> str:
        return self[code]


def _structure(packed_causes: str, packed_links: str) -> _Structure:
    cause_ids, trigger = unpack_causes(packed_causes)
    return tuple(cause_ids), trigger, tuple(unpack_links(packed_links))


def _naming(packed_modes: str, current: Mapping[str, str], role: Mapping[str, str]) -> _Modes:
    """Modes numbered by first appearance of their current code (aliases followed: `current` maps a
    stored code to it, and "" to "" for a cause without a mode, numbered -1)."""
    codes = [*map(current.__getitem__, unpack_modes(packed_modes))]
    number = {code: k for k, code in enumerate(dict.fromkeys(["", *codes]), -1)}
    named = list(number)[1:]
    return tuple(map(number.__getitem__, codes)), named, tuple(map(role.__getitem__, named))


def _shape(structure: _Structure, frame: Frame, pattern: tuple[int, ...], roles: tuple[str, ...]) -> Shape:
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
    return Shape(rec, roles, CONDITION in roles, frame)


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
    chains: list[StoredChain],
    name: Callable[[str], str],
    window: Window | None,
    taxonomy: Taxonomy | None = None,
) -> RootCauseReport:
    """kb.graph.analyses.rank_root_causes over stored chains (the same weights, shares and order):
    `root_conditions` of a shape once, in each chain's codes; incidents whose causes carry no
    condition are represented by their classified conditions (the chains' codes must be read)."""
    conditions = _classified(resolver(taxonomy), _Memo(mode_roles(taxonomy)), CONDITION)

    def roots(chain: StoredChain) -> set[str]:
        shape = chain.shape
        if not shape.has_condition:
            return conditions(chain.classified)
        if shape.roots is None:
            shape.roots = root_conditions(IncidentFacts(0, shape.causes), shape.role)
        return {chain.codes[int(k)] for k in shape.roots}

    return rank_groups(_weighed(chains, roots), name, window, ROOT_CAUSES_COUNT)


def rank_triggers(
    chains: list[StoredChain],
    name: Callable[[str], str],
    window: Window | None,
    taxonomy: Taxonomy | None = None,
) -> RootCauseReport:
    """kb.graph.analyses.rank_triggers over stored chains (their codes read): `trigger_modes` of a
    shape once, with the chain's trigger-role classifications."""
    classified = _classified(resolver(taxonomy), _Memo(mode_roles(taxonomy)), TRIGGER)

    def triggers(chain: StoredChain) -> set[str]:
        shape = chain.shape
        if shape.triggers is None:
            shape.triggers = trigger_modes(IncidentFacts(0, shape.causes), shape.role)
        return {chain.codes[int(k)] for k in shape.triggers} | classified(chain.classified)

    return rank_groups(_weighed(chains, triggers), name, window, TRIGGERS_COUNT)


def _weighed(
    chains: list[StoredChain], pick: Callable[[StoredChain], set[str]]
) -> Iterable[tuple[list[str], int, set[str]]]:
    """Each chain's incidents, their summed weight and what `pick` finds in the chain."""
    for chain in chains:
        yield chain.ids, sum(map(severity_weight, chain.severities)), pick(chain)


def rank_keystones(chains: list[StoredChain], name: Callable[[str], str], limit: int = 10) -> list[Keystone]:
    """kb.graph.analyses.rank_keystones over stored chains: each shape lifted once, each chain once."""

    def lifted() -> Iterable[tuple[list[str], _Shape, Sequence[str]]]:
        for chain in chains:
            shape = chain.shape
            if shape.lifted is None:
                nodes, renamed = _lifted(shape.causes, shape.role)
                # lifted node -> code: mode "k" is codes[k], a node without a mode the trailing ""
                shape.lifted = nodes, _getter([int(k) if k else -1 for k in renamed])
            nodes, codes_of = shape.lifted
            yield chain.ids, nodes, codes_of(chain.codes)

    return rank_lifted(lifted(), name, limit)


def find_recurring_chains(chains: list[StoredChain], min_count: int = 2) -> list[RecurringChain]:
    """kb.graph.analyses.find_recurring_chains over stored chains: each structure's cause paths and
    each shape's runs found once, counted once per chain."""

    def runs() -> Iterable[tuple[list[str], list[tuple[str, ...]]]]:
        for chain in chains:
            shape = chain.shape
            if shape.runs is None:  # a run has two modes or more, so itemgetter gives a tuple
                frame = shape.frame
                if frame.paths is None:
                    frame.paths = chain_paths(shape.causes)
                shape.runs = [itemgetter(*(int(k) for k in run)) for run in chain_runs(shape.causes, frame.paths)]
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
