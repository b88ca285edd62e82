"""Waits are bounded and say what they wait for (issue 14: a blocked writer held on for ~245 s,
8 attempts x the 30 s busy timeout, not the 3.55 s documented; a live holder of the migration lock
made other kb processes wait with no message and no limit)."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from pathlib import Path

import pytest

from kb.errors import KBError
from kb.service import KB
from kb.store.retry import MAX_WAIT_S, migration_lock, retry_busy, write_transaction


class Clock:
    """Time as the code under test sees it: advanced by its sleeps and by SQLite's busy waits."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_total_wait_is_bounded_by_the_budget_not_attempts_times_timeout(db_path: Path) -> None:
    KB(db_path).close()
    holder = sqlite3.connect(db_path)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock throughout
    conn = sqlite3.connect(db_path, isolation_level=None)
    clock, waits, timeouts = Clock(), [], []

    def attempt() -> None:
        # SQLite waits the connection's busy timeout inside each attempt: count it as time passing
        ms = conn.execute("PRAGMA busy_timeout").fetchone()[0]
        timeouts.append(ms)
        clock.now += ms / 1000
        raise sqlite3.OperationalError("database is locked")

    def sleep(s: float) -> None:
        waits.append(s)
        clock.now += s

    with pytest.raises(KBError) as err:
        retry_busy(attempt, conn=conn, sleep=sleep, clock=clock, budget=MAX_WAIT_S)
    assert "busy" in str(err.value) and "nothing was changed" in str(err.value)
    # the first attempt may use the whole budget; then no further attempt is made
    assert timeouts == [int(MAX_WAIT_S * 1000)] and waits == []
    assert clock.now <= MAX_WAIT_S
    # the connection's own timeout is restored for its next statement
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == int(MAX_WAIT_S * 1000)
    holder.rollback()
    holder.close()
    conn.close()


def test_busy_snapshot_retries_share_one_deadline() -> None:
    """Errors that return at once (no busy handler) retry with backoff, but not past the budget."""
    clock, waits = Clock(), []

    def sleep(s: float) -> None:
        waits.append(s)
        clock.now += s

    def attempt() -> None:
        raise sqlite3.OperationalError("database is locked")

    with pytest.raises(KBError):
        retry_busy(attempt, sleep=sleep, clock=clock, budget=0.3)
    assert waits == [0.05, 0.1, pytest.approx(0.15)]  # the last wait is cut to the budget left
    assert clock.now == pytest.approx(0.3)


def test_a_real_blocked_writer_gives_up_with_one_line(db_path: Path) -> None:
    KB(db_path).close()
    holder = sqlite3.connect(db_path)
    holder.execute("BEGIN IMMEDIATE")
    kb = KB(db_path)
    kb.db.conn.execute("PRAGMA busy_timeout = 100")
    from kb.store import retry

    with pytest.raises(KBError, match="busy"):
        retry.retry_busy(lambda: kb.db.conn.execute("BEGIN IMMEDIATE"), conn=kb.db.conn, budget=0.2)
    holder.rollback()
    holder.close()
    with write_transaction(kb.db):  # and once the holder is gone, writes go through
        kb.db.execute("INSERT INTO meta (key, value) VALUES ('x', '1')")
    kb.close()


def test_the_migration_lock_wait_says_what_it_waits_for_and_gives_up(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lock = db_path.with_name(db_path.name + ".lock")
    fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a live upgrader holds the lock
    try:
        with pytest.raises(KBError) as err, migration_lock(db_path, wait=1.5):
            pass
        assert "another kb process has been upgrading this database for over 1.5 s" in str(err.value)
        assert str(lock) in str(err.value)
        assert any("waiting (up to 1.5 s) for another kb process" in r.getMessage() for r in caplog.records)
    finally:
        os.close(fd)
    with migration_lock(db_path, wait=0.2):  # free again: taken at once
        pass
