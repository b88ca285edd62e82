"""GrowthBook: event webhooks (`feature.created/updated/deleted`), older webhooks, and the audit-log API.

Event webhook: id, event, object, api_version, created, data {object, previous_attributes}, user
({type: dashboard, id, email, name} or {type: api_key, apiKey}), projects, tags, environments.
Older webhooks put the feature in `data.current` and `data.previous`. A feature (`ApiFeature`)
carries id (its key), project, archived, `environments.<env>.{enabled, defaultValue, rules}` and
`revision.{version, comment, date, publishedBy}`.

Audit-log API (`GET /api/v1/history/feature`, `{"events": [...]}`; schema `AuditLog`): id, user
({id, email, name} or {apiKey}), event ("feature.toggle", "feature.publish", "feature.update",
"feature.create", "feature.delete", "feature.archive"), entity {object, id, name}, reason,
details (a JSON *string*: {pre, post, context}), dateCreated. A toggle from the UI writes
`{pre: {on}, post: {on}, context: {environment}}`; one from the REST API writes the whole feature
before and after (`environmentSettings.<env>.{enabled, rules}`, `defaultValue`).

What an environment serves: its first rule that applies to everyone (a `force` rule, or a
`rollout` rule's coverage of its value) else the default value. Rules with a condition or saved
groups target some users only.
"""

from __future__ import annotations

import json
from typing import Any

from kb.silent.events import (
    STATE_AFTER,
    EventError,
    FlagEvent,
    Serving,
    as_dict,
    event_key,
    json_value,
    legacy_key,
    name_of,
    optional_str,
    parse_at,
    require_object,
)

SOURCE = "growthbook"
WEBHOOK_EVENTS = ("feature.created", "feature.updated", "feature.deleted")
AUDIT_ACTIONS = {
    "feature.create": "created",
    "feature.delete": "deleted",
    "feature.archive": "archived",
    "feature.toggle": "updated",
    "feature.publish": "updated",
    "feature.update": "updated",
}


def looks_like(record: Any) -> bool:
    return isinstance(record, dict) and str(record.get("event", "")).startswith(("feature.", "experiment.", "user."))


def _value(text: Any) -> str:
    """A GrowthBook value (kept as text: "true", "0.5", "treatment") as the JSON text kb compares."""
    if not isinstance(text, str):
        return json_value(text)
    try:
        return json_value(json.loads(text))
    except ValueError:
        return json_value(text)


def _settings(feature: Any) -> dict[str, Any]:
    """Per-environment settings of an ApiFeature (`environments`) or a stored feature (`environmentSettings`)."""
    if not isinstance(feature, dict):
        return {}
    for key in ("environments", "environmentSettings"):
        if isinstance(feature.get(key), dict):
            return feature[key]
    return {}


def _enabled(feature: Any, env: str) -> bool | None:
    state = _settings(feature).get(env)
    return state.get("enabled") if isinstance(state, dict) and isinstance(state.get("enabled"), bool) else None


def _for_everyone(rule: dict[str, Any]) -> bool:
    if rule.get("enabled") is False:
        return False
    cond = rule.get("condition")
    return cond in (None, "", "{}") and not rule.get("savedGroups") and not rule.get("prerequisites")


def serving(feature: Any, env: str) -> Serving | None:
    state = _settings(feature).get(env)
    if not isinstance(feature, dict) or not isinstance(state, dict):
        return None
    default = state.get("defaultValue", feature.get("defaultValue"))
    rules = state.get("rules")
    for rule in rules if isinstance(rules, list) else []:  # hostile input may put any value here
        if not isinstance(rule, dict) or not _for_everyone(rule):
            continue
        if rule.get("type") == "force" and "value" in rule:
            return {_value(rule["value"]): 1.0}
        if rule.get("type") == "rollout" and "value" in rule and isinstance(rule.get("coverage"), int | float):
            cover = float(rule["coverage"])
            out: Serving = {_value(rule["value"]): cover}
            if default is not None and cover < 1:
                out[_value(default)] = out.get(_value(default), 0.0) + 1 - cover
            return out
    return {_value(default): 1.0} if default is not None else None


def _actor(user: Any, revision: dict[str, Any] | None = None) -> str:
    if isinstance(user, dict):
        who = optional_str(user.get("email")) or optional_str(user.get("name"))
        if who:
            return who
        if user.get("apiKey") or user.get("type") == "api_key":
            return f"API key {optional_str(user.get('apiKey'))}".strip()
        if user.get("type") == "system":
            return "GrowthBook (system)"
    return optional_str((revision or {}).get("publishedBy"))


