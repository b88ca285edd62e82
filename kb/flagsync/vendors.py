"""How each flag system's audit API pages, where a pull resumes, and which entries need their detail.

Read from the vendors' own references (see docs/silent.md, "Live pulls"):
- Unleash: GET /api/admin/search/events (offset/limit, from=IS:yyyy-MM-dd; answers {events, total});
  before the search endpoint existed, GET /api/admin/events ({version, events, totalEvents}, the
  latest events only). Header `Authorization: <token>`. Resumes after the highest event id stored.
- LaunchDarkly: GET /api/v2/auditlog (limit <= 20, spec, after=<epoch ms>; answers {items, _links.next.href}).
  List entries carry no previousVersion/currentVersion, so each flag entry is read again from
  GET /api/v2/auditlog/{id}. Header `Authorization: <api key>`. Resumes after the newest `date`.
- Flagsmith: GET /api/v1/audit/?project=&environments= (DRF pages {count, next, previous, results},
  newest first). FEATURE_STATE records are read again from /api/v1/audit/{id}/ for their
  change_details. Header `Authorization: Api-Key <key>` (or the scheme you give: "Token <key>").
  Resumes after the highest record id.
- GrowthBook: GET /v1/audits?entityType=feature (newest first, {audits, nextCursor}, paged with
  before=<nextCursor>); older servers: GET /v1/history/feature ({events}, one answer). Header
  `Authorization: Bearer <key>`. It filters by neither project nor environment. Resumes from the
  newest dateCreated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kb.config import Secret
from kb.flagsync.http import PullError
from kb.flagsync.settings import PullSettings
from kb.timeutil import from_text

Params = list[tuple[str, Any]]


@dataclass
class Page:
    records: list[dict[str, Any]]
    next: tuple[str, Params] | None  # (url or path, query) of the next page
    total: int | None = None


def _shape(body: Any, key: str, what: str) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        raise PullError(f"expected {what}, got a JSON {type(body).__name__}")
    if not isinstance(body.get(key), list):
        got = "nothing" if key not in body else f"a JSON {type(body[key]).__name__}"
        raise PullError(f"expected {what} with a list in {key!r}, got {got}")
    items = body[key]
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            raise PullError(f"{key}[{n}] is {type(item).__name__}, not an object")
    return items


def _int(value: Any, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise PullError(f"{what}: {value!r} is not an integer")


def _when(value: Any, what: str) -> datetime:
    try:
        parsed = from_text(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, datetime):
        raise PullError(f"{what}: {value!r} is not a date-time")
    return parsed


class Vendor:
    name = ""
    path = ""
    stops_early = False  # newest first: a page reaching the cursor ends the pull

    def auth_header(self, token: Secret) -> str:
        return token.reveal()

    def check(self, s: PullSettings) -> None:
        """Reject settings the vendor's API cannot honour, before any request."""

    def first(self, s: PullSettings, cursor: Any) -> tuple[str, Params]:
        raise NotImplementedError

    def page(self, body: Any, url: str, params: Params) -> Page:
        raise NotImplementedError

    def position(self, record: dict[str, Any], n: int) -> Any:
        """This record's place in the vendor's order, comparable with the stored cursor."""
        raise NotImplementedError

    def after(self, pos: Any, cursor: Any) -> bool:
        """pos comes strictly after cursor in the vendor's order."""
        return bool(pos > cursor)

    def is_new(self, pos: Any, cursor: Any) -> bool:
        return cursor is None or self.after(pos, cursor)

    def detail(self, record: dict[str, Any]) -> str | None:
        """A path to read the full entry from, when the list leaves out what kb needs."""
        return None

    def legacy(self, s: PullSettings) -> tuple[str, Params, str] | None:
        """An older endpoint to read when the first page's answers 404: (path, query, note for the user)."""
        return None


class Unleash(Vendor):
    name = "unleash"
    path = "/api/admin/search/events"
    legacy_path = "/api/admin/events"
    limit = 100

    def first(self, s: PullSettings, cursor: Any) -> tuple[str, Params]:
        params: Params = [("offset", 0), ("limit", self.limit)]
        if s.project:
            params.append(("project", f"IS:{s.project}"))
        if s.environment:
            params.append(("environment", f"IS:{s.environment}"))
        if cursor is not None:
            params.append(("from", f"IS:{cursor['at'][:10]}"))
        return self.path, params

    def legacy(self, s: PullSettings) -> tuple[str, Params, str] | None:
        note = "this Unleash has no event search endpoint; read its latest events only"
        return self.legacy_path, [("project", s.project)] if s.project else [], note

    def page(self, body: Any, url: str, params: Params) -> Page:
        if url.endswith(self.legacy_path):
            events = _shape(body, "events", "{version, events, totalEvents}")
            return Page(events, None, len(events))
        events = _shape(body, "events", "{events, total}")
        total = _int(body.get("total"), "total")
        offset = int(dict(params)["offset"]) + len(events)
        if not events or offset >= total:
            return Page(events, None, total)
        return Page(events, (url, [(k, offset if k == "offset" else v) for k, v in params]), total)

    def position(self, record: dict[str, Any], n: int) -> Any:
        _when(record.get("createdAt"), f"events[{n}].createdAt")
        return {"id": _int(record.get("id"), f"events[{n}].id"), "at": record["createdAt"]}

    def after(self, pos: Any, cursor: Any) -> bool:
        return bool(pos["id"] > cursor["id"])


