"""Flagsmith: audit-log records, and `FLAG_UPDATED` / `FLAG_DELETED` / `AUDIT_LOG_CREATED` webhooks.

Audit record: id, created_date, log, author, environment, project, related_object_id,
related_object_type, is_system_event. Its `log` text says what happened ("Flag state / Remote
Config value updated for feature: X") but not which way, so a state change read from the audit
log is `updated` with no direction. A `FLAG_UPDATED` webhook carries
`data.{changed_by, new_state, previous_state, timestamp}`; `*_state.enabled` gives the direction.
"""

from __future__ import annotations

import re
from typing import Any

from kb.silent.events import (
    STATE_AFTER,
    EventError,
    FlagEvent,
    event_key,
    optional_str,
    parse_at,
    require_object,
)

SOURCE = "flagsmith"

# Flagsmith's audit message templates (api/audit/constants.py), most specific first
_LOG_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^New Flag / Remote Config created: (?P<f>.+)$"), "created"),
    (re.compile(r"^Flag / Remote Config Deleted: (?P<f>.+)$"), "deleted"),
    (re.compile(r"^Flag / Remote Config updated: (?P<f>.+)$"), "updated"),
    (re.compile(r"^Flag state(?: / Remote [Cc]onfig value)? updated for feature: (?P<f>[^ ]+)"), "updated"),
    (re.compile(r"^Flag state / Remote config updated for feature: (?P<f>[^ ]+) by Change Request"), "updated"),
    (re.compile(r"^Remote config value updated for feature: (?P<f>.+)$"), "updated"),
    (re.compile(r"went live for feature: (?P<f>[^ ]+) by"), "updated"),
]


def looks_like(record: Any) -> bool:
    if not isinstance(record, dict):
        return False
    if "event_type" in record and isinstance(record.get("data"), dict):
        return True
    return "created_date" in record and ("log" in record or "related_object_type" in record)


def _name(value: Any) -> str:
    if isinstance(value, dict):
        return optional_str(value.get("name")) or optional_str(value.get("email"))
    return optional_str(value) if isinstance(value, str) else ""


def _author(value: Any) -> str:
    if isinstance(value, dict):
        if value.get("email"):
            return str(value["email"])
        return " ".join(str(value[k]) for k in ("first_name", "last_name") if value.get(k))
    return optional_str(value)


def normalise(record: Any, index: int) -> list[FlagEvent]:
    item = require_object(record, index)
    kind = item.get("event_type")
    if kind is None:
        return _audit(item, index, item)
    if kind == "AUDIT_LOG_CREATED":
        return _audit(require_object(item.get("data"), index, "data"), index, item)
    if kind not in ("FLAG_UPDATED", "FLAG_DELETED"):
        return []
    data = require_object(item.get("data"), index, "data")
    new, old = data.get("new_state"), data.get("previous_state")
    state = new if isinstance(new, dict) else old
    if not isinstance(state, dict):
        raise EventError(index, "data.new_state", "is missing (and so is data.previous_state)")
    feature = state.get("feature")
    flag = _name(feature)
    if not flag:
        raise EventError(index, "data.new_state.feature.name", "is missing")
    at = parse_at(data.get("timestamp"), index, "data.timestamp")
    if kind == "FLAG_DELETED":
        action, (state_from, state_to) = "deleted", STATE_AFTER["deleted"]
    else:
        before = old.get("enabled") if isinstance(old, dict) else None
        after = new.get("enabled") if isinstance(new, dict) else None
        if isinstance(after, bool) and isinstance(before, bool) and before != after:
            action = "enabled" if after else "disabled"
            state_from, state_to = ("on" if before else "off"), ("on" if after else "off")
        elif isinstance(after, bool) and before is None:
            action = "enabled" if after else "disabled"
            state_from, state_to = None, "on" if after else "off"
        else:
            action, state_from, state_to = "updated", None, None
    return [
        FlagEvent(
            event_key=event_key(SOURCE, None, item),
            source=SOURCE,
            flag_key=flag,
            environment=_name(state.get("environment")),
            action=action,  # type: ignore[arg-type]
            state_from=state_from,
            state_to=state_to,
            at=at,
            actor=_author(data.get("changed_by")),
            comment="",
            raw=item,
        )
    ]


def _audit(rec: dict[str, Any], index: int, raw: dict[str, Any]) -> list[FlagEvent]:
    vid = rec.get("id")
    if rec.get("related_object_type") not in (None, "FEATURE", "FEATURE_STATE"):
        return []
    log = optional_str(rec.get("log"))
    found = next(((m, action) for pattern, action in _LOG_PATTERNS if (m := pattern.search(log))), None)
    if found is None:
        return []  # segments, environments, identities, change requests
    m, action = found
    at = parse_at(rec.get("created_date"), index, "created_date", vid)
    state_from, state_to = STATE_AFTER.get(action, (None, None))
    return [
        FlagEvent(
            event_key=event_key(SOURCE, vid, raw),
            source=SOURCE,
            flag_key=m.group("f").strip().strip("'"),
            environment=_name(rec.get("environment")),
            action=action,  # type: ignore[arg-type]
            state_from=state_from,
            state_to=state_to,
            at=at,
            actor=_author(rec.get("author")),
            comment="",
            raw=raw,
        )
    ]
