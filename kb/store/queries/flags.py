"""Feature-flag events for reading: `kb flags list`, `kb flags unmapped` and `KB.flag_events`.

One query per question, returning slotted rows whose `document()` is the JSON `kb.silent.events.FlagEvent`
gives (`KB.flag_events` builds its pydantic events from these rows, so both read the same SQL).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from kb.timeutil import as_utc, instant, stamp, to_text


@dataclass(frozen=True, slots=True)
class FlagEventRow:
    """One stored flag event, with the project its flag maps to (None when no project claims it)."""

    id: int
    event_key: str
    source: str
    flag_key: str
    environment: str
    action: str
    state_from: str | None
    state_to: str | None
    at: datetime
    actor: str
    comment: str
    scope: str
    instance: str
    serving_from: dict[str, float] | None
    serving_to: dict[str, float] | None
    detail: str
    project: str | None

    def document(self) -> dict[str, Any]:
        """`FlagEvent.model_dump(mode="json")`: every field but the vendor's raw record."""
        return {
            "id": self.id,
            "event_key": self.event_key,
            "source": self.source,
            "flag_key": self.flag_key,
            "environment": self.environment,
            "action": self.action,
            "state_from": self.state_from,
            "state_to": self.state_to,
            "at": to_text(self.at),
            "actor": self.actor,
            "comment": self.comment,
            "scope": self.scope,
            "instance": self.instance,
            "serving_from": self.serving_from,
            "serving_to": self.serving_to,
            "detail": self.detail,
            "project": self.project,
        }


_COLUMNS = (
    "e.id, e.event_key, e.source, e.flag_key, e.environment, e.action, e.state_from, e.state_to, e.at, "
    "e.actor, e.comment, e.scope, e.instance, e.serving_from, e.serving_to, e.detail"
)


def _serving(text: str | None) -> dict[str, float] | None:
    return {k: float(v) for k, v in json.loads(text).items()} if text else None


def _rows(conn: sqlite3.Connection, sql: str, params: list[Any]) -> list[FlagEventRow]:
    out = []
    for r in conn.execute(sql, params):
        at = instant(r[8])
        assert at is not None  # NOT NULL in the schema
        out.append(FlagEventRow(*r[:8], at, *r[9:13], _serving(r[13]), _serving(r[14]), r[15], r[16]))  # type: ignore[call-arg]
    return out


def flag_events(
    conn: sqlite3.Connection,
    *,
    project: str | None = None,
    flag: str | None = None,
    since: date | datetime | None = None,
) -> list[FlagEventRow]:
    """Events in time order; an event whose flag belongs to two projects is listed once per project."""
    where: list[str] = []
    params: list[Any] = []
    if project:
        where.append("pf.project = ?")
        params.append(project)
    if flag:
        where.append("e.flag_key = ?")
        params.append(flag)
    if since is not None:
        where.append("e.at >= ?")
        params.append(stamp(as_utc(since)))
    join = "JOIN" if project else "LEFT JOIN"
    sql = (
        f"SELECT {_COLUMNS}, pf.project FROM flag_events e {join} project_flags pf ON pf.flag_key = e.flag_key "
        f"{('WHERE ' + ' AND '.join(where)) if where else ''} ORDER BY e.at, e.id, pf.project"
    )
    return _rows(conn, sql, params)


def unmapped_flag_events(conn: sqlite3.Connection) -> list[FlagEventRow]:
    """Events whose flag no project lists: kept, never dropped, until a project claims the flag."""
    sql = (
        f"SELECT {_COLUMNS}, NULL AS project FROM flag_events e WHERE NOT EXISTS "
        "(SELECT 1 FROM project_flags pf WHERE pf.flag_key = e.flag_key) ORDER BY e.at, e.id"
    )
    return _rows(conn, sql, [])


__all__ = ["FlagEventRow", "flag_events", "unmapped_flag_events"]
