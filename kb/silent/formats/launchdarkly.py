"""LaunchDarkly audit log: the list endpoint (`{"items": [...], "totalCount": N}`), the entry
endpoint, and webhooks (the same entry shape, one per request).

An entry (`AuditLogEntryListingRep` / `AuditLogEntryRep`): _id, _accountId, date (epoch ms),
accesses [{action, resource}], kind, name, description, shortDescription, comment, member
{_id, email, firstName, lastName}, token {_id, name, ending, serviceToken}, app {_id, name},
titleVerb, title, target {name, resources}; the entry endpoint and webhooks add previousVersion
and currentVersion (the whole flag: variations [{value, name}] and environments.<env>.{on,
offVariation, fallthrough {variation | rollout {variations [{variation, weight}]}}}, weights out
of 100000).

One entry may carry several accesses on the same flag and environment (`updateOn` with
`updateFallthrough`): kb makes one event per flag and environment holding the net change, read
from the two versions when the entry has them, else from the words LaunchDarkly wrote
(`description` lines such as "* Turned the flag off" or "* Changed the default variation from
~~`on`~~ to `off`", and `titleVerb`). What the environment serves: its off variation when the
flag is off, else its default (fallthrough) variation or rollout. Changes to individual targets
or rules only are overrides (scope `targets` / `rules`).
"""

from __future__ import annotations

import re
from typing import Any

from kb.silent.events import (
    OFF,
    ON,
    STATE_AFTER,
    EventError,
    FlagEvent,
    Serving,
    event_key,
    json_value,
    legacy_key,
    name_of,
    optional_str,
    parse_at,
    require_object,
)

SOURCE = "launchdarkly"

ACTION_BY_VERB = {"deleteFlag": "deleted", "createFlag": "created", "cloneFlag": "created"}
OVERRIDE_VERBS = {
    "updateTargets": "targets",
    "updateContextTargets": "targets",
    "updateRules": "rules",
    "updatePrerequisites": "prerequisites",
}
SERVING_VERBS = ("updateOn", "updateFallthrough", "updateFallthroughWithMeasuredRollout", "updateOffVariation")
WEIGHT_TOTAL = 100_000

_TURNED = re.compile(r"turned (?:the flag )?(on|off)\b|turned (on|off) the flag", re.IGNORECASE)
_DEFAULT = re.compile(r"changed the default (?:variation|rule)[^~`]*?from ~~`([^`]*)`~~ to `([^`]*)`", re.IGNORECASE)


def looks_like(record: Any) -> bool:
    return isinstance(record, dict) and "accesses" in record and ("_id" in record or "date" in record)


def parse_resource(resource: str) -> dict[str, str]:
    """`proj/default:env/production:flag/churn-model-enabled` -> {'proj': ..., 'env': ..., 'flag': ...}."""
    out: dict[str, str] = {}
    for part in resource.split(":"):
        kind, _, name = part.partition("/")
        out[kind.strip()] = name.split(";", 1)[0].strip()
    return out


def actor(item: dict[str, Any]) -> str:
    """Who made the change: a member, else an API token or an app by name."""
    member = item.get("member")
    if isinstance(member, dict):
        if member.get("email"):
            return str(member["email"])
        who = " ".join(str(member[k]) for k in ("firstName", "lastName") if member.get(k))
        if who:
            return who
    token = item.get("token")
    if isinstance(token, dict):
        name = name_of(token, "name", "_id")
        return f"API token {name}" if name else "an API token"
    app = item.get("app")
    if isinstance(app, dict):
        name = name_of(app, "name", "_id")
        return f"app {name}" if name else "an app"
    return ""


def _env(version: Any, env: str) -> dict[str, Any] | None:
    if not isinstance(version, dict) or not isinstance(version.get("environments"), dict):
        return None
    got = version["environments"].get(env)
    return got if isinstance(got, dict) else None


def _variation(version: dict[str, Any], i: Any) -> str | None:
    variations = version.get("variations")
    if (
        isinstance(i, bool)
        or not isinstance(i, int)
        or not isinstance(variations, list)
        or not 0 <= i < len(variations)
    ):
        return None
    v = variations[i]
    return json_value(v.get("value")) if isinstance(v, dict) and "value" in v else None


def serving(version: Any, env: str) -> tuple[bool | None, Serving | None]:
    """(on, what the environment serves) in one version of the flag; None where the version does not say."""
    config = _env(version, env)
    if config is None:
        return None, None
    assert isinstance(version, dict)
    on = config.get("on") if isinstance(config.get("on"), bool) else None
    if on is False:
        off = _variation(version, config.get("offVariation"))
        return on, ({off: 1.0} if off is not None else None)
    fall = config.get("fallthrough")
    if not isinstance(fall, dict):
        return on, None
    if "variation" in fall and fall["variation"] is not None:
        value = _variation(version, fall["variation"])
        return on, ({value: 1.0} if value is not None else None)
    rollout = fall.get("rollout")
    if isinstance(rollout, dict) and isinstance(rollout.get("variations"), list):
        shares: Serving = {}
        for wv in rollout["variations"]:
            if not isinstance(wv, dict):
                continue
            value = _variation(version, wv.get("variation"))
            weight = wv.get("weight")
            if value is None or not isinstance(weight, int | float):
                return on, None
            shares[value] = shares.get(value, 0.0) + weight / WEIGHT_TOTAL
        return on, shares
    return on, None


