"""Flag-log importers: each vendor fixture normalises to the events worked out by hand from its file."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from kb.errors import KBError
from kb.models import Project
from kb.service import KB
from kb.silent.jsonstream import iter_json

FIX = Path(__file__).parent / "fixtures" / "flags"
C, F, X = "churn-model-enabled", "fraud-scorer-on", "checkout-redesign"

# (flag, environment, action, from, to, at, actor, comment) in file order, written from the fixtures
EXPECTED: dict[str, list[tuple[str, str, str, str | None, str | None, str, str, str]]] = {
    "unleash_events.json": [
        (C, "", "created", None, None, "2026-01-05T09:00", "alice@example.com", ""),
        (C, "production", "enabled", "off", "on", "2026-01-06T10:00", "alice@example.com", ""),
        (X, "production", "enabled", "off", "on", "2026-02-01T08:00", "bob@example.com", ""),
        (
            F,
            "production",
            "disabled",
            "on",
            "off",
            "2026-03-02T08:15",
            "carol@example.com",
            "paused during the vendor migration, see OPS-12",
        ),
        (C, "production", "updated", None, None, "2026-03-10T14:00", "alice@example.com", ""),
        (C, "production", "disabled", "on", "off", "2026-04-28T16:42", "alice@example.com", ""),
        (C, "development", "disabled", "on", "off", "2026-04-29T07:00", "alice@example.com", ""),
        (X, "", "archived", None, "off", "2026-05-01T09:30", "bob@example.com", ""),
    ],
    "launchdarkly_audit.json": [
        (C, "", "created", None, None, "2026-01-05T09:00", "alice@example.com", ""),
        (C, "production", "enabled", "off", "on", "2026-01-06T10:00", "alice@example.com", ""),
        (
            F,
            "production",
            "disabled",
            "on",
            "off",
            "2026-03-02T08:15",
            "carol@example.com",
            "vendor outage, rolled back until INC-0042 is fixed",
        ),
        (X, "test", "enabled", "off", "on", "2026-03-05T12:00", "bob@example.com", ""),
        (C, "production", "disabled", "on", "off", "2026-04-28T16:42", "alice@example.com", ""),
        (C, "staging", "disabled", "on", "off", "2026-04-28T16:42", "alice@example.com", ""),
        (F, "production", "updated", None, None, "2026-05-01T09:30", "carol@example.com", ""),
        (X, "", "archived", None, "off", "2026-05-03T11:00", "bob@example.com", ""),
    ],
    "flagsmith_audit.json": [
        (C, "", "created", None, None, "2026-01-05T09:00", "alice@example.com", ""),
        (C, "Production", "updated", None, None, "2026-04-28T16:42", "alice@example.com", ""),
        (X, "", "deleted", None, "off", "2026-05-01T09:30", "bob@example.com", ""),
    ],
    "flagsmith_webhooks.ndjson": [
        (C, "Production", "enabled", "off", "on", "2026-01-06T10:00", "alice@example.com", ""),
        (X, "Development", "disabled", "on", "off", "2026-02-01T08:00", "bob@example.com", ""),
        (F, "Production", "updated", None, None, "2026-03-02T08:15", "carol@example.com", ""),
        (C, "Production", "disabled", "on", "off", "2026-04-28T16:42", "alice@example.com", ""),
    ],
    "growthbook_webhooks.ndjson": [
        (C, "", "created", None, None, "2026-01-05T09:00", "alice@example.com", ""),
        (C, "production", "enabled", "off", "on", "2026-01-06T10:00", "alice@example.com", "launch"),
        (
            F,
            "production",
            "disabled",
            "on",
            "off",
            "2026-03-02T08:15",
            "carol@example.com",
            "rolled back: vendor API deprecation, see INC-0042",
        ),
        (X, "", "updated", None, None, "2026-03-05T12:00", "bob@example.com", "50% rollout"),
        (C, "dev", "disabled", "on", "off", "2026-04-28T16:42", "alice@example.com", ""),
        (C, "production", "disabled", "on", "off", "2026-04-28T16:42", "alice@example.com", ""),
    ],
    "flags.csv": [
        (C, "production", "enabled", "off", "on", "2026-01-06T10:00", "alice", ""),
        (X, "production", "enabled", "off", "on", "2026-02-01T00:00", "bob", ""),
        (F, "production", "disabled", "on", "off", "2026-03-02T08:15", "carol", "paused, vendor migration (OPS-12)"),
        (C, "staging", "disabled", "on", "off", "2026-04-20T00:00", "alice", ""),
        (C, "production", "disabled", "on", "off", "2026-04-28T16:42", "alice", ""),
    ],
}
FORMAT = {
    "unleash_events.json": "unleash",
    "launchdarkly_audit.json": "launchdarkly",
    "flagsmith_audit.json": "flagsmith",
    "flagsmith_webhooks.ndjson": "flagsmith",
    "growthbook_webhooks.ndjson": "growthbook",
    "flags.csv": "csv",
}
SKIPPED = {
    "unleash_events.json": 1,
    "launchdarkly_audit.json": 1,
    "flagsmith_audit.json": 1,
    "growthbook_webhooks.ndjson": 1,
}


@pytest.fixture
def mapped(kb: KB) -> KB:
    kb.add_project(Project(slug="churn", feature_flags=[C]))
    kb.add_project(Project(slug="fraud", feature_flags=[F]))
    return kb


def _shape(kb: KB) -> list[tuple[str, str, str, str | None, str | None, str, str, str]]:
    return [
        (e.flag_key, e.environment, e.action, e.state_from, e.state_to, f"{e.at:%Y-%m-%dT%H:%M}", e.actor, e.comment)
        for e in kb.flag_events()
    ]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_vendor_fixture_normalises_to_expected_events(mapped: KB, name: str) -> None:
    report = mapped.import_flags(FIX / name)
    want = EXPECTED[name]
    assert report.format == FORMAT[name]
    assert (report.read, report.added, report.duplicates) == (len(want), len(want), 0)
    assert report.skipped == SKIPPED.get(name, 0)
    assert report.unmapped == sum(1 for w in want if w[0] == X)
    assert report.mapped == len(want) - report.unmapped
    got = _shape(mapped)
    assert sorted(got) == sorted(want)
    assert [g[5] for g in got] == sorted(w[5] for w in want)  # listed in time order


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reimport_adds_nothing(mapped: KB, name: str) -> None:
    first = mapped.import_flags(FIX / name, FORMAT[name])
    again = mapped.import_flags(FIX / name, FORMAT[name])
    assert (again.added, again.duplicates) == (0, first.read)
    assert len(mapped.flag_events()) == first.read


def test_event_keys_use_vendor_ids_or_content_hash(mapped: KB) -> None:
    mapped.import_flags(FIX / "unleash_events.json")
    mapped.import_flags(FIX / "launchdarkly_audit.json")
    mapped.import_flags(FIX / "flagsmith_webhooks.ndjson")
    keys = {e.event_key for e in mapped.flag_events()}
    # source, the vendor's project, the vendor id (issue 14: ids repeat across instances)
    assert "unleash:ml:107" in keys
    # one LaunchDarkly entry, two environments: two events told apart by a suffix
    assert {
        "launchdarkly:default:6a01c0ffee0000000000006#production:churn-model-enabled",
        "launchdarkly:default:6a01c0ffee0000000000006#staging:churn-model-enabled",
    } <= keys
    assert sum(k.startswith("flagsmith:sha256:") for k in keys) == 4


def test_raw_event_is_kept_as_json(mapped: KB) -> None:
    mapped.import_flags(FIX / "unleash_events.json")
    raw = mapped.db.execute("SELECT raw FROM flag_events WHERE event_key = 'unleash:ml:104'").fetchone()[0]
    assert json.loads(raw)["data"] == {"comment": "paused during the vendor migration, see OPS-12"}


def test_unmapped_events_are_kept_and_listed(mapped: KB) -> None:
    mapped.import_flags(FIX / "unleash_events.json")
    unmapped = mapped.unmapped_flag_events()
    assert [(e.flag_key, e.action) for e in unmapped] == [(X, "enabled"), (X, "archived")]
    assert all(e.project is None for e in unmapped)
    # a project that claims the flag later maps the stored events, nothing re-imported
    mapped.add_project(Project(slug="web", feature_flags=[X]))
    assert mapped.unmapped_flag_events() == []
    assert [e.project for e in mapped.flag_events(flag=X)] == ["web", "web"]


def test_flag_events_filters(mapped: KB) -> None:
    mapped.import_flags(FIX / "flags.csv")
    assert [e.flag_key for e in mapped.flag_events(project="fraud")] == [F]
    from datetime import date

    assert len(mapped.flag_events(since=date(2026, 4, 1))) == 2


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _count(kb: KB) -> int:
    return kb.db.execute("SELECT count(*) FROM flag_events").fetchone()[0]


def test_malformed_event_names_event_and_field_and_imports_nothing(mapped: KB, tmp_path: Path) -> None:
    events = json.loads((FIX / "unleash_events.json").read_text())
    events["events"][6]["createdAt"] = "last tuesday"
    p = _write(tmp_path, "bad.json", json.dumps(events))
    with pytest.raises(KBError) as err:
        mapped.import_flags(p)
    assert str(err.value) == (
        f"{p}: event 6 (id 107): createdAt: 'last tuesday' is not an ISO 8601 date-time"
        " (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)"
    )
    assert _count(mapped) == 0


def test_malformed_event_after_a_full_batch_still_imports_nothing(mapped: KB, tmp_path: Path) -> None:
    lines = [
        json.dumps({"flag": 1})
        if n == 2500
        else json.dumps(
            {
                "id": n,
                "type": "feature-updated",
                "createdAt": "2026-01-01T00:00:00Z",
                "createdBy": "a",
                "featureName": f"f{n}",
            }
        )
        for n in range(2600)
    ]
    p = _write(tmp_path, "big.ndjson", "\n".join(lines))
    with pytest.raises(KBError, match=r"event 2500: type: is missing"):
        mapped.import_flags(p, "unleash")
    assert _count(mapped) == 0


def test_invalid_json_names_the_line(mapped: KB, tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "broken.json",
        (
            '{"items": [\n {"_id": "a", "date": 1767603600000, "accesses": [{"action": "createFlag", '
            '"resource": "proj/p:env/*:flag/k"}]},\n {"_id": "b",, }\n]}'
        ),
    )
    with pytest.raises(KBError, match=r"line 3: event 1: not valid JSON"):
        mapped.import_flags(p, "launchdarkly")


def test_launchdarkly_entry_without_accesses_is_an_error(mapped: KB, tmp_path: Path) -> None:
    p = _write(tmp_path, "ld.json", '{"items": [{"_id": "x1", "date": 1767603600000, "kind": "flag", "accesses": []}]}')
    with pytest.raises(KBError, match=r"event 0 \(id x1\): accesses: must be a non-empty list"):
        mapped.import_flags(p)


def test_csv_bad_action_names_line(mapped: KB, tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "f.csv",
        "flag,environment,action,at,actor,comment\nk,production,enabled,2026-01-01,a,\n"
        "k,production,switched,2026-01-02,a,\n",
    )
    with pytest.raises(KBError, match=r"line 3: action: 'switched' is not one of"):
        mapped.import_flags(p)
    assert _count(mapped) == 0


def test_undetectable_format_asks_for_format(mapped: KB, tmp_path: Path) -> None:
    p = _write(tmp_path, "odd.json", '[{"hello": "world"}]')
    with pytest.raises(KBError, match=r"cannot tell which flag system"):
        mapped.import_flags(p)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ('[{"a": 1}, {"b": [1, 2]}]', [{"a": 1}, {"b": [1, 2]}]),
        ('{"version": 1, "events": [{"id": 1}, {"id": 2}], "totalEvents": 2}', [{"id": 1}, {"id": 2}]),
        ('{"a": 12345}\n{"b": 2}\n', [{"a": 12345}, {"b": 2}]),
        ('{"data": {"x": 1}, "event_type": "FLAG_UPDATED"}', [{"data": {"x": 1}, "event_type": "FLAG_UPDATED"}]),
        ('{"items": []}', []),
        ("", []),
    ],
)
def test_json_stream_shapes_with_tiny_chunks(text: str, want: list[object]) -> None:
    """A 3-character buffer forces every value to straddle chunk boundaries."""
    assert list(iter_json(io.StringIO(text), chunk=3)) == want


def test_json_stream_reads_lazily() -> None:
    """The array is decoded element by element: the reader has not reached the end after one event."""

    class Counting(io.StringIO):
        consumed = 0

        def read(self, size: int | None = -1) -> str:
            data = super().read(size)
            Counting.consumed += len(data)
            return data

    body = '{"events": [' + ",".join(json.dumps({"id": n, "pad": "x" * 100}) for n in range(5000)) + "]}"
    fh = Counting(body)
    stream = iter_json(fh, chunk=4096)
    assert next(stream) == {"id": 0, "pad": "x" * 100}
    assert Counting.consumed <= 8192 < len(body)
    assert sum(1 for _ in stream) == 4999


def test_cli_flags_import_list_unmapped(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run.ok("project", "add", "churn", "--flag", C)
    out = run.ok("flags", "import", str(FIX / "flags.csv"), "--json").stdout
    assert json.loads(out)["added"] == 5
    assert "added 0, 5 already known" in run.ok("flags", "import", str(FIX / "flags.csv")).stdout
    listed = json.loads(run.ok("flags", "list", "--project", "churn", "--json").stdout)
    assert [(e["environment"], e["action"]) for e in listed] == [
        ("production", "enabled"),
        ("staging", "disabled"),
        ("production", "disabled"),
    ]
    unmapped = json.loads(run.ok("flags", "unmapped", "--json").stdout)
    assert sorted(e["flag_key"] for e in unmapped) == [X, F]
    bad = _write(tmp_path, "bad.csv", "flag,environment,action,at,actor,comment\nk,production,on,2026-01-01,a,\n")
    result = run.fails("flags", "import", str(bad))
    assert "line 2: action: 'on' is not one of" in result.stderr


def test_unknown_format_error_stays_one_line_when_keys_hold_newlines(run, tmp_path: Path) -> None:
    log = tmp_path / "odd.json"
    log.write_text('[{"a\\nb": 1, "c": 2}]')
    err = run.fails("flags", "import", str(log)).stderr
    assert "cannot tell which flag system wrote this" in err and "'a\\nb'" in err
