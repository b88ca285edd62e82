"""Flagsmith: audit-log records (list and retrieve endpoints), and `FLAG_UPDATED` / `FLAG_DELETED` /
`AUDIT_LOG_CREATED` webhooks.

Audit record (`AuditLogListSerializer`): id, created_date, log, author {id, email, first_name,
last_name} (null for a change made with an API key), environment ({id, name, ...}, or a bare id
in older responses), project, related_object_id, related_object_type, is_system_event; the
retrieve endpoint adds change_details [{field, old, new}]. The `log` text comes from Flagsmith's
templates (api/audit/constants.py); it names the feature, and for an override the identity or
segment ("... for feature 'X' and segment 'beta-users'"). The direction of a state change comes
from change_details' `enabled` field; without it the record is `updated` with no direction.

A `FLAG_UPDATED` webhook carries `data.{changed_by, new_state, previous_state, timestamp}`; a
state holds enabled, environment, feature, feature_segment, feature_state_value, identity and
identity_identifier. A state with an identity or a feature segment is an override for that
identity or segment, never the environment's state. A creation arrives as `FLAG_UPDATED` with no
previous state.
"""

from __future__ import annotations

import re
from typing import Any

from kb.silent.events import (
    STATE_AFTER,
    EventError,
    FlagEvent,
    boolean_serving,
    event_key,
    legacy_key,
    name_of,
    optional_str,
    parse_at,
    require_object,
)

SOURCE = "flagsmith"

_OVERRIDE = r"^Flag state / Remote [Cc]onfig value (?:updated|deleted) for feature '(?P<f>.+)'"
# Flagsmith's audit message templates (api/audit/constants.py), most specific first:
# (pattern, action, override kind or "")
_LOG_PATTERNS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"^New Flag / Remote Config created: (?P<f>.+)$"), "created", ""),
    (re.compile(r"^Flag / Remote Config Deleted: (?P<f>.+)$"), "deleted", ""),
    (re.compile(r"^Flag / Remote Config updated: (?P<f>.+)$"), "updated", ""),
    (re.compile(_OVERRIDE + r" and identity '(?P<o>.*)'$"), "updated", "identity"),
    (re.compile(_OVERRIDE + r" and segment '(?P<o>.*)'$"), "updated", "segment"),
    (re.compile(r"^Segment rules updated for flag: (?P<f>.+) in environment: (?P<e>.+)$"), "updated", "segment"),
    (re.compile(r"^Flag state(?: / Remote [Cc]onfig value)? updated for feature: (?P<f>[^ ]+)"), "updated", ""),
    (re.compile(r"went live for feature: (?P<f>[^ ]+) by"), "updated", ""),
    (re.compile(r"^Remote config value updated for feature: (?P<f>.+)$"), "updated", ""),
]


def looks_like(record: Any) -> bool:
    if not isinstance(record, dict):
        return False
    if "event_type" in record and isinstance(record.get("data"), dict):
        return True
    return "created_date" in record and ("log" in record or "related_object_type" in record)


def _author(value: Any, system: Any = False) -> str:
    if isinstance(value, dict):
        if value.get("email"):
            return str(value["email"])
        who = " ".join(str(value[k]) for k in ("first_name", "last_name") if value.get(k))
        if who:
            return who
    elif isinstance(value, str) and value.strip():
        return value.strip()
    return "Flagsmith (system)" if system is True else "an API key"


