"""Flag events kb writes itself: the disable behind a shutdown a person logged by hand.

Imported vendor logs go through `kb.ops.silent.import_flags`; this is the one statement for an event
that no vendor log holds yet, so the detector sees the flag as off from the moment it is logged.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database

SOURCE = "kb"


def disable_on_day(db: Database, flag: str, environment: str, day: str) -> bool:
    """Whether the log already holds a switch-off of `flag` in `environment` on the UTC `day`."""
    row = db.execute(
        "SELECT 1 FROM flag_events WHERE flag_key = ? AND environment = ? AND state_to = 'off' "
        "AND at >= ? AND at < ? LIMIT 1",
        [flag, environment, day, day + "\uffff"],
    ).fetchone()
    return row is not None


def latest_disable(db: Database, flag: str, environment: str) -> tuple[str, str] | None:
    """(at, actor) of the latest switch-off of `flag` in `environment`, or None."""
    row = db.execute(
        "SELECT at, actor FROM flag_events WHERE flag_key = ? AND environment = ? AND state_to = 'off' "
        "ORDER BY at DESC, id DESC LIMIT 1",
        [flag, environment],
    ).fetchone()
    return (row[0], row[1]) if row else None


def record_disable(
    db: Database, *, incident_id: str, flag: str, environment: str, at: str, actor: str, imported_at: str, raw: Any
) -> None:
    """One `disabled` event, keyed by the incident that logged it (logging it again adds nothing)."""
    db.execute(
        "INSERT OR IGNORE INTO flag_events (event_key, source, flag_key, environment, action, state_from, "
        "state_to, at, actor, comment, raw, imported_at) VALUES (?, ?, ?, ?, 'disabled', 'on', 'off', ?, ?, '', ?, ?)",
        [
            f"{SOURCE}:log-shutdown:{incident_id}",
            SOURCE,
            flag,
            environment,
            at,
            actor,
            json.dumps(raw, ensure_ascii=False, sort_keys=True),
            imported_at,
        ],
    )
