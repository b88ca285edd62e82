"""One incident's causal chain: from its trigger down to its root causes, as a tree and as paths.

Shared by `chain()` (from an Incident model) and the portfolio analyses (from graph nodes), so a
chain's paths mean the same thing everywhere.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import networkx as nx

from kb.graph.build import resolver
from kb.graph.results import Chain, ChainNode
from kb.models import Incident
from kb.rules import CauseNode, cause_starts, cause_tree

if TYPE_CHECKING:
    from kb.taxonomy import Taxonomy

# A chain whose causes fan out and join again has exponentially many paths; past this many the
# listing stops (Chain.truncated says so) rather than hang on a hostile postmortem.
MAX_PATHS = 500


def starts_of(order: Sequence[str], because: Mapping[str, Sequence[str]], trigger: str | None) -> list[str]:
    """Where a chain begins (kb.rules.cause_starts): the trigger first, then every cause no other cause names."""
    return cause_starts(order, because, (trigger,) if trigger else ())


def cause_paths(
    order: Sequence[str], because: Mapping[str, Sequence[str]], trigger: str | None, limit: int = MAX_PATHS
) -> tuple[list[list[str]], bool]:
    """Every path of cause ids from a start (see `starts_of`) to a root cause; True if cut at `limit`."""
    roots = [c for c in order if not because.get(c)]
    dag: nx.DiGraph[str] = nx.DiGraph()
    dag.add_nodes_from(order)
    dag.add_edges_from((c, b) for c in order for b in because.get(c, ()))
    paths: list[list[str]] = []
    for start in starts_of(order, because, trigger):
        if not because.get(start):
            found: list[list[str]] = [[start]]
        else:
            found = list(itertools.islice(nx.all_simple_paths(dag, start, roots), limit - len(paths) + 1))
        paths.extend(found)
        if len(paths) > limit:
            return paths[:limit], True
    return paths, False


def lift(path: Sequence[str], modes: Mapping[str, str]) -> list[str]:
    """A cause path as taxonomy modes: causes without a mode skipped, consecutive repeats collapsed."""
    codes = [modes[c] for c in path if modes.get(c)]
    return [code for code, _ in itertools.groupby(codes)]


def chain(incident: Incident, taxonomy: Taxonomy | None = None) -> Chain:
    """The incident's chain; with a taxonomy, mode codes are shown as their current code (aliases followed)."""
    resolve: Callable[[str], str] = resolver(taxonomy)
    order = [c.id for c in incident.causes]
    because = {c.id: list(c.because) for c in incident.causes}
    modes = {c.id: resolve(c.mode) for c in incident.causes if c.mode}
    by_id = {c.id: c for c in incident.causes}
    trigger = next((c.id for c in incident.causes if c.trigger), None)
    cut = False

    def build(n: CauseNode) -> ChainNode:
        nonlocal cut
        cut = cut or n.cut
        cause = by_id[n.id]
        return ChainNode(
            cause_id=n.id,
            statement=cause.statement,
            mode=modes.get(n.id),
            trigger=cause.trigger,
            root=not cause.because,
            repeat=n.repeat,
            children=[build(c) for c in n.children],
        )

    tree = [build(n) for n in cause_tree(order, because, (trigger,) if trigger else ())]
    paths, truncated = cause_paths(order, because, trigger)
    return Chain(
        incident_id=incident.id or "",
        title=incident.title,
        trigger=trigger,
        roots=[c for c in order if not because[c]],
        tree=tree,
        paths=paths,
        mode_paths=[lift(p, modes) for p in paths],
        truncated=truncated or cut,
    )
