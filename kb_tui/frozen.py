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
