"""Read every new page of a flag system's audit API into a spool file, checking each entry as it comes.

Nothing is written to the database here: the caller imports the spool in one transaction once
every page has arrived, so a failed page (HTTP error, not JSON, wrong shape, an entry kb cannot
read) leaves the database as it was, and the error says which page. The spool holds one entry per
line, so memory stays bounded by one page whatever the history's length.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from kb.errors import KBError
from kb.flagsync.http import Fetcher, PullError, mask
from kb.flagsync.settings import PullSettings
from kb.flagsync.vendors import VENDORS, Page, Vendor

log = logging.getLogger("kb.flagsync")

Progress = Callable[[int, int, int | None], None]  # pages read, entries kept, total entries if known


@dataclass
class Fetched:
    pages: int = 0
    entries: int = 0  # new entries written to the spool
    seen: int = 0  # entries the API returned, new or not
    requests: int = 0
    cursor: Any = None
    notes: list[str] = field(default_factory=list)


def _check_entry(vendor: str, record: dict[str, Any], index: int) -> None:
    """Run the vendor's own parser on one entry, so a bad entry fails its page and not the import."""
    from kb.silent.formats import parse_record

    parse_record(vendor, record, index)


def fetch(
    settings: PullSettings,
    cursor: Any,
    spool: IO[str],
    *,
    retries: int = 3,
    progress: Progress | None = None,
) -> Fetched:
    vendor = VENDORS[settings.vendor]
    vendor.check(settings)
    out = Fetched(cursor=cursor)
    with Fetcher(settings.base_url, vendor.auth_header(settings.token), settings.token, retries=retries) as http:
        try:
            _walk(vendor, settings, cursor, http, spool, out, progress)
        except KBError as exc:
            # belt and braces: whatever an error quotes, the token is not in it
            raise PullError(mask(exc.message, settings.token), mask(exc.where, settings.token)) from None
        finally:
            out.requests = http.requests
    return out


def _walk(
    vendor: Vendor,
    s: PullSettings,
    cursor: Any,
    http: Fetcher,
    spool: IO[str],
    out: Fetched,
    progress: Progress | None,
) -> None:
    url, params = vendor.first(s, cursor)
    url = http.same_origin(url, "first page")
    while True:
        where = f"page {out.pages + 1}"
        try:
            body = http.get_json(url, params, where)
        except PullError as exc:
            fallback = vendor.legacy(s) if out.pages == 0 and exc.status == 404 else None
            if fallback is not None:
                path, params, note = fallback
                url = http.same_origin(path, "first page")
                out.notes.append(note)
                body = http.get_json(url, params, where)
            else:
                raise
        try:
            page = vendor.page(body, url, params)
        except PullError as exc:
            raise PullError(f"{exc.message} (GET {http.last})", where) from None
        out.pages += 1
        reached_old = _keep(vendor, s, cursor, page, http, spool, out, where)
        if progress is not None:
            progress(out.pages, out.entries, page.total)
        if page.next is None or (reached_old and vendor.stops_early):
            return
        link, params = page.next
        url = http.same_origin(link, "next page")


def _keep(
    vendor: Vendor,
    s: PullSettings,
    cursor: Any,
    page: Page,
    http: Fetcher,
    spool: IO[str],
    out: Fetched,
    where: str,
) -> bool:
    """Write the page's new entries to the spool; True when the page reached entries already stored."""
    reached_old = False
    for n, record in enumerate(page.records):
        out.seen += 1
        try:
            pos = vendor.position(record, n)
        except PullError as exc:
            raise PullError(exc.message, where) from None
        if cursor is not None and not vendor.after(pos, cursor):
            reached_old = True  # at or before the cursor: a newest-first list goes no further
        if not vendor.is_new(pos, cursor):
            continue
        detail = vendor.detail(record)
        if detail is not None:
            record = _detail(http, detail, record, f"{where}, entry {n}")
        try:
            _check_entry(s.vendor, record, n)
        except KBError as exc:
            raise PullError(f"entry {n}: {exc.message}", where) from None
        spool.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.entries += 1
        if out.cursor is None or vendor.after(pos, out.cursor):
            out.cursor = pos
    return reached_old


def _detail(http: Fetcher, path: str, record: dict[str, Any], where: str) -> dict[str, Any]:
    try:
        full = http.get_json(http.same_origin(path, "detail"), None, where)
    except PullError as exc:
        if exc.status == 404:  # an older server without the detail endpoint: keep the list entry
            log.warning("%s: no detail endpoint (%s); keeping the list entry", where, exc.message)
            return record
        raise
    if not isinstance(full, dict):
        raise PullError(f"the entry's detail is {type(full).__name__}, not an object", where)
    return full
