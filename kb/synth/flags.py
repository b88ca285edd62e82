"""Feature-flag audit events, written in the shapes the vendors' own exports and webhooks use.

Designed events: each project flag is created and enabled at launch, and a `quiet-shutdown`
project's flag is disabled in production with no comment. Noise fills the rest: staging toggles,
production rollouts with comments, brief commented disables that are undone within days, and
flags that belong to no project (they must show up as unmapped, never vanish).
"""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kb.synth import words
from kb.synth.portfolio import FLAG_FORMATS, ProjectPlan
from kb.synth.spec import SynthSpec

COMMENTS = (
    "Rollout to 50% after review",
    "Planned maintenance window, back on after the deploy",
    "Rolling back bad config, see ticket",
    "Load test in staging",
    "Enabling for the quarterly campaign",
)
UNMAPPED_FLAGS = ("checkout-redesign", "dark-mode", "new-onboarding", "search-v2-ui", "promo-banner")


@dataclass(frozen=True)
class FlagEvent:
    """One normalised flag change before it is rendered into a vendor's shape."""

    key: str
    environment: str
    action: str  # created | enabled | disabled | updated | archived
    at: datetime
    actor: str
    comment: str
    fmt: str


def _at(rng: random.Random, start: datetime, days: int) -> datetime:
    return start + timedelta(minutes=rng.randint(0, max(1, days) * 24 * 60 - 1))


def make_flag_events(rng: random.Random, spec: SynthSpec, plans: list[ProjectPlan]) -> list[FlagEvent]:
    """Exactly `spec.flag_events` events (designed ones first), in time order."""
    start = datetime.combine(spec.window_start, datetime.min.time(), tzinfo=UTC)
    span = (spec.as_of - spec.window_start).days
    designed: list[FlagEvent] = []
    for plan in plans:  # the quiet shutdowns matter most: they survive any trimming
        if plan.shutdown_at is not None:
            actor = rng.choice(("", *words.PEOPLE))
            designed.append(
                FlagEvent(plan.flag, "production", "disabled", plan.shutdown_at, actor, "", plan.flag_format)
            )
    for plan in plans:
        launched = plan.project.launched_on or spec.window_start
        at = datetime(launched.year, launched.month, launched.day, 9, rng.randint(0, 59), tzinfo=UTC)
        actor = rng.choice(words.PEOPLE)
        designed.append(FlagEvent(plan.flag, "production", "created", at, actor, "", plan.flag_format))
        designed.append(
            FlagEvent(plan.flag, "production", "enabled", at + timedelta(hours=2), actor, "Launch", plan.flag_format)
        )
    events = designed[: spec.flag_events]
    live = [p for p in plans if p.shutdown_at is None]
    while len(events) < spec.flag_events:
        roll = rng.random()
        actor = rng.choice(words.PEOPLE)
        at = _at(rng, start, span)
        if roll < 0.15 or not live:  # a flag no project claims
            key = f"{rng.choice(UNMAPPED_FLAGS)}-{rng.randint(1, 40)}"
            action = rng.choice(("enabled", "disabled", "updated"))
            events.append(FlagEvent(key, "production", action, at, actor, "", rng.choice(FLAG_FORMATS)))
            continue
        plan = rng.choice(live)
        if roll < 0.55:  # staging and development toggles, commented or not
            env = rng.choice(("staging", "development"))
            action = rng.choice(("enabled", "disabled"))
            comment = rng.choice(("", *COMMENTS))
            events.append(FlagEvent(plan.flag, env, action, at, actor, comment, plan.flag_format))
        elif roll < 0.85 or len(events) + 1 >= spec.flag_events:  # a commented production rollout change
            events.append(
                FlagEvent(plan.flag, "production", "updated", at, actor, rng.choice(COMMENTS), plan.flag_format)
            )
        else:  # a brief, commented production disable, undone within three days
            back = at + timedelta(hours=rng.randint(1, 72))
            comment = rng.choice(COMMENTS)
            events.append(FlagEvent(plan.flag, "production", "disabled", at, actor, comment, plan.flag_format))
            events.append(FlagEvent(plan.flag, "production", "enabled", back, actor, comment, plan.flag_format))
    events.sort(key=lambda e: (e.at, e.key, e.environment, e.action))
    return events


# --- vendor shapes -----------------------------------------------------------------------------

_UNLEASH_TYPES = {
    "created": "feature-created",
    "enabled": "feature-environment-enabled",
    "disabled": "feature-environment-disabled",
    "updated": "feature-strategy-update",
    "archived": "feature-archived",
}
_LD_ACTIONS = {
    "created": "createFlag",
    "enabled": "updateOn",
    "disabled": "updateOn",
    "updated": "updateRules",
    "archived": "updateGlobalArchived",
}


