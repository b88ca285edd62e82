"""`kb flags pull` against a real HTTP server on 127.0.0.1 answering like each vendor's documented API.

The pages below are written from the vendors' references: Unleash's event search (`{events, total}`,
offset/limit, `from=IS:yyyy-MM-dd`), LaunchDarkly's audit log (`{items, _links.next.href}`, the
detail endpoint carrying previousVersion/currentVersion), Flagsmith's audit list (DRF pages
`{count, next, previous, results}`) and GrowthBook's `/v1/audits` (`{audits, nextCursor}`).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from kb.service import KB
from tests.conftest import Run

TOKEN = "s3cr3t-T0KEN-9f8e7d6c5b4a"
C, F = "churn-model-enabled", "fraud-scorer-on"


@pytest.fixture
def httpserver() -> Iterator[HTTPServer]:
    """A server of this test's own, stopped after it: pytest-httpserver's shared one would keep a thread
    alive for the whole session, and kb forks its analyses only in a process without other threads."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


@pytest.fixture(autouse=True)
def _tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tokens come from the environment, as the docs recommend; tests that want none unset them."""
    for vendor in ("UNLEASH", "LAUNCHDARKLY", "FLAGSMITH", "GROWTHBOOK"):
        monkeypatch.setenv(f"KB_{vendor}_TOKEN", TOKEN)


def _db_bytes(db_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))


def _vendor_id(key: str) -> str:
    """The vendor's own id at the end of an event key (`<source>[:<instance>]:<id>[#part]`)."""
    return key.split("#", 1)[0].rsplit(":", 1)[1]


def _events(db_path: Path) -> list[tuple[str, str, str, str, str, str]]:
    """(vendor id, flag, environment, action, time, actor) of every stored event, in time order."""
    with KB(db_path) as kb:
        return [
            (_vendor_id(e.event_key), e.flag_key, e.environment, e.action, e.at.isoformat(), e.actor)
            for e in kb.flag_events()
        ]


def _count(db_path: Path, table: str) -> int:
    con = sqlite3.connect(db_path)
    try:
        return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        con.close()


def _requests(server: HTTPServer, path: str) -> list[tuple[dict[str, str], int]]:
    """(query, status) of every request the server answered on `path`, in order."""
    return [(dict(req.args), resp.status_code) for req, resp in server.log if req.path == path]


# --- Unleash -------------------------------------------------------------------------------------


def _unleash_event(ident: int, kind: str, flag: str, env: str | None, at: str, who: str) -> dict[str, Any]:
    # eventSchema: id, createdAt, type, createdBy(UserId), environment, project, featureName, data, preData, tags
    return {
        "id": ident,
        "createdAt": at,
        "type": kind,
        "createdBy": who,
        "createdByUserId": 7,
        "environment": env,
        "project": "default",
        "featureName": flag,
        "data": None,
        "preData": None,
        "tags": [],
    }


UNLEASH_PAGE_1 = [  # newest first
    _unleash_event(3, "feature-environment-disabled", C, "production", "2026-04-28T16:42:00.000Z", "alice@example.com"),
    _unleash_event(2, "feature-environment-enabled", C, "production", "2026-01-06T10:00:00.000Z", "alice@example.com"),
]
UNLEASH_PAGE_2 = [
    _unleash_event(1, "feature-created", C, None, "2026-01-05T09:00:00.000Z", "alice@example.com"),
]
UNLEASH_NEW = _unleash_event(4, "feature-environment-enabled", C, "production", "2026-04-28T18:00:00.000Z", "bob@x.io")
SEARCH = "/api/admin/search/events"


def _serve_unleash_history(server: HTTPServer) -> None:
    base = {"offset": "0", "limit": "100"}
    server.expect_request(SEARCH, query_string=base, headers={"Authorization": TOKEN}).respond_with_json(
        {"events": UNLEASH_PAGE_1, "total": 3}
    )
    server.expect_request(SEARCH, query_string={**base, "offset": "2"}).respond_with_json(
        {"events": UNLEASH_PAGE_2, "total": 3}
    )


