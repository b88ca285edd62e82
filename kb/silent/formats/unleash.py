"""Unleash events API: `{"version": 1, "events": [...], "totalEvents": N}`, a bare list, or one event.

Each event (Unleash's `eventSchema`): id, type, createdAt, createdBy, createdByUserId,
environment, project, featureName, data, preData, tags. Unleash events carry no reason field;
when a pipeline adds one as `data.comment` (or `data.reason`), kb keeps it.

- `feature-environment-enabled/-disabled`: the environment's toggle.
- `feature-strategy-add/-update/-remove` (also `feature-strategy-updated`): `data` / `preData` hold
  the strategy. A `flexibleRollout` (or a legacy gradual rollout) serves `parameters.rollout`
  percent ("0".."100"); `default` serves everyone. A strategy with `constraints` or `segments`
  targets some users only, so its changes are overrides (scope `segment:<ids>` / `rule:<id>`).
  A removed strategy is taken to have been the one serving the model (the event does not list
  the others).
- `feature-updated` (before Unleash 4.3, no environments and no `preData`): `data.enabled` is the
  flag's state everywhere, and its strategies' rollouts what it serves.
- `feature-archived`, `feature-deleted`, `feature-created`, `feature-import`.
"""

from __future__ import annotations

from typing import Any

from kb.silent.events import (
    OFF,
    ON,
    STATE_AFTER,
    EventError,
    FlagEvent,
    Serving,
    as_dict,
    event_key,
    legacy_key,
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
STRATEGY_TYPES = (
    "feature-strategy-add",
    "feature-strategy-update",
    "feature-strategy-updated",
    "feature-strategy-remove",
)
PERCENT_STRATEGIES = {
    "flexibleRollout": "rollout",
    "gradualRolloutRandom": "percentage",
    "gradualRolloutSessionId": "percentage",
    "gradualRolloutUserId": "percentage",
}
TARGETED_STRATEGIES = ("userWithId", "remoteAddress", "applicationHostname")


def looks_like(record: Any) -> bool:
    return isinstance(record, dict) and "type" in record and "createdAt" in record and "createdBy" in record


def _share(strategy: Any, index: int, vid: Any, field: str) -> float | None:
    """The share of traffic a strategy serves (None when it is not a strategy kb can read)."""
    if not isinstance(strategy, dict):
        return None
    name = optional_str(strategy.get("name"))
    if name == "default":
        return 1.0
    key = PERCENT_STRATEGIES.get(name)
    if key is None:
        return None
    params = as_dict(strategy.get("parameters"))
    raw = params.get(key, 100)
    try:
        pct = float(raw)
    except (TypeError, ValueError):
        raise EventError(index, f"{field}.parameters.{key}", f"{str(raw)[:40]!r} is not a percentage", vid) from None
    if not 0 <= pct <= 100:
        raise EventError(index, f"{field}.parameters.{key}", f"{pct:g} is not between 0 and 100", vid)
    return pct / 100


def _serving(share: float | None) -> Serving | None:
    if share is None:
        return None
    return {k: v for k, v in ((ON, share), (OFF, 1 - share)) if v > 0} or {OFF: 1.0}


def _targeted(strategy: Any) -> str:
    """The override scope of a strategy aimed at some users, '' for one that serves everyone."""
    if not isinstance(strategy, dict):
        return ""
    segments = strategy.get("segments")
    if isinstance(segments, list) and segments:
        return "segment:" + ",".join(str(s) for s in segments)
    constraints = strategy.get("constraints")
    if (isinstance(constraints, list) and constraints) or optional_str(strategy.get("name")) in TARGETED_STRATEGIES:
        return f"rule:{strategy.get('id') or strategy.get('name') or '?'}"
    return ""


def normalise(record: Any, index: int) -> list[FlagEvent]:
    item = require_object(record, index)
    vid = item.get("id")
    kind = require_str(item, "type", index, vid)
    name = item.get("featureName")
    if name in (None, "") and kind.startswith("feature"):  # before featureName existed, data.name held it
        name = as_dict(item.get("data")).get("name")
    if not kind.startswith("feature") or name in (None, ""):
        return []  # user, project, segment and API-token events are not about a flag
    if not isinstance(name, str):
        raise EventError(index, "featureName", f"{str(name)[:60]!r} is not a string", vid)
    at = parse_at(item.get("createdAt"), index, "createdAt", vid)
    data = as_dict(item.get("data"))
    pre = as_dict(item.get("preData"))
    comment = optional_str(data.get("comment")) or optional_str(data.get("reason"))
    instance = optional_str(item.get("project"))
    action = ACTION_BY_TYPE.get(kind, "updated")
    state_from, state_to = STATE_AFTER.get(action, (None, None))
    extra: dict[str, Any] = {}
    if kind in STRATEGY_TYPES:
        extra = _strategy(kind, data, pre, index, vid)
    elif kind == "feature-updated" and isinstance(data.get("enabled"), bool):
        on = data["enabled"]
        action, state_from, state_to = ("enabled" if on else "disabled"), None, ("on" if on else "off")
        shares = [
            s
            for s in (_share(x, index, vid, "data.strategies") for x in _list(data.get("strategies")))
            if s is not None
        ]
        if on and shares:
            extra = {"serving_to": _serving(max(shares))}
    return [
        FlagEvent(
            event_key=event_key(SOURCE, vid, item, instance=instance),
            legacy_key=legacy_key(SOURCE, vid) if instance else "",
            source=SOURCE,
            flag_key=name,
            environment=optional_str(item.get("environment")),
            action=action,  # type: ignore[arg-type]
            state_from=state_from,
            state_to=state_to,
            at=at,
            actor=optional_str(item.get("createdBy")),
            comment=comment,
            instance=instance,
            raw=item,
            **extra,
        )
    ]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _strategy(kind: str, data: dict[str, Any], pre: dict[str, Any], index: int, vid: Any) -> dict[str, Any]:
    removed = kind == "feature-strategy-remove"
    after_s = None if removed else data
    before_s = pre if pre else (data if removed else None)
    scope = _targeted(after_s) or _targeted(before_s)
    label = optional_str((after_s or before_s or {}).get("name")) or "strategy"
    before = _share(before_s, index, vid, "preData") if before_s else None
    after = 0.0 if removed else _share(after_s, index, vid, "data")
    if kind == "feature-strategy-add":
        before = None
    out: dict[str, Any] = {"scope": scope, "serving_from": _serving(before), "serving_to": _serving(after)}
    if after is None:
        return out
    if removed:
        out["detail"] = f"strategy {label} removed" + (f" (it served {before:.0%})" if before is not None else "")
    elif before is not None and before != after:
        out["detail"] = f"{label} rollout {'cut' if after < before else 'raised'} from {before:.0%} to {after:.0%}"
    elif kind == "feature-strategy-add":
        out["detail"] = f"strategy {label} added, serving {after:.0%}"
    return out