def _named(text: str) -> str:
    """A variation named in LaunchDarkly's words, as the JSON text kb compares (`on`/`off` read as booleans)."""
    low = text.strip().lower()
    if low in ("true", "on"):
        return ON
    if low in ("false", "off"):
        return OFF
    return json_value(text.strip())


def _words(item: dict[str, Any]) -> str:
    return "\n".join(optional_str(item.get(k)) for k in ("description", "titleVerb", "title", "shortDescription"))


def normalise(record: Any, index: int) -> list[FlagEvent]:
    item = require_object(record, index)
    vid = item.get("_id")
    if item.get("kind", "flag") != "flag":
        return []
    accesses = item.get("accesses")
    if not isinstance(accesses, list) or not accesses:
        raise EventError(index, "accesses", "must be a non-empty list of {action, resource}", vid)
    at = parse_at(item.get("date"), index, "date", vid)
    groups: dict[tuple[str, str], list[str]] = {}
    instance = ""
    for n, access in enumerate(accesses):
        if not isinstance(access, dict) or not isinstance(access.get("resource"), str):
            raise EventError(index, f"accesses[{n}].resource", "is missing", vid)
        res = parse_resource(access["resource"])
        flag = res.get("flag", "")
        if not flag or flag == "*":
            continue
        env = res.get("env", "")
        instance = instance or (res.get("proj", "") if res.get("proj") != "*" else "")
        groups.setdefault(("" if env == "*" else env, flag), []).append(optional_str(access.get("action")))
    several = len(accesses) > 1
    common: dict[str, Any] = {
        "source": SOURCE,
        "at": at,
        "actor": actor(item),
        "comment": optional_str(item.get("comment")),
        "instance": instance,
        "raw": item,
    }
    out = []
    for (env, flag), verbs in groups.items():
        part = f"{env}:{flag}" if len(groups) > 1 else ""
        fields = _net(verbs, item, env)
        out.append(
            FlagEvent(
                event_key=event_key(SOURCE, vid, item, part, instance),
                legacy_key=legacy_key(SOURCE, vid, f"{env}:{flag}" if several else "") if instance else "",
                flag_key=flag,
                environment=env,
                **fields,
                **common,
            )
        )
    return out


def _net(verbs: list[str], item: dict[str, Any], env: str) -> dict[str, Any]:
    """The net change of one entry's accesses on one flag in one environment."""
    for verb in ("deleteFlag", "createFlag", "cloneFlag"):
        if verb in verbs:
            action = ACTION_BY_VERB[verb]
            state_from, state_to = STATE_AFTER.get(action, (None, None))
            return {"action": action, "state_from": state_from, "state_to": state_to}
    if "updateGlobalArchived" in verbs:
        current = item.get("currentVersion")
        if not (isinstance(current, dict) and current.get("archived") is False):
            return {"action": "archived", "state_from": None, "state_to": "off"}
    on_before, served_before = serving(item.get("previousVersion"), env)
    on_after, served_after = serving(item.get("currentVersion"), env)
    words = _words(item)
    if on_after is None and any(v in SERVING_VERBS for v in verbs):  # the list endpoint: no versions
        turned = [m.group(1) or m.group(2) for m in _TURNED.finditer(words)]
        if turned and "updateOn" in verbs:
            on_after = turned[-1].lower() == "on"
        default = _DEFAULT.search(words)
        if default and any(v.startswith("updateFallthrough") for v in verbs):
            served_before, served_after = {_named(default.group(1)): 1.0}, {_named(default.group(2)): 1.0}
    out: dict[str, Any] = {"action": "updated", "state_from": None, "state_to": None}
    if on_after is not None and on_before != on_after:
        out.update(
            action="enabled" if on_after else "disabled",
            state_from=None if on_before is None else ("on" if on_before else "off"),
            state_to="on" if on_after else "off",
        )
    if served_after is not None and served_before != served_after:
        out.update(serving_from=served_before, serving_to=served_after)
        if on_after is not False:
            out["detail"] = _serving_words(verbs, served_before, served_after)
    if out["action"] == "updated" and "serving_to" not in out:
        scopes = sorted({OVERRIDE_VERBS[v] for v in verbs if v in OVERRIDE_VERBS})
        if scopes and not any(v in SERVING_VERBS for v in verbs):
            out["scope"] = ",".join(scopes)
    return out


def _serving_words(verbs: list[str], before: Serving | None, after: Serving) -> str:
    def show(s: Serving | None) -> str:
        if s is None:
            return "?"
        if len(s) == 1:
            return f"`{next(iter(s))}`"
        return "a rollout of " + ", ".join(f"`{k}` {v:.0%}" for k, v in sorted(s.items()))

    what = "off variation" if verbs == ["updateOffVariation"] else "default variation"
    if len(after) > 1 or (before is not None and len(before) > 1):
        what = "default rollout"
    return f"{what} changed from {show(before)} to {show(after)}"
