"""Opening the one SQLite file for reading: the same pragmas and guards as kb.store.db, no sqlite-utils.

`connect` is the one place the connection pragmas are set (kb.store.db wraps it for writers).
`open_reader` refuses a database written by a newer kb, and hands a file that does not exist yet or
still needs a migration to kb.store.db once (which creates or upgrades it, with its backup), so
reading never sees an old schema and the common case never imports sqlite-utils.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kb.errors import KBError, SchemaTooNew

BUSY_TIMEOUT_MS = 30_000
MIGRATIONS_TABLE = "_sqlite_migrations"


def connect(path: Path | str) -> sqlite3.Connection:
    """A connection with the pragmas every kb connection needs, and nothing else.

    WAL lets readers run beside one writer; the busy timeout makes a second writer wait rather
    than fail; synchronous=FULL makes a committed transaction survive a power cut, not only a crash.
    """
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    if str(path) != ":memory:":
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def connect_readonly(path: Path | str) -> sqlite3.Connection:
    """A connection SQLite itself refuses to write through (`mode=ro`); FileNotFoundError if absent."""
    p = Path(path).expanduser().resolve()
    if not p.is_file():
        raise FileNotFoundError(p)
    conn = sqlite3.connect(f"{p.as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA query_only = ON")
    return conn


def applied_steps(conn: sqlite3.Connection) -> list[str]:
    """The schema steps this database records, in the order they were applied."""
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [MIGRATIONS_TABLE])
    if exists.fetchone() is None:
        return []
    from kb.store.schema import MIGRATION_SET

    rows = conn.execute(f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ? ORDER BY rowid", [MIGRATION_SET])
    return [name for (name,) in rows]


def schema_state(conn: sqlite3.Connection) -> tuple[list[str], list[str]]:
    """(steps this kb does not know: the file is newer, steps still to apply)."""
    from kb.store.schema import known_migration_names

    known = known_migration_names()
    applied = applied_steps(conn)
    unknown = [n for n in applied if n not in set(known)]
    pending = [n for n in known if n not in set(applied)]
    return unknown, pending


# SQLITE_IOERR_WRITE and SQLITE_IOERR_FSYNC/TRUNCATE: what a full disk or a file-size limit gives
_WRITE_ERRORS = {778, 1034, 1546}


def open_problem(exc: sqlite3.DatabaseError) -> str:
    """What a failure to open or set up a database means, in plain words (never "not a kb
    database" for a read-only directory or a full disk)."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    text = str(exc)
    if code == sqlite3.SQLITE_NOTADB or "not a database" in text:
        return f"not a kb database ({text})"
    if code == sqlite3.SQLITE_FULL or "disk is full" in text:
        return "the disk is full; nothing was written"
    if code == sqlite3.SQLITE_READONLY or "readonly" in text:
        return "the database or its directory is read-only (kb needs to write its -wal and -shm files)"
    if code == sqlite3.SQLITE_CANTOPEN or "unable to open" in text:
        return "cannot open the database file (is its directory writable, and is it a file?)"
    if (getattr(exc, "sqlite_errorcode", None) or 0) in _WRITE_ERRORS:
        return "writing failed: the disk is full or the file would be larger than this system allows"
    if code == sqlite3.SQLITE_IOERR or "disk I/O error" in text:
        return f"the file system reported an error ({text})"
    return f"database error ({text})"


def too_new(path: Path | str, unknown: list[str]) -> SchemaTooNew:
    return SchemaTooNew(
        f"this database was written by a newer version of kb (schema step {unknown[-1]!r} is unknown "
        "here); upgrade kb to open it. Nothing was changed.",
        where=str(path),
    )


def open_reader(path: Path | str, *, create: bool = True) -> sqlite3.Connection:
    """A connection for reading the current schema, with kb's pragmas; the guards of kb.store.db.open_db.

    A newer schema is refused (nothing is written); a missing file or an older schema goes through
    kb.store.db.open_db once, which creates or upgrades it exactly as any write command would.
    """
    p = Path(path)
    if str(path) == ":memory:":
        raise KBError("an in-memory database has nothing to read; use kb.service.KB", str(path))
    if p.exists():
        try:
            conn = connect(p)
            unknown, pending = schema_state(conn)
        except sqlite3.DatabaseError as exc:
            raise KBError(open_problem(exc), str(p)) from None
        if unknown:
            conn.close()
            raise too_new(p, unknown)
        if not pending:
            return conn
        conn.close()
    from kb.store.db import open_db  # the rare path: create or upgrade with sqlite-utils

    open_db(p, create=create).close()
    return connect(p)


def is_current(conn: sqlite3.Connection) -> bool:
    """True when the applied schema steps are exactly the ones this kb knows (nothing to do, nothing newer)."""
    try:
        unknown, pending = schema_state(conn)
    except sqlite3.Error:
        return False
    return not unknown and not pending


__all__ = [
    "BUSY_TIMEOUT_MS",
    "applied_steps",
    "connect",
    "connect_readonly",
    "is_current",
    "open_reader",
    "schema_state",
    "too_new",
]
