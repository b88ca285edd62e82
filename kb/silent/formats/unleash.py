"""Unleash events API: `{"version": 1, "events": [...], "totalEvents": N}` or a bare list.

Each event: id, type, createdAt, createdBy, environment, project, featureName, data, preData, tags.
Unleash events carry no reason field; when a pipeline adds one as `data.comment` (or
`data.reason`), kb keeps it, otherwise the comment is empty.
"""

from __future__ import annotations

from typing import Any

from kb.silent.events import (
    STATE_AFTER,
    EventError,
    FlagEvent,
    event_key,
    optional_str,
    parse_at,
    require_object,
    require_str,
)

SOURCE = "unleash"

ACTION_BY_TYPE = {
    "feature-environment-enabled": "enabled",
    "feature-environment-disabled": "disabled",
    "feature-archived": "archived",
    "feature-deleted": "deleted",
    "feature-created": "created",
    "feature-import": "created",
}


def looks_like(record: Any) -> bool:
    return isinstance(record, dict) and "type" in record and "createdAt" in record and "createdBy" in record


def normalise(record: Any, index: int) -> list[FlagEvent]:
    item = require_object(record, index)
    vid = item.get("id")
    kind = require_str(item, "type", index, vid)
    name = item.get("featureName")
    if not kind.startswith("feature") or name in (None, ""):
        return []  # user, project, segment and API-token events are not about a flag
    if not isinstance(name, str):
        raise EventError(index, "featureName", f"{name!r} is not a string", vid)
    at = parse_at(item.get("createdAt"), index, "createdAt", vid)
    action = ACTION_BY_TYPE.get(kind, "updated")
    state_from, state_to = STATE_AFTER.get(action, (None, None))
    data = item.get("data") if isinstance(item.get("data"), dict) else {}
    comment = optional_str(data.get("comment")) or optional_str(data.get("reason"))
    return [
        FlagEvent(
            event_key=event_key(SOURCE, vid, item),
            source=SOURCE,
            flag_key=name,
            environment=optional_str(item.get("environment")),
            action=action,  # type: ignore[arg-type]
            state_from=state_from,
            state_to=state_to,
            at=at,
            actor=optional_str(item.get("createdBy")),
            comment=comment,
            raw=item,
        )
    ]
