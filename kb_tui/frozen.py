"""Keeping Python's cyclic garbage collector off what the UI imports.

Textual, rich and kb make tens of thousands of long-lived objects as they are imported (classes,
functions, module dicts, parsed grammars), none of them garbage, and every collection of the oldest
generation walks them all: one came due while the portfolio's first frame was drawn (about a
quarter of a second on this machine; the empty Textual app, with far fewer objects, never reached
one), and, once a worker had imported the service (pydantic, sqlite-utils, numpy), others came due
while a screen opened. `gc.freeze` moves what exists to the permanent generation, which no
collection walks; what is made later is collected as before.

Start-up itself is the same story: from `kb tui`'s start to the portfolio's first frame the
collector ran some 130 young collections over objects that all live on (about 50 ms of the first
frame on this machine). So the collector is held for that stretch (`hold_collector`) and, once the
rows are drawn, everything alive is frozen before it comes back (`release_collector`): the
objects start-up made are never walked, then or later. Start-up's own cyclic garbage is frozen with
them, never freed: about 500 objects on the 2,000-project portfolio, a few tens of KB.
"""

from __future__ import annotations

import gc

_done: set[str] = set()


def freeze_once(what: str) -> None:
    """Freeze everything alive now, the first time `what` has just been imported. Once per `what`
    and process, so that a process making many apps (the tests) never freezes one app's garbage
    for the next."""
    if what not in _done:
        _done.add(what)
        gc.freeze()


_held = False


def hold_collector() -> None:
    """Keep the cyclic collector off until `release_collector`: from `kb tui`'s start (or the first
    app's creation) to the portfolio's first frame. Once per process, like `freeze_once`: a process
    making many apps (the tests) holds it for its first only. Off only if it was on: a caller's own
    gc.disable stays."""
    global _held
    if "held" in _done or not gc.isenabled():
        return
    _done.add("held")
    gc.disable()
    _held = True


def release_collector() -> None:
    """Freeze what start-up made, then turn the collector back on (after the first frame, and on exit
    or a time limit if none comes). Without the freeze, the first collections after start-up walked
    all of it and moved it on to the oldest generation, whose next full collection walked it again
    (about a quarter of a second, on whatever key came next)."""
    global _held
    if _held:
        _held = False
        gc.freeze()
        gc.enable()
