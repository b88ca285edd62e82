"""The one normalised shape every vendor's flag event is turned into, and the import report."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from kb.errors import KBError
from kb.timeutil import clip, from_epoch_ms, from_text

Action = Literal["enabled", "disabled", "archived", "deleted", "updated", "created"]
ACTIONS: tuple[str, ...] = Action.__args__  # type: ignore[attr-defined]

# the on/off state an action leaves the flag in, when the vendor does not say it outright
STATE_AFTER: dict[str, tuple[str | None, str | None]] = {
    "enabled": ("off", "on"),
    "disabled": ("on", "off"),
    "archived": (None, "off"),
    "deleted": (None, "off"),
}


class FlagEvent(BaseModel):
    """A feature-flag change as kb keeps it; `project` is filled at query time from project_flags."""

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
    project: str | None = None
    raw: dict[str, Any] | None = Field(default=None, exclude=True)


class FlagImportReport(BaseModel):
    format: str
    read: int = 0
    added: int = 0
    duplicates: int = 0
    mapped: int = 0
    unmapped: int = 0
    skipped: int = 0  # vendor events that are not about a flag (user logins, segment edits ...)


class EventError(KBError):
    """A malformed event: names its position, its vendor id when it has one, and the field."""

    def __init__(self, index: int, field: str, message: str, event_id: Any = None) -> None:
        ident = f" (id {event_id})" if event_id not in (None, "") else ""
        super().__init__(f"{field}: {message}", where=f"event {index}{ident}")


def canonical_hash(raw: Any) -> str:
    """A content hash for events without a vendor id, stable across key order and whitespace."""
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def event_key(source: str, vendor_id: Any, raw: Any, part: str = "") -> str:
    """`<source>:<vendor id>` or `<source>:sha256:<hash>`; `part` tells apart events split from one entry."""
    base = f"{source}:{vendor_id}" if vendor_id not in (None, "") else f"{source}:sha256:{canonical_hash(raw)}"
    return f"{base}#{part}" if part else base


def parse_at(value: Any, index: int, field: str, event_id: Any = None) -> datetime:
    """An ISO 8601 text or epoch milliseconds, as a UTC datetime (a bare date is midnight UTC)."""
    if isinstance(value, bool) or value is None or value == "":
        raise EventError(index, field, "is missing (a date-time is required)", event_id)
    if isinstance(value, int | float):
        try:
            return from_epoch_ms(value)
        except ValueError as exc:
            raise EventError(index, field, str(exc), event_id) from None
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


def require_object(value: Any, index: int, what: str = "the event") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise EventError(index, what, f"expected a JSON object, got {type(value).__name__}")
    return value
