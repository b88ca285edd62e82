"""GrowthBook event webhooks: `feature.created`, `feature.updated`, `feature.deleted`.

Payload: event, object, api_version, created, data{object, previous_attributes}, user, projects,
tags, environments. A feature carries `environments.<env>.enabled` and `revision.{version,
comment, date, publishedBy}`; comparing `data.object.environments.<env>.enabled` with
`data.previous_attributes.environments.<env>.enabled` gives one event per environment that flipped.
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
)

SOURCE = "growthbook"


def looks_like(record: Any) -> bool:
    return isinstance(record, dict) and str(record.get("event", "")).startswith(("feature.", "experiment.", "user."))


def _enabled(feature: Any, env: str) -> bool | None:
    if not isinstance(feature, dict) or not isinstance(feature.get("environments"), dict):
        return None
    state = feature["environments"].get(env)
    return state.get("enabled") if isinstance(state, dict) and isinstance(state.get("enabled"), bool) else None


def _env_names(feature: dict[str, Any]) -> list[str]:
    envs = feature.get("environments")
    return list(envs) if isinstance(envs, dict) else []


def _actor(item: dict[str, Any], revision: dict[str, Any]) -> str:
    user = item.get("user")
    if isinstance(user, dict):
        who = optional_str(user.get("email")) or optional_str(user.get("name"))
        if who:
            return who
    return optional_str(revision.get("publishedBy"))


def normalise(record: Any, index: int) -> list[FlagEvent]:
    item = require_object(record, index)
    vid = item.get("id")
    kind = optional_str(item.get("event"))
    if kind not in ("feature.created", "feature.updated", "feature.deleted"):
        return []
    data = require_object(item.get("data"), index, "data")
    feature = require_object(data.get("object"), index, "data.object")
    flag = optional_str(feature.get("id"))
    if not flag:
        raise EventError(index, "data.object.id", "is missing (the feature key)", vid)
    revision = feature.get("revision") if isinstance(feature.get("revision"), dict) else {}
    when = item.get("created", revision.get("date"))
    at = parse_at(when, index, "created", vid)
    common = {
        "source": SOURCE,
        "flag_key": flag,
        "at": at,
        "actor": _actor(item, revision),
        "comment": optional_str(revision.get("comment")),
        "raw": item,
    }
    if kind != "feature.updated":
        action = "created" if kind == "feature.created" else "deleted"
        state_from, state_to = STATE_AFTER.get(action, (None, None))
        return [
            FlagEvent(
                event_key=event_key(SOURCE, vid, item),
                action=action,
                state_from=state_from,
                state_to=state_to,
                **common,
            )
        ]
    previous = data.get("previous_attributes") if isinstance(data.get("previous_attributes"), dict) else {}
    envs = sorted({*_env_names(feature), *_env_names(previous)})
    out: list[FlagEvent] = []
    for env in envs:
        after, before = _enabled(feature, env), _enabled(previous, env)
        if after is None or before is None or after == before:
            continue
        out.append(
            FlagEvent(
                event_key=event_key(SOURCE, vid, item, env),
                environment=env,
                action="enabled" if after else "disabled",
                state_from="on" if before else "off",
                state_to="on" if after else "off",
                **common,
            )
        )
    if not out:  # rules, values or metadata changed, no environment flipped
        out.append(FlagEvent(event_key=event_key(SOURCE, vid, item), action="updated", **common))
    if previous.get("archived") is False and feature.get("archived") is True:
        out.append(
            FlagEvent(event_key=event_key(SOURCE, vid, item, "archived"), action="archived", state_to="off", **common)
        )
    return out
