"""The portfolio's first rows without the rest of kb: the fast read-only entry point the faces may call.

`kb.service` imports pydantic, kb.models and sqlite-utils (which pulls in numpy): about 0.8 s before
any row is read. This module needs only the standard library and kb.store.queries (the one read
path `KB.project_rows` and `KB.counts` use too), so a face can draw the portfolio while the full
service is still being imported elsewhere:

    got = kb.portfolio.first_rows(path)   # None: not a current kb database, use kb.service.KB instead

It opens the file read-only (a `mode=ro` URI) and answers only when the file is a kb database whose
applied schema steps are exactly the ones this kb knows; anything else (no file yet, an older schema
to migrate, a newer one to refuse, not SQLite at all) returns None so that the caller opens
`kb.service.KB`, which creates, migrates or refuses with the usual error. It never writes.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from concurrent import futures
from concurrent.futures import Future
from pathlib import Path

from kb.store.queries import connection
from kb.store.queries.connection import connect_readonly
from kb.store.queries.projects import ProjectRow, portfolio


def is_current(path: str | os.PathLike[str] | None) -> bool:
    """The file exists and is a kb database of this kb's schema: opening it would change nothing."""
    try:
        conn = connect_readonly(_resolve(path))
    except (OSError, sqlite3.Error):
        return False
    try:
        return connection.is_current(conn)
    finally:
        conn.close()


Rows = tuple[list[ProjectRow], dict[str, int]]
_prefetched: dict[Path, tuple[tuple[object, ...], Future[Rows | None]]] = {}
_prefetch_lock = threading.Lock()


def prefetch(path: str | os.PathLike[str] | None, *, then: Callable[[], object] | None = None) -> Future[Rows | None]:
    """Start first_rows(path) on a side thread now (say, while the face imports its toolkit); the next
    first_rows(path) or prefetched(path) takes that result if nothing was committed to the file since
    the read began. The thread opens and closes its own read-only connection; SQLite releases the GIL
    while it reads. Returns the read's future (the one already under way, if there is one, and then
    `then` is not called). `then` is called on that thread once the read is done (or has failed),
    before its result is handed over: work that should not compete with the read for the cores."""
    p = _resolve(path)
    future: Future[Rows | None] = Future()
    with _prefetch_lock:
        if p in _prefetched:
            return _prefetched[p][1]
        _prefetched[p] = (stamp(p), future)

    def run() -> None:
        try:
            got = _read(p)
        except BaseException as exc:  # handed to the caller of first_rows
            _then(then)
            future.set_exception(exc)
        else:
            _then(then)
            future.set_result(got)

    threading.Thread(target=run, name="kb-portfolio-prefetch", daemon=True).start()
    return future


def _then(then: Callable[[], object] | None) -> None:
    if then is None:
        return
    try:
        then()
    except Exception:  # the read's result still goes to its caller
        logging.getLogger("kb").exception("after the portfolio's prefetch")


def prefetched(path: str | os.PathLike[str] | None, *, wait: float = 0.0) -> tuple[Rows, tuple[object, ...]] | None:
    """The prefetch's rows and the file's stamp when its read began, if it has finished (within `wait`
    seconds), found a current kb database, and nothing was committed since; else None (first_rows
    then waits for it, or reads). A face can draw these in its first frame instead of a loading one:
    waiting a little for a read about to finish costs less than drawing a frame twice."""
    p = _resolve(path)
    with _prefetch_lock:
        pending = _prefetched.get(p)
    if pending is not None and wait > 0:
        futures.wait([pending[1]], timeout=wait)  # releases the GIL the read needs to finish
    with _prefetch_lock:
        pending = _prefetched.get(p)
        if pending is None or not pending[1].done() or pending[1].exception() is not None:
            return None
        began, future = _prefetched.pop(p)
    got = future.result()
    if got is None or began != stamp(p):
        return None
    return got, began


def first_rows(path: str | os.PathLike[str] | None) -> Rows | None:
    """The portfolio's rows (ordered by slug) and header counts, or None to use kb.service.KB instead."""
    p = _resolve(path)
    with _prefetch_lock:
        pending = _prefetched.pop(p, None)
    if pending is not None:
        began, future = pending
        got = future.result()
        if began == stamp(p):  # no commit since the prefetch began: its snapshot is still the latest
            return got
    return _read(p)


def stamp(path: str | os.PathLike[str] | None) -> tuple[object, ...]:
    """Size and mtime of the file and its WAL: a commit changes one of them (WAL: the -wal file grows
    or is rewritten; a checkpoint or a rollback-journal commit writes the file itself). An empty WAL
    holds no commit, so it counts as none: a reader opening and closing the file changes nothing.
    Two stat calls, so a face may ask on every return to a screen whether to read again."""
    p = _resolve(path)
    out: list[object] = []
    for f in (p, p.with_name(p.name + "-wal")):
        try:
            st = f.stat()
            out.append((st.st_size, st.st_mtime_ns) if st.st_size else None)
        except OSError:
            out.append(None)
    return tuple(out)


def _read(p: Path) -> Rows | None:
    try:
        conn = connect_readonly(p)
    except (OSError, sqlite3.Error):
        return None
    try:
        if not connection.is_current(conn):
            return None
        return portfolio(conn)  # one read snapshot: the counts agree with the rows
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def _resolve(path: str | os.PathLike[str] | None) -> Path:
    from kb.config import resolve_db_path  # platformdirs only

    return resolve_db_path(path)


__all__ = ["Rows", "connect_readonly", "first_rows", "is_current", "prefetch", "prefetched", "stamp"]