def test_unleash_first_pull_reads_every_page_then_only_newer_events(
    httpserver: HTTPServer, run: Any, db_path: Path
) -> None:
    _serve_unleash_history(httpserver)
    url = httpserver.url_for("/").rstrip("/")
    first = run.ok("flags", "pull", "unleash", "--url", url, "--json")
    report = json.loads(first.stdout)
    assert (report["pages"], report["fetched"], report["added"]) == (2, 3, 3)
    assert report["cursor"] == {"id": 3, "at": "2026-04-28T16:42:00.000Z"}
    assert _events(db_path) == [
        ("1", C, "", "created", "2026-01-05T09:00:00+00:00", "alice@example.com"),
        ("2", C, "production", "enabled", "2026-01-06T10:00:00+00:00", "alice@example.com"),
        ("3", C, "production", "disabled", "2026-04-28T16:42:00+00:00", "alice@example.com"),
    ]

    # the second pull asks only from the cursor's day on; the event already stored that day is not counted new
    httpserver.clear()
    since = {"offset": "0", "limit": "100", "from": "IS:2026-04-28"}
    httpserver.expect_request(SEARCH, query_string=since).respond_with_json(
        {"events": [UNLEASH_NEW, UNLEASH_PAGE_1[0]], "total": 2}
    )
    second = json.loads(run.ok("flags", "pull", "unleash", "--url", url, "--json").stdout)
    assert (second["pages"], second["fetched"], second["added"], second["duplicates"]) == (1, 1, 1, 0)
    assert [q for q, _ in _requests(httpserver, SEARCH)] == [since]
    assert [k for k, *_ in _events(db_path)] == ["1", "2", "3", "4"]
    assert second["cursor"]["id"] == 4

    third = json.loads(run.ok("flags", "pull", "unleash", "--url", url, "--json").stdout)
    assert (third["fetched"], third["added"]) == (0, 0)
    assert _count(db_path, "flag_events") == 4
    with KB(db_path) as kb:
        (src,) = kb.flag_sources()
    assert (src["vendor"], src["base_url"], src["pulls"], src["events"]) == ("unleash", url, 3, 4)


def test_unleash_without_event_search_falls_back_to_the_events_list(
    httpserver: HTTPServer, run: Any, db_path: Path
) -> None:
    httpserver.expect_request(SEARCH).respond_with_json({"message": "Not found"}, status=404)
    httpserver.expect_request("/api/admin/events", query_string={"project": "default"}).respond_with_json(
        {"version": 1, "events": UNLEASH_PAGE_1 + UNLEASH_PAGE_2, "totalEvents": 3}
    )
    url = httpserver.url_for("/").rstrip("/")
    out = run.ok("flags", "pull", "unleash", "--url", url, "--project", "default")
    assert "no event search endpoint" in out.stdout
    assert [k for k, *_ in _events(db_path)] == ["1", "2", "3"]


# --- LaunchDarkly --------------------------------------------------------------------------------

AUDITLOG = "/api/v2/auditlog"
MEMBER = {"_id": "507f1f77bcf86cd799439011", "email": "carol@example.com", "firstName": "Carol", "lastName": "Ng"}


def _ld_entry(ident: str, date: int, action: str, flag: str, title_verb: str, description: str) -> dict[str, Any]:
    # AuditLogEntryListingRep: no previousVersion/currentVersion in the list
    resource = f"proj/default:env/production:flag/{flag}"
    return {
        "_links": {"self": {"href": f"/api/v2/auditlog/{ident}", "type": "application/json"}},
        "_id": ident,
        "_accountId": "1234a56b7c89d012345e678f",
        "date": date,
        "accesses": [{"action": action, "resource": resource}],
        "kind": "flag",
        "name": flag,
        "description": description,
        "shortDescription": "",
        "comment": "",
        "member": MEMBER,
        "titleVerb": title_verb,
        "title": f"Carol Ng {title_verb} {flag}",
        "target": {"name": flag, "resources": [resource]},
    }


LD_OFF = _ld_entry("a2", 1777394520000, "updateOn", F, "turned off the flag", "* Turned the flag off")
LD_ON = _ld_entry("a1", 1767693600000, "updateOn", F, "turned on the flag", "* Turned the flag on")


def _ld_detail(entry: dict[str, Any], before: bool, after: bool) -> dict[str, Any]:
    # AuditLogEntryRep: the listing fields plus the flag as it was and as it became
    return {
        **entry,
        "previousVersion": {"key": F, "environments": {"production": {"on": before}}},
        "currentVersion": {"key": F, "environments": {"production": {"on": after}}},
    }


