"""Keeping Python's cyclic garbage collector off what the UI imports.

Textual, rich and kb make tens of thousands of long-lived objects as they are imported (classes,
functions, module dicts, parsed grammars), none of them garbage, and every collection of the oldest
generation walks them all: one came due while the portfolio's first frame was drawn (about a
quarter of a second on this machine; the empty Textual app, with far fewer objects, never reached
one), and, once a worker had imported the service (pydantic, sqlite-utils, numpy), others came due
while a screen opened. `gc.freeze` moves what exists to the permanent generation, which no
collection walks; what is made later is collected as before.
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
    """Keep the cyclic collector off until `release_collector`: from `kb tui`'s start (or the app's
    creation) to the portfolio's first frame. Start-up makes about 100,000 long-lived objects and
    no cyclic garbage worth the walk, and the collector walked them some 90 times on the way (about
    10 ms before Textual had even started). Off only if it was on: a caller's own gc.disable stays."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def release_collector() -> None:
    """The collector as it was before `hold_collector` (called after the first frame, and on exit)."""
    global _held
    if _held:
        _held = False
        gc.enable()
