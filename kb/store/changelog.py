"""The append-only change log: who changed what, when, and the document as it then stood.

Triggers in the schema refuse UPDATE and DELETE on the table, so history cannot be rewritten
through kb or by a stray SQL statement.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from kb.models import ChangeRecord
from kb.timeutil import as_utc, from_text, now_utc, stamp


def record(
    db: Database,
    actor: str,
    entity: str,
    entity_id: str,
    op: str,
    changes: dict[str, Any],
    snapshot: dict[str, Any] | None = None,
) -> None:
    db.execute(
        "INSERT INTO changelog (at, actor, entity, entity_id, op, changes, snapshot) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            stamp(),
            actor,
            entity,
            entity_id,
            op,
            json.dumps(changes, ensure_ascii=False, sort_keys=True),
            None if snapshot is None else json.dumps(snapshot, ensure_ascii=False),
        ],
    )


def _row(r: dict[str, Any]) -> ChangeRecord:
    at = from_text(r["at"])
    return ChangeRecord(
        seq=r["seq"],
        at=as_utc(at) if at is not None else now_utc(),
        actor=r["actor"],
        entity=r["entity"],
        entity_id=r["entity_id"],
        op=r["op"],
        changes=json.loads(r["changes"]),
        snapshot=json.loads(r["snapshot"]) if r["snapshot"] else None,
    )


def history(db: Database, entity: str, entity_id: str) -> list[ChangeRecord]:
    rows = db.query("SELECT * FROM changelog WHERE entity = ? AND entity_id = ? ORDER BY seq", [entity, entity_id])
    return [_row(r) for r in rows]


def last_changes(db: Database, entity: str, entity_id: str) -> dict[str, list[Any]]:
    """The field-by-field changes of the latest change to one record ({} if none)."""
    row = db.execute(
        "SELECT changes FROM changelog WHERE entity = ? AND entity_id = ? ORDER BY seq DESC LIMIT 1",
        [entity, entity_id],
    ).fetchone()
    return json.loads(row[0]) if row else {}


def as_of(db: Database, entity: str, entity_id: str, when: datetime) -> ChangeRecord | None:
    """The last change at or before `when`: its snapshot is what the record said then."""
    rows = list(
        db.query(
            "SELECT * FROM changelog WHERE entity = ? AND entity_id = ? AND at <= ? AND snapshot IS NOT NULL "
            "ORDER BY seq DESC LIMIT 1",
            [entity, entity_id, stamp(when)],
        )
    )
    return _row(rows[0]) if rows else None