def test_launchdarkly_follows_next_links_reads_each_detail_and_waits_out_a_429(
    httpserver: HTTPServer, run: Any, db_path: Path, tmp_path: Path
) -> None:
    first = {"limit": "20", "spec": "proj/default:env/*:flag/*"}
    page2 = {"limit": "20", "spec": "proj/default:env/*:flag/*", "before": "1777394520000"}
    next_href = f"{AUDITLOG}?limit=20&spec=proj%2Fdefault%3Aenv%2F%2A%3Aflag%2F%2A&before=1777394520000"
    httpserver.expect_request(AUDITLOG, query_string=first, headers={"Authorization": TOKEN}).respond_with_json(
        {"items": [LD_OFF], "_links": {"self": {"href": AUDITLOG}, "next": {"href": next_href}}}
    )
    # the first ask for page 2 is rate limited; the second gets it
    httpserver.expect_oneshot_request(AUDITLOG, query_string=page2).respond_with_response(
        Response('{"code":"rate_limited","message":"slow down"}', status=429, headers={"Retry-After": "1"})
    )
    httpserver.expect_request(AUDITLOG, query_string=page2).respond_with_json(
        {"items": [LD_ON], "_links": {"self": {"href": next_href}}}
    )
    httpserver.expect_request(f"{AUDITLOG}/a2").respond_with_json(_ld_detail(LD_OFF, True, False))
    httpserver.expect_request(f"{AUDITLOG}/a1").respond_with_json(_ld_detail(LD_ON, False, True))
    url = httpserver.url_for("/").rstrip("/")
    log = tmp_path / "pull.log"
    res = run.ok(
        "flags",
        "pull",
        "launchdarkly",
        "--url",
        url,
        "--project",
        "default",
        "--log",
        str(log),
        "--json",
    )
    report = json.loads(res.stdout)
    assert (report["pages"], report["fetched"], report["added"]) == (2, 2, 2)
    assert report["cursor"] == 1777394520000
    assert [s for _, s in _requests(httpserver, AUDITLOG)] == [200, 429, 200]
    assert [e[1:4] for e in _events(db_path)] == [(F, "production", "enabled"), (F, "production", "disabled")]
    assert {e[5] for e in _events(db_path)} == {"carol@example.com"}
    assert "rate limited (429)" in log.read_text()

    # the next pull asks only for entries after the newest one stored
    httpserver.clear()
    httpserver.expect_request(AUDITLOG, query_string={**first, "after": "1777394520000"}).respond_with_json(
        {"items": [], "_links": {"self": {"href": AUDITLOG}}}
    )
    again = json.loads(run.ok("flags", "pull", "launchdarkly", "--url", url, "--project", "default", "--json").stdout)
    assert (again["pages"], again["fetched"], again["added"]) == (1, 0, 0)
    assert _count(db_path, "flag_events") == 2
    for blob in (_db_bytes(db_path), res.stdout.encode(), res.stderr.encode(), log.read_bytes()):
        assert TOKEN.encode() not in blob


def test_a_next_link_to_another_host_is_refused_before_the_token_is_sent(
    httpserver: HTTPServer, run: Any, db_path: Path
) -> None:
    httpserver.expect_request(AUDITLOG).respond_with_json(
        {"items": [LD_OFF], "_links": {"next": {"href": "https://evil.example.net/api/v2/auditlog?after=1"}}}
    )
    httpserver.expect_request(f"{AUDITLOG}/a2").respond_with_json(_ld_detail(LD_OFF, True, False))
    url = httpserver.url_for("/").rstrip("/")
    res = run.fails("flags", "pull", "launchdarkly", "--url", url)
    assert "another host (evil.example.net)" in res.stderr
    assert _count(db_path, "flag_events") == 0


# --- Flagsmith -----------------------------------------------------------------------------------

AUDIT = "/api/v1/audit/"
ENV = {"id": 12, "name": "production", "api_key": "ser.env-client-key", "project": 3}


def _fs_record(ident: int, log: str, kind: str, at: str) -> dict[str, Any]:
    # AuditLogSerializer: id, created_date, log, author, environment, project, related_object_id,
    # related_object_type, is_system_event
    return {
        "id": ident,
        "created_date": at,
        "log": log,
        "author": {"id": 4, "email": "dana@example.com", "first_name": "Dana", "last_name": "Lee"},
        "environment": ENV,
        "project": {"id": 3, "name": "Risk models"},
        "related_object_id": 300 + ident,
        "related_object_type": kind,
        "is_system_event": False,
    }


