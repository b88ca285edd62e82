"""Opening the one SQLite file: pragmas, owner-only permissions, migrations, the newer-schema guard."""

from __future__ import annotations

import os
import sqlite3
from contextlib import nullcontext
from pathlib import Path

from sqlite_utils import Database

from kb.errors import KBError, SchemaTooNew
from kb.store.retry import migration_lock
from kb.store.schema import MIGRATION_SET, known_migration_names, migrations
from kb.timeutil import now_utc

BUSY_TIMEOUT_MS = 30_000


def connect(path: Path | str) -> Database:
    """A connection with the pragmas every kb connection needs, and nothing else.

    WAL lets readers run beside one writer; the busy timeout makes a second writer wait rather
    than fail; synchronous=FULL makes a committed transaction survive a power cut, not only a crash.
    """
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    db = Database(conn)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    if str(path) != ":memory:":
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "wal":
            db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    return db


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only (it holds who failed and what it cost)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


def applied_migrations(db: Database) -> list[str]:
    if not db["_sqlite_migrations"].exists():
        return []
    return [m.name for m in migrations.applied(db)]


def check_schema(db: Database, path: Path | str) -> list[str]:
    """Refuse a database written by a newer kb; return the migrations still to apply."""
    applied = applied_migrations(db)
    known = set(known_migration_names())
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise SchemaTooNew(
            f"this database was written by a newer version of kb (schema step {unknown[-1]!r} is unknown "
            "here); upgrade kb to open it. Nothing was changed.",
            where=str(path),
        )
    return [m.name for m in migrations.pending(db)]


def backup_to(db: Database, target: Path) -> Path:
    """Copy a live database with SQLite's online backup API (consistent even while others write)."""
    target = Path(target)
    if target.exists():
        raise KBError("refusing to overwrite an existing file", where=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    _create_private(target)
    dest = sqlite3.connect(str(target))
    try:
        db.conn.backup(dest)
    finally:
        dest.close()
    return target


def open_db(path: Path | str, *, create: bool = True, migrate: bool = True) -> Database:
    """Open (and if asked, create and upgrade) the store at `path`.

    Before an existing database is upgraded, a backup is taken next to it, so an upgrade can
    always be undone by hand.
    """
    memory = str(path) == ":memory:"
    p = Path(path)
    if not memory and not p.exists():
        if not create:
            raise KBError("no database here; run `kb init` first", where=str(p))
        _create_private(p)
        fresh = True
    else:
        fresh = memory
    try:
        db = connect(p if not memory else ":memory:")
        pending = check_schema(db, p)
    except sqlite3.DatabaseError as exc:
        raise KBError(f"not a kb database ({exc})", where=str(p)) from None
    if pending and migrate:
        with nullcontext() if memory else migration_lock(p):
            pending = check_schema(db, p)  # another process may have upgraded it while we waited
            if pending and not fresh and applied_migrations(db):
                stamp = now_utc().strftime("%Y%m%dT%H%M%SZ")
                backup_to(db, p.with_name(f"{p.name}.pre-{pending[0]}-{stamp}.bak"))
            migrations.apply(db)
    elif pending and not migrate:
        raise KBError(f"the database needs upgrading ({', '.join(pending)}); run any kb command to upgrade", str(p))
    return db


__all__ = ["MIGRATION_SET", "applied_migrations", "backup_to", "check_schema", "connect", "open_db"]
