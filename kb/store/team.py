"""Every SQL statement the team repository (kb export / import / sync) needs beyond projects and incidents.

Flag events and decisions are read and written column by column from the table's own schema, so a
column a later migration adds travels with the rest without touching this module. Local row ids
(`id`) never leave the database: they mean nothing on another machine.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlite_utils import Database

LOCAL_ONLY = ("id",)


def columns(db: Database, table: str) -> list[str]:
    return [r[1] for r in db.execute(f"PRAGMA table_info({table})").fetchall() if r[1] not in LOCAL_ONLY]


def _rows(db: Database, sql: str, params: list[Any] | None = None) -> Iterator[dict[str, Any]]:
    cur = db.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    for row in cur:
        yield dict(zip(names, row, strict=True))


def decision_rows(db: Database) -> Iterator[dict[str, Any]]:
    cols = ", ".join(columns(db, "decisions"))
    yield from _rows(db, f"SELECT {cols} FROM decisions ORDER BY quarter, project, at, id")


def frozen_rows(db: Database) -> Iterator[dict[str, Any]]:
    yield from _rows(db, "SELECT quarter, frozen_at, actor, body FROM frozen_reviews ORDER BY quarter")


def flag_rows(db: Database) -> Iterator[dict[str, Any]]:
    cols = ", ".join(columns(db, "flag_events"))
    yield from _rows(db, f"SELECT {cols} FROM flag_events ORDER BY source, at, event_key")


def health_rows(db: Database) -> Iterator[dict[str, Any]]:
    yield from _rows(db, "SELECT * FROM health ORDER BY project, period_start, period")


def has_decision(db: Database, row: dict[str, Any]) -> bool:
    """The same decision: same quarter, project, moment, actor and words."""
    keys = ("quarter", "project", "at", "actor", "decision")
    where = " AND ".join(f"{k} = ?" for k in keys)
    return db.execute(f"SELECT 1 FROM decisions WHERE {where}", [row.get(k) for k in keys]).fetchone() is not None


def insert_decision(db: Database, row: dict[str, Any]) -> None:
    cols = [c for c in columns(db, "decisions") if c in row]
    db.execute(
        f"INSERT INTO decisions ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})", [row[c] for c in cols]
    )


def frozen_body(db: Database, quarter: str) -> str | None:
    row = db.execute("SELECT body FROM frozen_reviews WHERE quarter = ?", [quarter]).fetchone()
    return None if row is None else str(row[0])


def insert_frozen(db: Database, row: dict[str, Any]) -> None:
    db.execute(
        "INSERT INTO frozen_reviews (quarter, frozen_at, actor, body) VALUES (?, ?, ?, ?)",
        [row["quarter"], row["frozen_at"], row["actor"], row["body"]],
    )


def insert_flag_events(db: Database, rows: list[dict[str, Any]]) -> int:
    """Insert events not already there (by their unique key); returns how many were new."""
    known = set(columns(db, "flag_events"))
    added = 0
    for row in rows:
        cols = [c for c in row if c in known]
        cur = db.execute(
            f"INSERT OR IGNORE INTO flag_events ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
            [row[c] for c in cols],
        )
        added += cur.rowcount
    return added


def project_slugs(db: Database) -> set[str]:
    return {r[0] for r in db.execute("SELECT slug FROM projects").fetchall()}


SYNC_KEY = "sync:"


def sync_base(db: Database, directory: str) -> dict[str, str]:
    """What each file of `directory` held (its hash) when this database last synced with it."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", [SYNC_KEY + directory]).fetchone()
    return {} if row is None else dict(json.loads(row[0]))


def set_sync_base(db: Database, directory: str, hashes: dict[str, str]) -> None:
    db.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        [SYNC_KEY + directory, json.dumps(dict(sorted(hashes.items())), separators=(",", ":"))],
    )
