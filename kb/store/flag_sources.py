"""The flag_sources table: where each live pull of a flag system stopped (every SQL statement on it)."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from kb.timeutil import stamp


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
