"""The flag_sources table (where each live pull stopped) and the plain insert of normalised flag events."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from kb.timeutil import stamp

_INSERT_EVENT = (
    "INSERT OR IGNORE INTO flag_events (event_key, source, flag_key, environment, action, state_from, "
    "state_to, at, actor, comment, raw, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def cursor(db: Database, source_key: str) -> Any:
    """The JSON cursor stored for this source, or None before its first pull."""
    row = db.execute("SELECT cursor FROM flag_sources WHERE source_key = ?", [source_key]).fetchone()
    return None if row is None or row[0] is None else json.loads(row[0])


def save_cursor(
    db: Database, source_key: str, vendor: str, base_url: str, project: str, environment: str, value: Any, added: int
) -> None:
    db.execute(
        "INSERT INTO flag_sources (source_key, vendor, base_url, project, environment, cursor, pulled_at, pulls, "
        "events) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?) ON CONFLICT(source_key) DO UPDATE SET cursor = excluded.cursor, "
        "pulled_at = excluded.pulled_at, pulls = pulls + 1, events = events + excluded.events",
        [source_key, vendor, base_url, project, environment, json.dumps(value), stamp(), added],
    )


def sources(db: Database) -> list[dict[str, Any]]:
    """Every source pulled so far, for `kb flags sources`."""
    cur = db.execute(
        "SELECT vendor, base_url, project, environment, cursor, pulled_at, pulls, events FROM flag_sources "
        "ORDER BY vendor, base_url, project, environment"
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def insert_events(db: Database, events: Iterable[Any]) -> tuple[int, int]:
    """(read, added) for kb.silent.events.FlagEvent objects; one already stored under its event_key is kept."""
    imported_at = stamp()
    rows = [
        (
            e.event_key,
            e.source,
            e.flag_key,
            e.environment,
            e.action,
            e.state_from,
            e.state_to,
            stamp(e.at),
            e.actor,
            e.comment,
            json.dumps(e.raw, ensure_ascii=False, sort_keys=True),
            imported_at,
        )
        for e in events
    ]
    added = db.conn.executemany(_INSERT_EVENT, rows).rowcount if rows else 0
    return len(rows), added
