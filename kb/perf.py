"""Small helpers for bulk work that must stay linear at 100,000 incidents."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while many acyclic objects are made.

    Each full collection walks every live object, so building hundreds of thousands of small,
    acyclic objects (rows, models, graph nodes) triggers collections whose cost grows with the
    total: the work becomes quadratic. Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
