"""Write transactions that never show "database is locked" to the user.

The busy timeout (kb.store.db.BUSY_TIMEOUT_MS) makes a second writer wait, but SQLite cannot apply
it when a deferred transaction that has already read tries to upgrade to a write after another
process committed (SQLITE_BUSY_SNAPSHOT): that fails at once. So every kb write transaction starts
with BEGIN IMMEDIATE, taking the write lock before it reads, and the few statements that can still
report busy (BEGIN itself once the timeout runs out, COMMIT) are retried with bounded backoff.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlite_utils import Database

from kb.errors import KBError

T = TypeVar("T")

ATTEMPTS = 8
FIRST_DELAY_S = 0.05
MAX_DELAY_S = 1.0
# The longest a write waits for another process's write lock, all attempts together: SQLite's busy
# handler waits inside each attempt, so without a shared deadline 8 attempts waited 8 x 30 s.
MAX_WAIT_S = 30.0
# The longest a process waits for another one that is upgrading the same database file.
MIGRATION_WAIT_S = 60.0
MIGRATION_QUIET_S = 1.0  # a wait shorter than this (another process's usual upgrade) says nothing

_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def is_busy(exc: BaseException) -> bool:
    """True for SQLITE_BUSY / SQLITE_LOCKED in any of their extended forms."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and (code & 0xFF) in _BUSY_CODES:
        return True
    text = str(exc).lower()
    return "database is locked" in text or "database table is locked" in text or "database is busy" in text


def backoff(attempts: int = ATTEMPTS, first: float = FIRST_DELAY_S, cap: float = MAX_DELAY_S) -> list[float]:
    """The waits between attempts: doubling from `first`, never above `cap`; one fewer than attempts."""
    return [min(cap, first * 2**n) for n in range(attempts - 1)]


def retry_busy(
    fn: Callable[[], T],
    *,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    what: str = "the database",
    conn: sqlite3.Connection | None = None,
    budget: float = MAX_WAIT_S,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Call `fn`, retrying while SQLite reports busy; after the last attempt or once `budget`
    seconds have gone, a clear KBError. With `conn`, SQLite's own busy wait inside each attempt is
    cut to what is left of the budget, so the whole wait is bounded, not attempts x busy timeout."""
    delays = backoff(attempts)
    deadline = clock() + budget
    try:
        for delay in [*delays, None]:
            left = deadline - clock()
            if conn is not None:
                conn.execute(f"PRAGMA busy_timeout = {max(0, int(left * 1000))}")
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if not is_busy(exc):
                    raise
                left = deadline - clock()
                if delay is None or left <= 0:
                    raise KBError(
                        f"another kb process kept the database busy (waited up to {budget:g} s); "
                        "nothing was changed, try again",
                        what,
                    ) from None
                sleep(min(delay, left))
    finally:
        if conn is not None:
            conn.execute(f"PRAGMA busy_timeout = {int(MAX_WAIT_S * 1000)}")
    raise AssertionError("unreachable")  # pragma: no cover


@contextmanager
def write_transaction(db: Database, *, sleep: Callable[[float], None] = time.sleep) -> Iterator[Database]:
    """All or nothing, holding the write lock from the start; nested use becomes a savepoint."""
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():
            yield db
        return
    # a COMMIT that reports busy leaves the transaction open, so retrying it is safe
    begin = lambda: retry_busy(lambda: conn.execute("BEGIN IMMEDIATE"), sleep=sleep, conn=conn)  # noqa: E731
    commit = lambda: retry_busy(lambda: conn.execute("COMMIT"), sleep=sleep, conn=conn)  # noqa: E731
    with _transaction(conn, begin, commit):
        yield db


@contextmanager
def read_snapshot(db: Database) -> Iterator[Database]:
    """Several reads that all see one state of the database.

    An analysis that reads in several queries (incidents, then their causes, then their links)
    could otherwise see another connection's commit land between two of them: a link naming a
    cause it never read. In WAL mode a deferred transaction reads from the snapshot taken at its
    first read, and readers never block the writer. Inside a transaction already, it adds nothing.
    """
    conn = db.conn
    if conn.in_transaction:
        yield db
        return
    # nothing is written: the COMMIT only ends the snapshot
    with _transaction(conn, lambda: conn.execute("BEGIN"), lambda: conn.in_transaction and conn.execute("COMMIT")):
        yield db


@contextmanager
def _transaction(conn: sqlite3.Connection, begin: Callable[[], object], commit: Callable[[], object]) -> Iterator[None]:
    """begin; the body; commit. Rolled back if the body or the commit fails."""
    begin()
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    try:
        commit()
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


@contextmanager
def migration_lock(
    db_path: Path, *, wait: float = MIGRATION_WAIT_S, clock: Callable[[], float] = time.monotonic
) -> Iterator[None]:
    """One process at a time upgrades a database file.

    SQLite's own lock cannot serialise migrations: a migration's executescript commits whatever
    transaction is open. Without this, two kb processes (or two TUI workers) opening a database
    that needs upgrading would both apply the same step, and the second would fail. A process that
    finds the lock held says once what it waits for, and gives up after `wait` seconds.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: fall back to SQLite's locking alone
        yield
        return
    lock_path = db_path.with_name(db_path.name + ".lock")
    try:
        fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
    except OSError as exc:
        raise KBError(f"cannot create the upgrade lock {lock_path.name}: {exc.strerror}", str(db_path)) from None
    try:
        start = clock()
        deadline = start + wait
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told and clock() - start >= MIGRATION_QUIET_S:
                    logging.getLogger("kb").warning(
                        "waiting (up to %g s) for another kb process that is upgrading %s (it holds %s)",
                        wait,
                        db_path,
                        lock_path,
                    )
                    told = True
                if clock() >= deadline:
                    raise KBError(
                        f"another kb process has been upgrading this database for over {wait:g} s "
                        f"(it holds {lock_path}); try again when it has finished",
                        str(db_path),
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing releases the lock


__all__ = ["backoff", "is_busy", "migration_lock", "retry_busy", "write_transaction"]
