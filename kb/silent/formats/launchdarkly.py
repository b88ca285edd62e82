"""LaunchDarkly audit log (`{"items": [...]}` from the audit-log API, or webhook payloads alike).

An entry: _id, date (epoch ms), accesses [{action, resource}], kind, name, comment, member,
titleVerb, previousVersion, currentVersion. `updateOn` is used for both directions, so the
direction comes from `previousVersion.environments.<env>.on` against `currentVersion`'s. One
entry can touch several environments or flags: every access becomes its own event.
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

SOURCE = "launchdarkly"

ACTION_BY_VERB = {
    "deleteFlag": "deleted",
    "createFlag": "created",
    "cloneFlag": "created",
}


def looks_like(record: Any) -> bool:
    return isinstance(record, dict) and "accesses" in record and ("_id" in record or "date" in record)


def parse_resource(resource: str) -> dict[str, str]:
    """`proj/default:env/production:flag/churn-model-enabled` -> {'proj': ..., 'env': ..., 'flag': ...}."""
    out: dict[str, str] = {}
    for part in resource.split(":"):
        kind, _, name = part.partition("/")
        out[kind.strip()] = name.split(";", 1)[0].strip()
    return out


def _env_on(version: Any, env: str) -> bool | None:
    if not isinstance(version, dict):
        return None
    envs = version.get("environments")
    if not isinstance(envs, dict) or not isinstance(envs.get(env), dict):
        return None
    on = envs[env].get("on")
    return on if isinstance(on, bool) else None


def _actor(member: Any) -> str:
    if not isinstance(member, dict):
        return ""
    if member.get("email"):
        return str(member["email"])
    return " ".join(str(member[k]) for k in ("firstName", "lastName") if member.get(k))


def normalise(record: Any, index: int) -> list[FlagEvent]:
    item = require_object(record, index)
    vid = item.get("_id")
    if item.get("kind", "flag") != "flag":
        return []
    accesses = item.get("accesses")
    if not isinstance(accesses, list) or not accesses:
        raise EventError(index, "accesses", "must be a non-empty list of {action, resource}", vid)
    at = parse_at(item.get("date"), index, "date", vid)
    out: list[FlagEvent] = []
    for n, access in enumerate(accesses):
        if not isinstance(access, dict) or not isinstance(access.get("resource"), str):
            raise EventError(index, f"accesses[{n}].resource", "is missing", vid)
        verb = optional_str(access.get("action"))
        res = parse_resource(access["resource"])
        flag = res.get("flag", "")
        if not flag or flag == "*":
            continue
        env = res.get("env", "")
        env = "" if env == "*" else env
        action, state_from, state_to = _classify(verb, item, env)
        part = f"{env}:{flag}" if len(accesses) > 1 else ""
        out.append(
            FlagEvent(
                event_key=event_key(SOURCE, vid, item, part),
                source=SOURCE,
                flag_key=flag,
                environment=env,
                action=action,  # type: ignore[arg-type]
                state_from=state_from,
                state_to=state_to,
                at=at,
                actor=_actor(item.get("member")),
                comment=optional_str(item.get("comment")),
                raw=item,
            )
        )
    return out


def _classify(verb: str, item: dict[str, Any], env: str) -> tuple[str, str | None, str | None]:
    if verb == "updateOn":
        before = _env_on(item.get("previousVersion"), env)
        after = _env_on(item.get("currentVersion"), env)
        if after is None:  # no versions in the payload: fall back on the words LaunchDarkly shows
            title = optional_str(item.get("titleVerb")).lower()
            after = True if "turned on" in title else False if "turned off" in title else None
        if after is None or before == after:
            return "updated", None, None
        word = "enabled" if after else "disabled"
        return word, ("on" if before else "off") if before is not None else None, "on" if after else "off"
    if verb == "updateGlobalArchived":
        archived = (
            item.get("currentVersion", {}).get("archived") if isinstance(item.get("currentVersion"), dict) else None
        )
        if archived is False:
            return "updated", None, None
        return "archived", *STATE_AFTER["archived"]
    action = ACTION_BY_VERB.get(verb, "updated")
    state_from, state_to = STATE_AFTER.get(action, (None, None))
    return action, state_from, state_to