def normalise(record: Any, index: int) -> list[FlagEvent]:
    item = require_object(record, index)
    if isinstance(item.get("entity"), dict) and "dateCreated" in item:
        return _audit(item, index)
    vid = item.get("id")
    kind = optional_str(item.get("event"))
    if kind not in WEBHOOK_EVENTS:
        return []
    data = require_object(item.get("data"), index, "data")
    legacy = "object" not in data and "current" in data
    feature = require_object(
        data.get("current" if legacy else "object"), index, "data.current" if legacy else "data.object"
    )
    flag = optional_str(feature.get("id"))
    if not flag:
        raise EventError(index, "data.object.id", "is missing (the feature key)", vid)
    revision = as_dict(feature.get("revision"))
    at = parse_at(item.get("created", revision.get("date")), index, "created", vid)
    prev = data.get("previous" if legacy else "previous_attributes")
    previous: dict[str, Any] = prev if isinstance(prev, dict) else {}
    instance = optional_str(feature.get("project"))
    common: dict[str, Any] = {
        "source": SOURCE,
        "flag_key": flag,
        "at": at,
        "actor": _actor(item.get("user"), revision),
        "comment": optional_str(revision.get("comment")),
        "instance": instance,
        "raw": item,
    }
    key = lambda part="": event_key(SOURCE, vid, item, part, instance)  # noqa: E731
    old = lambda part="": legacy_key(SOURCE, vid, part) if instance else ""  # noqa: E731
    if kind != "feature.updated":
        action = "created" if kind == "feature.created" else "deleted"
        state_from, state_to = STATE_AFTER.get(action, (None, None))
        return [
            FlagEvent(
                event_key=key(),
                legacy_key=old(),
                action=action,  # type: ignore[arg-type]
                state_from=state_from,
                state_to=state_to,
                **common,
            )
        ]
    out = _changes(feature, previous, key, old, common)
    if previous.get("archived") is False and feature.get("archived") is True:
        out.append(
            FlagEvent(
                event_key=key("archived"), legacy_key=old("archived"), action="archived", state_to="off", **common
            )
        )
    return out


def _changes(
    after: dict[str, Any], before: dict[str, Any], key: Any, old: Any, common: dict[str, Any]
) -> list[FlagEvent]:
    """One event per environment whose toggle or served value changed; one `updated` if none did."""
    out: list[FlagEvent] = []
    for env in sorted({*_settings(after), *_settings(before)}):
        on_after, on_before = _enabled(after, env), _enabled(before, env)
        served_after, served_before = serving(after, env), serving(before, env)
        toggled = on_after is not None and on_before is not None and on_after != on_before
        served = served_after is not None and served_before is not None and served_after != served_before
        if not toggled and not served:
            continue
        fields: dict[str, Any] = {"action": "updated"}
        if toggled:
            fields.update(
                action="enabled" if on_after else "disabled",
                state_from="on" if on_before else "off",
                state_to="on" if on_after else "off",
            )
        if served:
            fields.update(serving_from=served_before, serving_to=served_after)
            if on_after is not False:
                fields["detail"] = f"served value changed from {_show(served_before)} to {_show(served_after)}"
        out.append(FlagEvent(event_key=key(env), legacy_key=old(env), environment=env, **fields, **common))
    if not out:  # metadata, targeted rules or values elsewhere changed: no environment flipped
        out.append(FlagEvent(event_key=key(), legacy_key=old(), action="updated", **common))
    return out


def _show(s: Serving | None) -> str:
    if not s:
        return "?"
    if len(s) == 1:
        return f"`{next(iter(s))}`"
    return ", ".join(f"`{k}` {v:.0%}" for k, v in sorted(s.items()))


def _audit(item: dict[str, Any], index: int) -> list[FlagEvent]:
    vid = item.get("id")
    entity = item["entity"]
    kind = optional_str(item.get("event"))
    if entity.get("object") != "feature" or kind not in AUDIT_ACTIONS:
        return []
    flag = name_of(entity, "id")
    if not flag:
        raise EventError(index, "entity.id", "is missing (the feature key)", vid)
    at = parse_at(item.get("dateCreated"), index, "dateCreated", vid)
    details: Any = {}
    text = item.get("details")
    if isinstance(text, str) and text.strip():
        try:
            details = json.loads(text)
        except ValueError:
            raise EventError(index, "details", "is not valid JSON text", vid) from None
    elif isinstance(text, dict):
        details = text
    details = details if isinstance(details, dict) else {}
    pre = as_dict(details.get("pre"))
    post = as_dict(details.get("post"))
    context = as_dict(details.get("context"))
    instance = optional_str(post.get("project")) or optional_str(pre.get("project"))
    common: dict[str, Any] = {
        "source": SOURCE,
        "flag_key": flag,
        "at": at,
        "actor": _actor(item.get("user")),
        "comment": optional_str(item.get("reason")),
        "instance": instance,
        "raw": item,
    }
    key = lambda part="": event_key(SOURCE, vid, item, part, instance)  # noqa: E731
    old = lambda part="": legacy_key(SOURCE, vid, part) if instance else ""  # noqa: E731
    action = AUDIT_ACTIONS[kind]
    if action != "updated":
        state_from, state_to = STATE_AFTER.get(action, (None, None))
        return [
            FlagEvent(
                event_key=key(),
                legacy_key=old(),
                action=action,  # type: ignore[arg-type]
                state_from=state_from,
                state_to=state_to,
                **common,
            )
        ]  # type: ignore[arg-type]
    if isinstance(pre.get("on"), bool) and isinstance(post.get("on"), bool):  # a toggle from the UI
        env = optional_str(context.get("environment"))
        if pre["on"] == post["on"]:
            return [FlagEvent(event_key=key(), legacy_key=old(), action="updated", environment=env, **common)]
        on = post["on"]
        return [
            FlagEvent(
                event_key=key(),
                legacy_key=old(),
                environment=env,
                action="enabled" if on else "disabled",
                state_from="off" if on else "on",
                state_to="on" if on else "off",
                **common,
            )
        ]
    return _changes(post, pre, key, old, common)