FS_3 = _fs_record(
    3, f"Flag state / Remote Config value updated for feature: {C}", "FEATURE_STATE", "2026-06-20T09:00:00Z"
)
FS_2 = _fs_record(2, f"New Flag / Remote Config created: {F}", "FEATURE", "2026-06-01T09:00:00Z")
FS_1 = _fs_record(1, f"New Flag / Remote Config created: {C}", "FEATURE", "2026-05-01T09:00:00Z")
FS_3_DETAIL = {**FS_3, "change_details": [{"field": "enabled", "old": True, "new": False}]}


def _page(server: HTTPServer, results: list[dict[str, Any]], page: int, count: int, last: bool) -> dict[str, Any]:
    nxt = None if last else server.url_for(AUDIT) + f"?page={page + 1}&page_size=100&project=3"
    prev = None if page == 1 else server.url_for(AUDIT) + f"?page_size=100&project=3&page={page - 1}"
    return {"count": count, "next": nxt, "previous": prev, "results": results}


def _serve_flagsmith(server: HTTPServer, page2: Any) -> None:
    server.expect_request(AUDIT, query_string={"page_size": "100", "project": "3"}).respond_with_json(
        _page(server, [FS_3, FS_2], 1, 3, last=False)
    )
    handler = server.expect_request(AUDIT, query_string={"page": "2", "page_size": "100", "project": "3"})
    if isinstance(page2, Response):
        handler.respond_with_response(page2)
    else:
        handler.respond_with_json(page2)
    server.expect_request(f"{AUDIT}3/", headers={"Authorization": f"Api-Key {TOKEN}"}).respond_with_json(FS_3_DETAIL)


def test_flagsmith_pages_details_and_resume(httpserver: HTTPServer, run: Any, db_path: Path) -> None:
    _serve_flagsmith(httpserver, _page(httpserver, [FS_1], 2, 3, last=True))
    url = httpserver.url_for("/").rstrip("/")
    report = json.loads(run.ok("flags", "pull", "flagsmith", "--url", url, "--project", "3", "--json").stdout)
    assert (report["pages"], report["fetched"], report["added"], report["cursor"]) == (2, 3, 3, 3)
    assert [(k, f, e, at) for k, f, e, _, at, _ in _events(db_path)] == [
        ("1", C, "production", "2026-05-01T09:00:00+00:00"),
        ("2", F, "production", "2026-06-01T09:00:00+00:00"),
        ("3", C, "production", "2026-06-20T09:00:00+00:00"),
    ]
    # the FEATURE_STATE record was read again from its detail endpoint, change_details and all
    con = sqlite3.connect(db_path)
    (raw,) = [json.loads(r) for k, r in con.execute("SELECT event_key, raw FROM flag_events") if _vendor_id(k) == "3"]
    con.close()
    assert raw["change_details"] == [{"field": "enabled", "old": True, "new": False}]

    # a new record on top: the next pull stops at the first page, which reaches the cursor
    httpserver.clear()
    fs_4 = _fs_record(4, f"Flag / Remote Config updated: {F}", "FEATURE", "2026-06-25T09:00:00Z")
    httpserver.expect_request(AUDIT, query_string={"page_size": "100", "project": "3"}).respond_with_json(
        _page(httpserver, [fs_4, FS_3], 1, 4, last=False)
    )
    again = json.loads(run.ok("flags", "pull", "flagsmith", "--url", url, "--project", "3", "--json").stdout)
    assert (again["pages"], again["fetched"], again["added"], again["cursor"]) == (1, 1, 1, 4)
    assert _count(db_path, "flag_events") == 4