class LaunchDarkly(Vendor):
    name = "launchdarkly"
    path = "/api/v2/auditlog"
    stops_early = True  # newest first; `after` already bounds it, this spares a server that ignores it
    limit = 20  # the documented maximum

    def first(self, s: PullSettings, cursor: Any) -> tuple[str, Params]:
        params: Params = [("limit", self.limit)]
        if s.project:
            params.append(("spec", f"proj/{s.project}:env/{s.environment or '*'}:flag/*"))
        elif s.environment:
            params.append(("spec", f"proj/*:env/{s.environment}:flag/*"))
        if cursor is not None:
            params.append(("after", cursor))
        return self.path, params

    def page(self, body: Any, url: str, params: Params) -> Page:
        items = _shape(body, "items", "{items, _links}")
        links = body.get("_links")
        nxt = links.get("next") if isinstance(links, dict) else None
        href = nxt.get("href") if isinstance(nxt, dict) else None
        if href is not None and not isinstance(href, str):
            raise PullError(f"_links.next.href: {href!r} is not a link")
        return Page(items, (href, []) if href and items else None, body.get("totalCount"))

    def position(self, record: dict[str, Any], n: int) -> Any:
        return _int(record.get("date"), f"items[{n}].date")

    def detail(self, record: dict[str, Any]) -> str | None:
        if record.get("kind", "flag") != "flag" or "currentVersion" in record or "previousVersion" in record:
            return None
        ident = record.get("_id")
        return f"{self.path}/{ident}" if isinstance(ident, str) and ident else None


class Flagsmith(Vendor):
    name = "flagsmith"
    path = "/api/v1/audit/"
    stops_early = True
    page_size = 100

    def auth_header(self, token: Secret) -> str:
        value = token.reveal()
        return value if " " in value else f"Api-Key {value}"

    def check(self, s: PullSettings) -> None:
        for what, value in (("--project", s.project), ("--environment", s.environment)):
            if value and not value.isdigit():
                raise PullError(f"Flagsmith filters by numeric id: {value!r} is not one", what)

    def first(self, s: PullSettings, cursor: Any) -> tuple[str, Params]:
        params: Params = [("page_size", self.page_size)]
        if s.project:
            params.append(("project", s.project))
        if s.environment:
            params.append(("environments", s.environment))
        return self.path, params

    def page(self, body: Any, url: str, params: Params) -> Page:
        results = _shape(body, "results", "{count, next, previous, results}")
        nxt = body.get("next")
        if nxt is not None and not isinstance(nxt, str):
            raise PullError(f"next: {nxt!r} is not a link")
        count = body.get("count")
        return Page(results, (nxt, []) if nxt else None, count if isinstance(count, int) else None)

    def position(self, record: dict[str, Any], n: int) -> Any:
        return _int(record.get("id"), f"results[{n}].id")

    def detail(self, record: dict[str, Any]) -> str | None:
        if record.get("related_object_type") != "FEATURE_STATE" or "change_details" in record:
            return None
        return f"{self.path}{record['id']}/"


class GrowthBook(Vendor):
    name = "growthbook"
    path = "/v1/audits"
    legacy_path = "/v1/history/feature"  # older servers: every feature's history in one answer
    stops_early = True
    limit = 100

    def auth_header(self, token: Secret) -> str:
        return f"Bearer {token.reveal()}"

    def check(self, s: PullSettings) -> None:
        for what, value in (("--project", s.project), ("--environment", s.environment)):
            if value:
                raise PullError(
                    "GrowthBook's audit API filters by neither project nor environment; every feature's "
                    "history is read and each event keeps its own environment",
                    what,
                )

    def first(self, s: PullSettings, cursor: Any) -> tuple[str, Params]:
        return self.path, [("entityType", "feature"), ("limit", self.limit)]

    def legacy(self, s: PullSettings) -> tuple[str, Params, str] | None:
        return self.legacy_path, [], "this GrowthBook has no /v1/audits; read /v1/history/feature in one answer"

    def page(self, body: Any, url: str, params: Params) -> Page:
        if url.endswith(self.legacy_path):
            events = _shape(body, "events", "{events}")
            return Page(events, None, len(events))
        audits = _shape(body, "audits", "{audits, nextCursor}")
        cursor = body.get("nextCursor")
        if cursor is not None and not isinstance(cursor, str):
            raise PullError(f"nextCursor: {cursor!r} is not a date-time")
        if not cursor or not audits:
            return Page(audits, None)
        kept = [(k, v) for k, v in params if k != "before"]
        return Page(audits, (url, [*kept, ("before", cursor)]))

    def position(self, record: dict[str, Any], n: int) -> Any:
        return _when(record.get("dateCreated"), f"audits[{n}].dateCreated").isoformat()

    def after(self, pos: Any, cursor: Any) -> bool:
        return _when(pos, "position") > _when(cursor, "cursor")

    def is_new(self, pos: Any, cursor: Any) -> bool:
        # the same instant may hold entries not yet seen: keep it, the event keys drop repeats
        return cursor is None or _when(pos, "cursor") >= _when(cursor, "cursor")


VENDORS: dict[str, Vendor] = {v.name: v for v in (Unleash(), LaunchDarkly(), Flagsmith(), GrowthBook())}
