"""Domain rules written once: every face, analysis and report calls these instead of restating them.

Plain functions over plain values (no I/O), so the store's rows, the models and the TUI's views
all answer the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


def incident_time(started_at: T | None, detected_at: T | None) -> T | None:
    """When an incident happened: when it started, else (start unknown) when it was detected.

    The store says the same in SQL as `coalesce(started_at, detected_at)` (kb.store.review, kb.store.queries).
    """
    return started_at if started_at is not None else detected_at


def did_you_mean(near: list[str] | tuple[str, ...], *, parenthesised: bool = False) -> str:
    """The hint after an unknown name: '; did you mean a, b?' (or ' (did you mean a, b?)'), or '' with no candidates."""
    if not near:
        return ""
    question = f"did you mean {', '.join(near)}?"
    return f" ({question})" if parenthesised else f"; {question}"


VERDICTS_WORST_FIRST = ("silent-failure", "watch", "healthy")


def verdict_rank(verdict: str | None) -> int:
    """Worst first: silent-failure 0, watch 1, healthy 2; no verdict (or an unknown word) after them all."""
    try:
        return VERDICTS_WORST_FIRST.index(verdict)  # type: ignore[arg-type]
    except ValueError:
        return len(VERDICTS_WORST_FIRST)


# the stages in which a project's model is serving predictions
LIVE_STAGES = ("pilot", "production")


# A cause tree nests one level per `because` step; deeper than this it stops (the node is `cut`), so
# that no face recurses past Python's limit on a hostile postmortem.
CAUSE_TREE_DEPTH = 100


@dataclass(frozen=True, slots=True)
class CauseNode:
    """One cause in an incident's cause tree; `children` are the causes its `because` names.

    `repeat`: the cause was drawn earlier, so it stands here without its causes (chains may share a
    deeper cause). `cut`: the tree is CAUSE_TREE_DEPTH deep here and its causes are left out.
    """

    id: str
    children: tuple[CauseNode, ...] = ()
    repeat: bool = False
    cut: bool = False


def cause_starts(order: Sequence[str], because: Mapping[str, Sequence[str]], triggers: Collection[str]) -> list[str]:
    """Where a cause tree begins: the trigger first, then every cause no other cause names, in the incident's order.

    The trigger leads even when another cause names it (an effect of the trigger recorded as a cause).
    """
    known = set(order)
    named = {b for c in order for b in because.get(c, ()) if b in known}
    lead = [c for c in order if c in triggers]
    return lead + [c for c in order if c not in named and c not in triggers]


def cause_tree(
    order: Sequence[str],
    because: Mapping[str, Sequence[str]],
    triggers: Collection[str],
    max_depth: int = CAUSE_TREE_DEPTH,
) -> list[CauseNode]:
    """The cause tree every face draws (`kb incident show`, the TUI's editor, the graph's chain and exports).

    Starts from `cause_starts`; under each cause, the causes its `because` names, in that order (names
    of no cause are skipped: a chain being edited may hold them). A cause reached again is a `repeat`.
    A cause reached from no start (a loop only a chain still being edited can hold) begins a tree of its
    own, in the incident's order, so every cause is drawn.
    """
    known = set(order)
    seen: set[str] = set()

    def node(cid: str, depth: int) -> CauseNode:
        if cid in seen:
            return CauseNode(cid, repeat=True)
        seen.add(cid)
        refs = [b for b in because.get(cid, ()) if b in known]
        if refs and depth >= max_depth:
            return CauseNode(cid, cut=True)
        return CauseNode(cid, tuple(node(b, depth + 1) for b in refs))

    tops = [node(c, 1) for c in cause_starts(order, because, triggers)]
    tops += [node(c, 1) for c in order if c not in seen]
    return tops