@pytest.mark.parametrize(
    ("page2", "says"),
    [
        (Response("<html>Internal Server Error</html>", status=500), "page 2: HTTP 500 after 2 attempts"),
        (
            Response('{"count": 3, "next": null, "results": [', status=200, content_type="application/json"),
            "page 2: the answer is not JSON",
        ),
        (
            {"count": 3, "next": None, "previous": None, "results": "nope"},
            "page 2: expected {count, next, previous, results} with a list in 'results', got a JSON str",
        ),
    ],
    ids=["http-500", "truncated-json", "wrong-shape"],
)
def test_flagsmith_a_bad_page_stores_nothing_and_names_the_page(
    httpserver: HTTPServer, run: Any, db_path: Path, tmp_path: Path, page2: Any, says: str
) -> None:
    _serve_flagsmith(httpserver, page2)
    url = httpserver.url_for("/").rstrip("/")
    log = tmp_path / "pull.log"
    res = run.fails(
        "flags",
        "pull",
        "flagsmith",
        "--url",
        url,
        "--project",
        "3",
        "--retries",
        "1",
        "--log",
        str(log),
    )
    assert says in res.stderr
    assert "/api/v1/audit/" in res.stderr  # the request that failed, by path
    assert (_count(db_path, "flag_events"), _count(db_path, "flag_sources")) == (0, 0)
    for blob in (_db_bytes(db_path), res.stdout.encode(), res.stderr.encode(), log.read_bytes()):
        assert TOKEN.encode() not in blob


def test_a_rejected_token_is_one_line_without_the_token(httpserver: HTTPServer, run: Any, db_path: Path) -> None:
    httpserver.expect_request(AUDIT).respond_with_json({"detail": "Invalid token."}, status=401)
    url = httpserver.url_for("/").rstrip("/")
    res = run.fails("flags", "pull", "flagsmith", "--url", url, "--token", TOKEN)
    assert "page 1: HTTP 401 UNAUTHORIZED (is the token right?)" in res.stderr
    assert TOKEN not in res.output
    assert TOKEN.encode() not in _db_bytes(db_path)


# --- GrowthBook ----------------------------------------------------------------------------------

AUDITS = "/v1/audits"


def _gb_audit(ident: str, at: str, env: str, pre: bool, post: bool) -> dict[str, Any]:
    # the Audit schema of GET /v1/audits: id, event, entity, user, reason, details (a JSON string), dateCreated
    return {
        "id": ident,
        "event": "feature.toggle",
        "entity": {"object": "feature", "id": C, "name": C},
        "user": {"id": "u_1", "email": "dana@example.com", "name": "Dana Lee"},
        "reason": "",
        "details": json.dumps({"pre": {"on": pre}, "post": {"on": post}, "context": {"environment": env}}),
        "dateCreated": at,
    }


GB_3 = _gb_audit("aud_3", "2026-06-20T09:00:00.000Z", "production", True, False)
GB_2 = _gb_audit("aud_2", "2026-06-01T09:00:00.000Z", "staging", True, False)
GB_1 = _gb_audit("aud_1", "2026-05-01T09:00:00.000Z", "production", False, True)


def test_growthbook_pages_with_before_and_stops_at_the_cursor(httpserver: HTTPServer, run: Any, db_path: Path) -> None:
    first = {"entityType": "feature", "limit": "100"}
    httpserver.expect_request(
        AUDITS, query_string=first, headers={"Authorization": f"Bearer {TOKEN}"}
    ).respond_with_json({"audits": [GB_3, GB_2], "nextCursor": GB_2["dateCreated"]})
    httpserver.expect_request(AUDITS, query_string={**first, "before": GB_2["dateCreated"]}).respond_with_json(
        {"audits": [GB_1], "nextCursor": None}
    )
    url = httpserver.url_for("/").rstrip("/")
    report = json.loads(run.ok("flags", "pull", "growthbook", "--url", url, "--json").stdout)
    assert (report["pages"], report["fetched"], report["cursor"]) == (2, 3, "2026-06-20T09:00:00+00:00")
    assert [e[:5] for e in _events(db_path)] == [
        ("aud_1", C, "production", "enabled", "2026-05-01T09:00:00+00:00"),
        ("aud_2", C, "staging", "disabled", "2026-06-01T09:00:00+00:00"),
        ("aud_3", C, "production", "disabled", "2026-06-20T09:00:00+00:00"),
    ]

    # newest first: the next pull reads one page, which reaches the stored instant, and asks for no older one
    httpserver.clear()
    gb_4 = _gb_audit("aud_4", "2026-06-25T09:00:00.000Z", "production", False, True)
    httpserver.expect_request(AUDITS, query_string=first).respond_with_json(
        {"audits": [gb_4, GB_3], "nextCursor": GB_3["dateCreated"]}
    )
    again = json.loads(run.ok("flags", "pull", "growthbook", "--url", url, "--json").stdout)
    assert (again["pages"], again["cursor"]) == (1, "2026-06-25T09:00:00+00:00")
    assert [q for q, _ in _requests(httpserver, AUDITS)] == [first]


