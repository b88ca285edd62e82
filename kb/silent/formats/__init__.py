"""One module per flag-system export format; each turns one vendor record into normalised FlagEvents.

Every vendor module has `SOURCE` (the format name), `looks_like(record) -> bool` for
auto-detection and `normalise(record, index) -> list[FlagEvent]` (empty for records that are not
about a flag). `parse_page` applies one to a decoded document: a file's whole content or one page
of a vendor's API (kb.flagsync reads pages with it).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

from kb.errors import KBError
from kb.silent.events import FlagEvent
from kb.silent.formats import flagsmith, growthbook, launchdarkly, unleash
from kb.silent.jsonstream import CONTAINER_KEYS

JSON_FORMATS: dict[str, ModuleType] = {
    m.SOURCE: m
    for m in (unleash, launchdarkly, flagsmith, growthbook)  # order matters for detection
}


def page_records(page: Any) -> list[Any]:
    """The records of one decoded document: a list, a list response's array, or one record (a webhook)."""
    if isinstance(page, list):
        return page
    if isinstance(page, dict):
        for key in CONTAINER_KEYS:
            if isinstance(page.get(key), list):
                return page[key]
    return [page]


def parse_record(fmt: str, record: Any, index: int) -> list[FlagEvent]:
    """One vendor record as normalised events ([] when it is not about a flag); EventError when malformed."""
    module = JSON_FORMATS.get(fmt)
    if module is None:
        raise KBError(f"unknown flag system {fmt!r}; use one of {', '.join(JSON_FORMATS)}", "--format")
    return module.normalise(record, index)  # type: ignore[no-any-return]


def iter_page(fmt: str, page: Any, start: int = 0) -> Iterator[tuple[int, list[FlagEvent]]]:
    """(record index, its events) for each record of a decoded page; indexes count from `start`."""
    for n, record in enumerate(page_records(page)):
        yield start + n, parse_record(fmt, record, start + n)


def parse_page(fmt: str, page: Any, start: int = 0) -> list[FlagEvent]:
    """Every normalised event of one decoded document or API page, in record order."""
    return [e for _, events in iter_page(fmt, page, start) for e in events]


__all__ = ["CONTAINER_KEYS", "JSON_FORMATS", "iter_page", "page_records", "parse_page", "parse_record"]
