"""Domain rules written once: every face, analysis and report calls these instead of restating them.

Plain functions over plain values (no I/O), so the store's rows, the models and the TUI's views
all answer the same way.
"""

from __future__ import annotations

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