def test_growthbook_without_audits_reads_the_feature_history(httpserver: HTTPServer, run: Any) -> None:
    httpserver.expect_request(AUDITS).respond_with_json({"message": "Unknown route"}, status=404)
    httpserver.expect_request("/v1/history/feature").respond_with_json({"events": [GB_3, GB_2, GB_1]})
    url = httpserver.url_for("/").rstrip("/")
    res = run.ok("flags", "pull", "growthbook", "--url", url)
    assert "3 new entries" in res.stdout
    assert "note: this GrowthBook has no /v1/audits" in res.stdout


# --- settings ------------------------------------------------------------------------------------


def test_settings_come_from_the_config_file_and_a_missing_token_is_named(
    httpserver: HTTPServer, run: Any, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_request(SEARCH, headers={"Authorization": TOKEN}).respond_with_json({"events": [], "total": 0})
    url = httpserver.url_for("/").rstrip("/")
    cfg = tmp_path / "sources.toml"
    cfg.write_text(f'[unleash]\nurl = "{url}"\nproject = "default"\n', encoding="utf-8")
    monkeypatch.delenv("KB_UNLEASH_TOKEN")
    res = run.fails("flags", "pull", "unleash", "--config", str(cfg))
    assert "no API token for unleash: set KB_UNLEASH_TOKEN" in res.stderr
    cfg.write_text(f'[unleash]\nurl = "{url}"\nproject = "default"\ntoken = "{TOKEN}"\n', encoding="utf-8")
    run.ok("flags", "pull", "unleash", "--config", str(cfg))
    (req, _), *_ = httpserver.log
    assert req.args["project"] == "IS:default"
    cfg.write_text('[unleash]\nurll = "x"\n', encoding="utf-8")
    assert "[unleash] urll: unknown key" in run.fails("flags", "pull", "unleash", "--config", str(cfg)).stderr
    assert _count(db_path, "flag_sources") == 1
    assert TOKEN.encode() not in _db_bytes(db_path)


def test_flagsmith_ids_and_growthbook_filters_are_checked_before_any_request(httpserver: HTTPServer, run: Any) -> None:
    url = httpserver.url_for("/").rstrip("/")
    res = run.fails("flags", "pull", "flagsmith", "--url", url, "--project", "risk", "--token", TOKEN)
    assert "--project: Flagsmith filters by numeric id: 'risk' is not one" in res.stderr
    res = run.fails("flags", "pull", "unleash", "--url", url.replace("//", f"//admin:{TOKEN}@"))
    assert "the URL carries credentials; give the token as KB_UNLEASH_TOKEN instead" in res.stderr
    assert TOKEN not in res.output
    res = run.fails("flags", "pull", "growthbook", "--url", url, "--environment", "production", "--token", TOKEN)
    assert "filters by neither project nor environment" in res.stderr
    assert httpserver.log == []


# --- progress on a terminal ----------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal (os.openpty), not on this platform")
def test_progress_is_drawn_on_a_terminal_and_not_otherwise(httpserver: HTTPServer, db_path: Path) -> None:
    _serve_unleash_history(httpserver)
    url = httpserver.url_for("/").rstrip("/")
    argv = [sys.executable, "-m", "kb", "--db", str(db_path), "flags", "pull", "unleash", "--url", url]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "TERM": "xterm", "COLUMNS": "100"}
    master, slave = os.openpty()
    drawn = bytearray()

    def drain() -> None:  # read the terminal while kb writes to it, or kb blocks on a full buffer
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the other end closed: everything was read
                return
            if not chunk:
                return
            drawn.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=slave, env=env, timeout=120, check=False)
    finally:
        os.close(slave)
        reader.join(timeout=10)
        os.close(master)
    assert proc.returncode == 0, drawn.decode(errors="replace")
    assert b"pulling unleash: page" in drawn
    assert b"added 3 events" in proc.stdout  # the report goes to stdout, the bar to the terminal on stderr
    # without a terminal (CliRunner's pipes) no bar is drawn
    httpserver.clear()
    httpserver.expect_request(SEARCH).respond_with_json({"events": [], "total": 0})
    res = Run(db_path).ok("flags", "pull", "unleash", "--url", url)
    assert "pulling" not in res.stderr
