"""Every documented shape of each vendor's flag records, read into kb's events (issue 15, item 1).

The files under fixtures/flags/vendors are shaped like the vendors' own API responses and webhook
payloads (Unleash's eventSchema and events API; LaunchDarkly's AuditLogEntryListingRep, the entry
endpoint's AuditLogEntryRep and webhooks; Flagsmith's AuditLogListSerializer, the retrieve
endpoint's change_details and FLAG_UPDATED webhooks; GrowthBook's AuditLog schema behind
`GET /api/v1/history/feature` and its older webhooks). Every expected event below is worked out by
hand from the file it comes from.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kb.service import KB
from kb.silent.formats import parse_page

VENDORS = Path(__file__).parent / "fixtures" / "flags" / "vendors"
T, F = {"true": 1.0}, {"false": 1.0}

# (flag, environment, action, from, to, at, actor, comment, scope, serving_to) in file order
Row = tuple[str, str, str, str | None, str | None, str, str, str, str, dict[str, float] | None]
EXPECTED: dict[str, tuple[str, int, list[Row]]] = {
    "unleash_events_api.json": (
        "unleash",
        1,  # user-created is not about a flag
        [
            ("reranker-on", "", "created", None, None, "2026-05-02T09:00", "ana@example.com", "", "", None),
            ("reranker-on", "production", "enabled", "off", "on", "2026-05-03T10:00", "ana@example.com", "", "", None),
            # flexibleRollout dialled from 100 to 0: the toggle untouched, the model served to nobody
            ("reranker-on", "production", "updated", None, None, "2026-06-21T14:05", "ben@example.com", "", "", F),
            # a strategy for segment 7 only: an override, not the environment
            (
                "reranker-on",
                "production",
                "updated",
                None,
                None,
                "2026-06-22T08:00",
                "ben@example.com",
                "",
                "segment:7",
                T,
            ),
            (
                "reranker-on",
                "development",
                "disabled",
                "on",
                "off",
                "2026-06-23T16:42",
                "ben@example.com",
                "",
                "",
                None,
            ),
            ("churn-v2", "production", "updated", None, None, "2026-06-24T07:15", "admin-token", "", "", F),
        ],
    ),
    "unleash_legacy_3x.json": (
        "unleash",
        0,
        [
            # before 4.3: `feature-updated` with data.enabled, no environments, no preData
            (
                "legacy-scorer",
                "",
                "enabled",
                None,
                "on",
                "2020-11-03T10:15",
                "ana@example.com",
                "",
                "",
                {"true": 0.5, "false": 0.5},
            ),
            ("legacy-scorer", "", "disabled", None, "off", "2020-11-20T17:00", "ben@example.com", "", "", None),
        ],
    ),
    "unleash_webhook.json": (
        "unleash",
        0,
        [
            (
                "churn-model-enabled",
                "production",
                "disabled",
                "on",
                "off",
                "2026-06-20T09:00",
                "carol@example.com",
                "CTR dropped 4% week over week",
                "",
                None,
            )
        ],
    ),
    "launchdarkly_list.json": (
        "launchdarkly",
        1,  # a member invitation
        [
            # list entries carry no versions: the words say "Turned the flag off"; an API token made it
            (
                "ranker-ml",
                "production",
                "disabled",
                None,
                "off",
                "2026-06-22T09:30",
                "API token ci-deploy",
                "",
                "",
                None,
            ),
            # "Changed the default variation from on to off": the flag stayed on
            (
                "upsell-model",
                "production",
                "updated",
                None,
                None,
                "2026-06-20T10:00",
                "dana.lee@example.com",
                "",
                "",
                F,
            ),
            (
                "ranker-ml",
                "production",
                "updated",
                None,
                None,
                "2026-05-04T08:00",
                "eve@example.com",
                "",
                "targets",
                None,
            ),
        ],
    ),
    "launchdarkly_entry.json": (
        "launchdarkly",
        0,
        [
            # updateFallthrough + updateOn on one flag and environment: one event, the net change (a disable)
            (
                "upsell-model",
                "production",
                "disabled",
                "on",
                "off",
                "2026-06-25T11:00",
                "Dana Lee",
                "winding down the upsell test",
                "",
                F,  # what an off flag serves: its off variation
            )
        ],
    ),
    "launchdarkly_webhook.json": (
        "launchdarkly",
        0,
        [
            # the default rule's rollout of `true` cut from 100000 to 0 (weights out of 100000), by an app
            (
                "upsell-model",
                "production",
                "updated",
                None,
                None,
                "2026-07-02T12:00",
                "app Terraform",
                "",
                "",
                {"true": 0.0, "false": 1.0},
            )
        ],
    ),
    "flagsmith_audit_list.json": (
        "flagsmith",
        1,  # a segment created
        [
            ("pricing-model", "", "created", None, None, "2026-05-04T08:00", "gus@example.com", "", "", None),
            (
                "pricing-model",
                "Production",
                "updated",
                None,
                None,
                "2026-06-22T10:00",
                "gus@example.com",
                "",
                "segment:beta-users",
                None,
            ),
            (
                "pricing-model",
                "Production",
                "updated",
                None,
                None,
                "2026-06-22T11:00",
                "gus@example.com",
                "",
                "identity:qa@example.com",
                None,
            ),
            # an older response: environment as a bare id, and no author (an API key made the change)
            ("pricing-model", "21", "updated", None, None, "2026-06-23T12:00", "an API key", "", "", None),
            (
                "pricing-model",
                "Production",
                "updated",
                None,
                None,
                "2026-06-23T12:30",
                "hana@example.com",
                "",
                "segment rules",
                None,
            ),
        ],
    ),
    "flagsmith_audit_retrieve.json": (
        "flagsmith",
        0,
        [
            # the retrieve endpoint's change_details say which way: enabled true -> false
            ("claims-model", "Production", "disabled", "on", "off", "2026-06-23T09:15", "an API key", "", "", F),
        ],
    ),
    "flagsmith_flag_webhooks.ndjson": (
        "flagsmith",
        0,
        [
            (
                "pricing-model",
                "Production",
                "disabled",
                "on",
                "off",
                "2026-06-22T11:00",
                "gus@example.com",
                "",
                "identity:qa@example.com",
                F,
            ),
            (
                "pricing-model",
                "Production",
                "disabled",
                "on",
                "off",
                "2026-06-22T10:00",
                "gus@example.com",
                "",
                "segment:beta-users",
                F,
            ),
            # a new feature: FLAG_UPDATED with no previous state is a creation, not a disable
            ("new-ranker", "Production", "created", None, None, "2026-06-25T08:00", "hana@example.com", "", "", None),
            ("claims-model", "22", "disabled", "on", "off", "2026-06-26T08:00", "hana@example.com", "", "", F),
        ],
    ),
    "growthbook_audit_api.json": (
        "growthbook",
        1,  # experiment.start
        [
            (
                "growth-model",
                "production",
                "disabled",
                "on",
                "off",
                "2026-06-24T13:00",
                "ivy@example.com",
                "",
                "",
                None,
            ),
            (
                "search-ranker",
                "production",
                "disabled",
                "on",
                "off",
                "2026-06-25T02:00",
                "API key key_ab12",
                "paused by the nightly job",
                "",
                None,
            ),
            # the default value published as false: every environment now serves false
            ("search-ranker", "dev", "updated", None, None, "2026-06-26T10:00", "jo@example.com", "", "", F),
            ("search-ranker", "production", "updated", None, None, "2026-06-26T10:00", "jo@example.com", "", "", F),
            # a rule for New Zealand only changes nobody else's value
            ("search-ranker", "", "updated", None, None, "2026-06-27T10:00", "jo@example.com", "", "", None),
        ],
    ),
    "growthbook_legacy_webhook.json": (
        "growthbook",
        0,
        [("reco-model", "production", "disabled", "on", "off", "2026-06-28T09:00", "kai@example.com", "", "", None)],
    ),
}


def _shape(events: list[Any]) -> list[Row]:
    return [
        (
            e.flag_key,
            e.environment,
            e.action,
            e.state_from,
            e.state_to,
            f"{e.at:%Y-%m-%dT%H:%M}",
            e.actor,
            e.comment,
            e.scope,
            e.serving_to,
        )
        for e in events
    ]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_vendor_shape_normalises_to_the_events_worked_out_by_hand(kb: KB, name: str) -> None:
    fmt, skipped, want = EXPECTED[name]
    report = kb.import_flags(VENDORS / name)
    assert (report.format, report.read, report.added, report.skipped) == (fmt, len(want), len(want), skipped)
    assert report.overrides == sum(1 for w in want if w[8])
    stored = sorted(_shape(kb.flag_events()), key=lambda r: (r[5], r[0], r[1]))
    assert stored == sorted(want, key=lambda r: (r[5], r[0], r[1]))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_vendor_shape_reimport_adds_nothing(kb: KB, name: str) -> None:
    first = kb.import_flags(VENDORS / name)
    again = kb.import_flags(VENDORS / name)
    assert (again.added, again.duplicates, again.conflicts) == (0, first.read, 0)


@pytest.mark.parametrize("name", [n for n in sorted(EXPECTED) if n.endswith(".json")])
def test_a_decoded_page_parses_as_the_file_does(name: str) -> None:
    """The parsing API kb.flagsync builds on: one decoded API page in, the same events out."""
    fmt, _skipped, want = EXPECTED[name]
    page = json.loads((VENDORS / name).read_text(encoding="utf-8"))
    assert _shape(parse_page(fmt, page)) == want


def test_launchdarkly_accesses_in_either_order_give_the_same_disable(kb: KB, tmp_path: Path) -> None:
    """Issue 15: [updateFallthrough, updateOn] gave two events with one key; the second, the disable, was dropped."""
    entry = json.loads((VENDORS / "launchdarkly_entry.json").read_text(encoding="utf-8"))
    events = [parse_page("launchdarkly", entry)]
    entry["accesses"].reverse()
    events.append(parse_page("launchdarkly", entry))
    assert [[(e.action, e.state_to) for e in evs] for evs in events] == [[("disabled", "off")], [("disabled", "off")]]


def test_launchdarkly_serving_words(kb: KB) -> None:
    kb.import_flags(VENDORS / "launchdarkly_list.json")
    by_id = {e.flag_key: e.detail for e in kb.flag_events() if e.action == "updated" and not e.scope}
    assert by_id == {"upsell-model": "default variation changed from `true` to `false`"}


@pytest.mark.parametrize("kind", ["feature-strategy-update", "feature-strategy-updated"])
def test_unleash_rollout_to_zero_under_either_spelling(kind: str) -> None:
    """Issue 15: `feature-strategy-updated` was a plain update, so a rollout dialled to 0 went unseen."""
    page = json.loads((VENDORS / "unleash_events_api.json").read_text(encoding="utf-8"))
    event = next(e for e in page["events"] if e["id"] == 3003)
    event["type"] = kind
    [got] = parse_page("unleash", event)
    assert (got.action, got.serving_from, got.serving_to) == ("updated", T, F)


def test_unleash_strategy_details(kb: KB) -> None:
    kb.import_flags(VENDORS / "unleash_events_api.json")
    details = [e.detail for e in kb.flag_events() if e.detail]
    assert details == [
        "flexibleRollout rollout cut from 100% to 0%",
        "strategy flexibleRollout added, serving 100%",
        "strategy default removed (it served 100%)",
    ]
