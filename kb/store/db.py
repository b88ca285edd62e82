"""Opening the one SQLite file: pragmas, owner-only permissions, migrations, the newer-schema guard."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from contextlib import nullcontext
from pathlib import Path

from sqlite_utils import Database

from kb.errors import KBError
from kb.fsio import fs_error, private_dir
from kb.store.queries.connection import BUSY_TIMEOUT_MS, open_problem, too_new
from kb.store.queries.connection import connect as raw_connect
from kb.store.retry import migration_lock
from kb.store.schema import MIGRATION_SET, known_migration_names, migrations
from kb.timeutil import now_utc


def connect(path: Path | str) -> Database:
    """kb's connection (pragmas: kb.store.queries.connection.connect) wrapped for sqlite-utils."""
    return Database(raw_connect(path))


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only (it holds who failed and what it cost)."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError as exc:
        raise fs_error(exc, path, "create the database") from None
    os.close(fd)


def _remove_new(path: Path) -> None:
    """Take away a database file this call created and could not finish: no 0-byte leftovers."""
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        try:
            p.unlink()
        except FileNotFoundError:
            pass
        except OSError:  # pragma: no cover - left for the user; the error already names the file
            pass


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
        raise too_new(path, unknown)
    return [m.name for m in migrations.pending(db)]


def backup_to(db: Database, target: Path) -> Path:
    """Copy a live database with SQLite's online backup API (consistent even while others write)."""
    target = Path(target).expanduser()
    if target.exists() or target.is_symlink():
        raise KBError("refusing to overwrite an existing file", where=str(target))
    private_dir(target.parent)
    # into a private temp file first, then linked into place: a failure (a full disk) leaves no
    # partial or empty backup behind, and a file that appeared meanwhile is never overwritten
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(fd)
        dest = sqlite3.connect(tmp)
        try:
            db.conn.backup(dest)
        finally:
            dest.close()
        os.link(tmp, target)
    except OSError as exc:
        raise fs_error(exc, target, "write the backup") from None
    except sqlite3.DatabaseError as exc:
        raise KBError(f"cannot write the backup: {open_problem(exc)}", str(target)) from None
    finally:
        if tmp is not None:
            for leftover in (tmp, tmp + "-journal"):
                if os.path.exists(leftover):
                    os.unlink(leftover)
    return target


def _refresh_stale_search_text(db: Database) -> None:
    """Fill the search rows a migration changed the shape of (m009), in one transaction."""
    if db.execute("SELECT 1 FROM meta WHERE key = 'search_text_stale'").fetchone() is None:
        return
    from kb.store.repo import refresh_search_text
    from kb.store.retry import write_transaction

    with write_transaction(db):
        refresh_search_text(db)
        db.execute("DELETE FROM meta WHERE key = 'search_text_stale'")


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
        if not memory and not create and p.is_file() and p.stat().st_size == 0:
            # an empty file is not a kb database; only commands that may create one initialise it
            raise KBError("an empty file, not a kb database (run `kb init` to create one)", where=str(p))
    try:
        try:
            db = connect(p if not memory else ":memory:")
            pending = check_schema(db, p)
        except sqlite3.DatabaseError as exc:
            raise KBError(open_problem(exc), where=str(p)) from None
        if pending and migrate:
            with nullcontext() if memory else migration_lock(p):
                pending = check_schema(db, p)  # another process may have upgraded it while we waited
                if pending and not fresh and applied_migrations(db):
                    stamp = now_utc().strftime("%Y%m%dT%H%M%SZ")
                    backup_to(db, p.with_name(f"{p.name}.pre-{pending[0]}-{stamp}.bak"))
                try:
                    migrations.apply(db)
                    _refresh_stale_search_text(db)
                except sqlite3.DatabaseError as exc:
                    raise KBError(open_problem(exc), where=str(p)) from None
        elif pending and not migrate:
            raise KBError(f"the database needs upgrading ({', '.join(pending)}); run any kb command to upgrade", str(p))
    except BaseException:
        if fresh and not memory:
            _remove_new(p)
        raise
    return db


__all__ = ["BUSY_TIMEOUT_MS", "MIGRATION_SET", "applied_migrations", "backup_to", "check_schema", "connect", "open_db"]