def _scope(state: Any) -> str:
    """`identity:<identifier>` or `segment:<name>` for an override, '' for the environment's own state."""
    if not isinstance(state, dict):
        return ""
    ident = state.get("identity_identifier") or state.get("identity")
    if ident not in (None, ""):
        return f"identity:{name_of(ident, 'identifier', 'id') or ident}"
    seg = state.get("feature_segment")
    if seg not in (None, ""):
        if isinstance(seg, dict):
            return f"segment:{name_of(seg.get('segment'), 'name', 'id') or name_of(seg, 'segment', 'id')}"
        return f"segment:{seg}"
    return ""


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
    flag = name_of(state.get("feature"), "name")
    if not flag:
        raise EventError(index, "data.new_state.feature.name", "is missing")
    at = parse_at(data.get("timestamp"), index, "data.timestamp")
    extra: dict[str, Any] = {}
    if kind == "FLAG_DELETED":
        action, (state_from, state_to) = "deleted", STATE_AFTER["deleted"]
    elif not isinstance(old, dict):
        action, state_from, state_to = "created", None, None  # a new feature (or override), not a switch
    else:
        before, after = old.get("enabled"), new.get("enabled") if isinstance(new, dict) else None
        if isinstance(after, bool) and isinstance(before, bool) and before != after:
            action = "enabled" if after else "disabled"
            state_from, state_to = ("on" if before else "off"), ("on" if after else "off")
            extra = {"serving_from": boolean_serving(before), "serving_to": boolean_serving(after)}
        else:
            action, state_from, state_to = "updated", None, None
    project = state.get("feature", {}).get("project") if isinstance(state.get("feature"), dict) else None
    return [
        FlagEvent(
            event_key=event_key(SOURCE, None, item),
            source=SOURCE,
            flag_key=flag,
            environment=name_of(state.get("environment"), "name", "id"),
            action=action,  # type: ignore[arg-type]
            state_from=state_from,
            state_to=state_to,
            at=at,
            actor=_author(data.get("changed_by")),
            comment="",
            scope=_scope(state),
            instance=name_of(project, "id", "name") if project is not None else "",
            raw=item,
            **extra,
        )
    ]


def _audit(rec: dict[str, Any], index: int, raw: dict[str, Any]) -> list[FlagEvent]:
    vid = rec.get("id")
    if rec.get("related_object_type") not in (None, "FEATURE", "FEATURE_STATE", "SEGMENT", "IDENTITY"):
        return []
    log = optional_str(rec.get("log"))
    found = next(((m, a, o) for pattern, a, o in _LOG_PATTERNS if (m := pattern.search(log))), None)
    if found is None:
        return []  # segments, environments, identities, change requests
    m, action, override = found
    at = parse_at(rec.get("created_date"), index, "created_date", vid)
    state_from, state_to = STATE_AFTER.get(action, (None, None))
    scope = ""
    if override:
        scope = f"{override}:{m.group('o')}" if "o" in m.groupdict() else f"{override} rules"
    environment = name_of(rec.get("environment"), "name", "id")
    if not environment and "e" in m.groupdict():
        environment = m.group("e").strip()
    extra: dict[str, Any] = {}
    enabled = _enabled_change(rec.get("change_details"))
    if enabled is not None and action == "updated":
        before, after = enabled
        action, state_from, state_to = (
            ("enabled" if after else "disabled"),
            ("on" if before else "off"),
            ("on" if after else "off"),
        )
        extra = {"serving_from": boolean_serving(before), "serving_to": boolean_serving(after)}
    instance = name_of(rec.get("project"), "id", "name")
    return [
        FlagEvent(
            event_key=event_key(SOURCE, vid, raw, instance=instance),
            legacy_key=legacy_key(SOURCE, vid) if instance else "",
            source=SOURCE,
            flag_key=m.group("f").strip().strip("'"),
            environment=environment,
            action=action,  # type: ignore[arg-type]
            state_from=state_from,
            state_to=state_to,
            at=at,
            actor=_author(rec.get("author"), rec.get("is_system_event")),
            comment="",
            scope=scope,
            instance=instance,
            raw=raw,
            **extra,
        )
    ]


def _enabled_change(details: Any) -> tuple[bool, bool] | None:
    """(before, after) from a retrieve record's change_details, when its `enabled` field changed."""
    if not isinstance(details, list):
        return None
    for d in details:
        if isinstance(d, dict) and d.get("field") == "enabled":
            old, new = d.get("old"), d.get("new")
            if isinstance(old, bool) and isinstance(new, bool) and old != new:
                return old, new
    return None
