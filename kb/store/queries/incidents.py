"""Incidents for reading: listing rows and their change history.

`incident_rows` is the one listing query (`kb incident list`, the TUI's project and taxonomy
screens, `KB.incident_rows`); `history` reads the change log as `kb incident history` prints it.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from kb.timeutil import as_utc, from_text, now_utc, to_text


@dataclass(frozen=True, slots=True)
class IncidentRow:
    """One line of an incident listing (no children loaded)."""

    id: str
    project: str
    title: str
    kind: str
    severity: int
    status: str
    started_at: str | None
    detected_at: str | None
    detected_by: str
    postmortem: str
    announced: bool
    duplicate_of: str | None


# dates as written (2021Q3) where they were approximate (m005), ordered by their start
_ROW_COLUMNS = (
    "id, project, title, kind, severity, status, "
    "coalesce(json_extract(approx_dates, '$.started_at'), started_at) AS started_at, "
    "coalesce(json_extract(approx_dates, '$.detected_at'), detected_at) AS detected_at, "
    "detected_by, postmortem, announced, duplicate_of"
)


def incident_rows(
    conn: sqlite3.Connection,
    *,
    project: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    since: date | datetime | None = None,
    include_duplicates: bool = False,
    limit: int | None = None,
    mode: str | None = None,
) -> list[IncidentRow]:
    """Incidents newest first (by when impact began), live ones only unless asked."""
    where: list[str] = []
    params: list[str | None] = []
    for col, val in (("project", project), ("kind", kind), ("status", status)):
        if val:
            where.append(f"{col} = ?")
            params.append(val)
    if mode:  # classified under the mode, or naming it in a cause
        where.append(
            "(id IN (SELECT incident_id FROM classifications WHERE code = ?)"
            " OR id IN (SELECT incident_id FROM causes WHERE mode = ?))"
        )
        params += [mode, mode]
    if since is not None:
        where.append("incidents.started_at >= ?")
        params.append(to_text(since))
    if not include_duplicates:
        where.append("duplicate_of IS NULL")
    sql = (
        f"SELECT {_ROW_COLUMNS} FROM incidents {('WHERE ' + ' AND '.join(where)) if where else ''} "
        "ORDER BY coalesce(incidents.started_at, '') DESC, id DESC"
    )
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [IncidentRow(*r[:10], bool(r[10]), r[11]) for r in conn.execute(sql, params)]  # type: ignore[call-arg]


# --- history -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    """One row of the append-only change log, as `kb.models.ChangeRecord` has it (snapshot left out)."""

    seq: int
    at: datetime
    actor: str
    entity: str
    entity_id: str
    op: str
    changes: dict[str, Any]

    def document(self) -> dict[str, Any]:
        """The JSON `ChangeRecord.model_dump(mode="json", exclude={"snapshot"})` gives."""
        return {
            "seq": self.seq,
            "at": to_text(self.at),
            "actor": self.actor,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "op": self.op,
            "changes": self.changes,
        }


def history(conn: sqlite3.Connection, entity: str, entity_id: str) -> list[Change]:
    """Who changed a project or an incident, when and what, oldest first."""
    rows = conn.execute(
        "SELECT seq, at, actor, entity, entity_id, op, changes FROM changelog "
        "WHERE entity = ? AND entity_id = ? ORDER BY seq",
        [entity, entity_id],
    )
    out = []
    for seq, at, actor, ent, eid, op, changes in rows:
        when = from_text(at)
        out.append(
            Change(seq, as_utc(when) if when is not None else now_utc(), actor, ent, eid, op, json.loads(changes))
        )
    return out


def incident_exists(conn: sqlite3.Connection, incident_id: str) -> bool:
    return conn.execute("SELECT 1 FROM incidents WHERE id = ?", [incident_id]).fetchone() is not None


__all__ = [
    "Change",
    "IncidentRow",
    "history",
    "incident_exists",
    "incident_rows",
]