def _iso_ms(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _email(actor: str) -> str:
    return actor.lower().replace(" ", ".").replace("'", "") + "@example.com" if actor else ""


def _state(action: str) -> tuple[bool | None, bool | None]:
    """(before, after) of the on/off state, where the action changed it."""
    return {"enabled": (False, True), "disabled": (True, False)}.get(action, (None, None))


def _unleash(n: int, e: FlagEvent) -> dict[str, object]:
    return {
        "id": n,
        "type": _UNLEASH_TYPES[e.action],
        "createdAt": _iso_ms(e.at),
        "createdBy": _email(e.actor) or "admin",
        "createdByUserId": 1000 + n % 97,
        "environment": e.environment,
        "project": "default",
        "featureName": e.key,
        "data": {"name": e.key, "comment": e.comment} if e.comment else None,
        "preData": None,
        "tags": [],
    }


def _launchdarkly(n: int, e: FlagEvent) -> dict[str, object]:
    before, after = _state(e.action)
    first, _, last = e.actor.partition(" ")
    entry: dict[str, object] = {
        "_id": f"{n:024x}",
        "_accountId": "synthetic-account",
        "date": int(e.at.timestamp() * 1000),
        "accesses": [{"action": _LD_ACTIONS[e.action], "resource": f"proj/default:env/{e.environment}:flag/{e.key}"}],
        "kind": "flag",
        "name": e.key,
        "description": f"{e.action} {e.key} in {e.environment}",
        "shortDescription": "",
        "comment": e.comment,
        "member": {"_id": f"member-{n}", "email": _email(e.actor), "firstName": first, "lastName": last},
        "titleVerb": {"enabled": "turned on the flag", "disabled": "turned off the flag"}.get(
            e.action, "updated the flag"
        ),
        "title": f"{e.actor} changed {e.key}",
        "target": {"name": e.key, "resources": [f"proj/default:env/{e.environment}:flag/{e.key}"]},
    }
    if before is not None:
        entry["previousVersion"] = {"key": e.key, "environments": {e.environment: {"on": before}}}
        entry["currentVersion"] = {"key": e.key, "environments": {e.environment: {"on": after}}}
    return entry


def _flagsmith(n: int, e: FlagEvent) -> dict[str, object]:
    before, after = _state(e.action)
    if after is None:
        after = e.action != "archived"
        before = after

    def state(enabled: bool | None) -> dict[str, object]:
        return {
            "enabled": enabled,
            "environment": {"id": 1 if e.environment == "production" else 2, "name": e.environment},
            "feature": {"id": n, "name": e.key},
            "feature_state_value": None,
        }

    return {
        "data": {
            "changed_by": e.actor,
            "new_state": state(after),
            "previous_state": None if e.action == "created" else state(before),
            "timestamp": _iso_ms(e.at),
        },
        "event_type": "FLAG_UPDATED",
    }


def _growthbook(n: int, e: FlagEvent) -> dict[str, object]:
    before, after = _state(e.action)
    enabled = after if after is not None else True
    prev = {"environments": {e.environment: {"enabled": before}}} if before is not None else {}
    return {
        "event": "feature.created" if e.action == "created" else "feature.updated",
        "object": "feature",
        "api_version": "2024-07-31",
        "created": int(e.at.timestamp() * 1000),
        "data": {
            "object": {
                "id": e.key,
                "archived": e.action == "archived",
                "environments": {e.environment: {"enabled": enabled, "defaultValue": "true", "rules": []}},
                "revision": {"version": n, "comment": e.comment, "date": _iso_ms(e.at), "publishedBy": e.actor},
            },
            "previous_attributes": prev,
        },
        "user": {"type": "dashboard", "id": f"u_{n}", "email": _email(e.actor), "name": e.actor},
        "projects": [],
        "tags": [],
        "environments": [e.environment],
        "containsSecrets": False,
    }


def render_flag_files(events: list[FlagEvent]) -> dict[str, str]:
    """File name -> text, one file per vendor format that has events."""
    by_fmt: dict[str, list[FlagEvent]] = {f: [] for f in FLAG_FORMATS}
    for e in events:
        by_fmt[e.fmt].append(e)
    out: dict[str, str] = {}
    if by_fmt["unleash"]:
        evs = [_unleash(n, e) for n, e in enumerate(by_fmt["unleash"], 1)]
        out["unleash.json"] = json.dumps({"version": 1, "events": evs, "totalEvents": len(evs)}, indent=1)
    if by_fmt["launchdarkly"]:
        items = [_launchdarkly(n, e) for n, e in enumerate(by_fmt["launchdarkly"], 1)]
        out["launchdarkly.json"] = json.dumps({"items": items}, indent=1)
    if by_fmt["flagsmith"]:
        out["flagsmith.json"] = json.dumps([_flagsmith(n, e) for n, e in enumerate(by_fmt["flagsmith"], 1)], indent=1)
    if by_fmt["growthbook"]:
        out["growthbook.json"] = json.dumps(
            [_growthbook(n, e) for n, e in enumerate(by_fmt["growthbook"], 1)], indent=1
        )
    if by_fmt["csv"]:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(("flag", "environment", "action", "at", "actor", "comment"))
        for e in by_fmt["csv"]:
            w.writerow((e.key, e.environment, e.action, _iso_ms(e.at), e.actor, e.comment))
        out["flags.csv"] = buf.getvalue()
    return out
