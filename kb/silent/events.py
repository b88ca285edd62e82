"""The one normalised shape every vendor's flag event is turned into, and the import report."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from kb.errors import KBError, clip
from kb.timeutil import from_text

Action = Literal["enabled", "disabled", "archived", "deleted", "updated", "created"]
ACTIONS: tuple[str, ...] = Action.__args__  # type: ignore[attr-defined]

# the on/off state an action leaves the flag in, when the vendor does not say it outright
STATE_AFTER: dict[str, tuple[str | None, str | None]] = {
    "enabled": ("off", "on"),
    "disabled": ("on", "off"),
    "archived": (None, "off"),
    "deleted": (None, "off"),
}

# Serving: which variation values an environment serves, as shares of its traffic. The values are
# the vendor's variation values as JSON text (`true`, `false`, `"treatment"`), so which one means
# "the model is on" is decided when a project's flag is judged (kb.silent.exposure), not here.
Serving = dict[str, float]

# a boolean flag's "on" and "off" variations, as JSON text
ON, OFF = "true", "false"


class FlagEvent(BaseModel):
    """A feature-flag change as kb keeps it; `project` is filled at query time from project_flags.

    `scope` is empty for a change to the whole environment and names the target otherwise
    (`identity:alice@example.com`, `segment:beta-users`, `rule:2`): an override for some users
    never counts as an environment shutdown. `instance` is the vendor's project (or instance)
    where it gives one; with `source` and the vendor id it makes the event's identity.
    `serving_from` / `serving_to` say what the environment served before and after, when the
    vendor's record tells (a default variation, a rollout, a strategy); `detail` says it in words.
    """

    id: int | None = None
    event_key: str
    source: str
    flag_key: str
    environment: str = ""
    action: Action
    state_from: str | None = None
    state_to: str | None = None
    at: datetime
    actor: str = ""
    comment: str = ""
    scope: str = ""
    instance: str = ""
    serving_from: Serving | None = None
    serving_to: Serving | None = None
    detail: str = ""
    project: str | None = None
    raw: dict[str, Any] | None = Field(default=None, exclude=True)
    legacy_key: str = Field(default="", exclude=True)  # the key kb <= m005 gave this event


class FlagImportReport(BaseModel):
    format: str
    read: int = 0
    added: int = 0
    duplicates: int = 0
    mapped: int = 0
    unmapped: int = 0
    skipped: int = 0  # vendor events that are not about a flag (user logins, segment edits ...)
    overrides: int = 0  # changes for one identity, segment or rule: kept, never an environment shutdown
    conflicts: int = 0  # keys already stored with other content: both kept, the new one under <key>!<hash>
    conflicting_keys: list[str] = Field(default_factory=list)  # the first 50 of them, by name
    reread: int = 0  # stored events whose vendor record this kb reads differently: corrected in place
    detected: str = ""  # what auto-detection saw, when it chose the format


class EventError(KBError):
    """A malformed event: names its position, its vendor id when it has one, and the field."""

    def __init__(self, index: int, field: str, message: str, event_id: Any = None) -> None:
        ident = f" (id {event_id})" if event_id not in (None, "") else ""
        super().__init__(f"{field}: {message}", where=f"event {index}{ident}")


def canonical_hash(raw: Any) -> str:
    """A content hash for events without a vendor id, stable across key order and whitespace."""
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def event_key(source: str, vendor_id: Any, raw: Any, part: str = "", instance: str = "") -> str:
    """The event's identity: source, the vendor's instance or project where it gives one, the vendor id.

    `<source>:<instance>:<vendor id>` (or `<source>:<vendor id>` with no instance), else
    `<source>:sha256:<hash of the raw record>` when the vendor gives no id (the importer numbers a
    file's repeated copies, see kb.store.flag_events); `part` tells apart events split from one entry.
    """
    if vendor_id in (None, ""):
        base = f"{source}:sha256:{canonical_hash(raw)}"
    elif instance:
        base = f"{source}:{_escape(instance)}:{vendor_id}"
    else:
        base = f"{source}:{vendor_id}"
    return f"{base}#{part}" if part else base


def legacy_key(source: str, vendor_id: Any, part: str = "") -> str:
    """The key kb gave an event with a vendor id before instances were part of it (`<source>:<id>`)."""
    if vendor_id in (None, ""):
        return ""
    return f"{source}:{vendor_id}#{part}" if part else f"{source}:{vendor_id}"


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace(":", "%3A").replace("#", "%23")


# Epoch numbers: seconds or milliseconds, told apart by magnitude. Either reading must land in
# PLAUSIBLE_YEARS; the two ranges cannot overlap (ms values are 1000x larger), and a number
# plausible as neither is an error rather than a guess.
PLAUSIBLE_YEARS = (1990, 2199)
_SECONDS = (
    datetime(PLAUSIBLE_YEARS[0], 1, 1, tzinfo=UTC).timestamp(),
    datetime(PLAUSIBLE_YEARS[1] + 1, 1, 1, tzinfo=UTC).timestamp(),
)


def epoch(value: float) -> datetime | None:
    """A UTC datetime from epoch seconds or milliseconds, whichever lands between 1990 and 2199; else None."""
    lo, hi = _SECONDS
    if lo <= value < hi:
        return datetime.fromtimestamp(value, tz=UTC)
    if lo * 1000 <= value < hi * 1000:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    return None


def parse_at(value: Any, index: int, field: str, event_id: Any = None) -> datetime:
    """An ISO 8601 text or epoch seconds/milliseconds, as a UTC datetime (a bare date is midnight UTC)."""
    if isinstance(value, bool) or value is None or value == "":
        raise EventError(index, field, "is missing (a date-time is required)", event_id)
    if isinstance(value, int | float):
        try:
            got = epoch(value)
        except (OverflowError, OSError, ValueError):
            got = None
        if got is None:
            raise EventError(
                index,
                field,
                f"{clip(value, 40)} is neither epoch seconds nor epoch milliseconds between "
                f"{PLAUSIBLE_YEARS[0]} and {PLAUSIBLE_YEARS[1]}",
                event_id,
            )
        return got
    if not isinstance(value, str):
        raise EventError(index, field, f"{clip(value)} is not a date-time", event_id)
    try:
        parsed = from_text(value)
    except ValueError as exc:
        raise EventError(index, field, str(exc), event_id) from None
    assert parsed is not None
    if isinstance(parsed, datetime):
        return parsed
    return datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)


def require_str(item: dict[str, Any], key: str, index: int, event_id: Any = None, field: str = "") -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        got = "is missing" if value is None else f"{clip(value)} is not a non-empty string"
        raise EventError(index, field or key, got, event_id)
    return value


def optional_str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def name_of(value: Any, *keys: str) -> str:
    """A name from a string, a number (an id) or an object's first non-empty `keys`."""
    if isinstance(value, dict):
        for k in keys:
            got = name_of(value.get(k)) if not isinstance(value.get(k), dict) else ""
            if got:
                return got
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def require_object(value: Any, index: int, what: str = "the event") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise EventError(index, what, f"expected a JSON object, got {type(value).__name__}")
    return value


def json_value(value: Any) -> str:
    """A variation value as the JSON text Serving uses for it."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def boolean_serving(on: bool) -> Serving:
    return {ON: 1.0} if on else {OFF: 1.0}


def as_dict(value: Any) -> dict[str, Any]:
    """The object itself, or an empty one when the vendor left the member out or null."""
    return value if isinstance(value, dict) else {}
