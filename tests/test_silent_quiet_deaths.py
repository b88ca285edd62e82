"""Quiet deaths of every kind, and healthy traps (issue 15, items 2 and 3).

A death: the model stopped being served in production (a toggle off with only a comment, a rollout
cut to 0%, the default variation turned off, a toggle turned off by an API token, a Flagsmith
change_details record, a GrowthBook audit-API toggle) and kb holds no incident of the project
near it. A trap: a change that is not a death (an override for one segment or identity, disables
in staging only, a rollout raised, a three-day maintenance pause, a retirement with a published
postmortem). Each death must be a `silent-failure` citing the day of its change; no trap may
carry any signal at all.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kb.service import KB

HERE = Path(__file__).parent / "fixtures"
PORTFOLIO = HERE / "silent" / "quiet_deaths"
VENDORS = HERE / "flags" / "vendors"
AS_OF = date(2026, 9, 30)

LOGS = (
    VENDORS / "unleash_webhook.json",  # churn-model-enabled: disabled with a comment, 06-20
    VENDORS / "unleash_events_api.json",  # reranker-on: flexibleRollout 100 -> 0, 06-21
    VENDORS
    / "launchdarkly_list.json",  # upsell-model default variation on -> off 06-20; ranker-ml off by a token 06-22
    VENDORS / "flagsmith_audit_retrieve.json",  # claims-model: change_details enabled true -> false, 06-23
    VENDORS / "growthbook_audit_api.json",  # growth-model: feature.toggle in production, 06-24
    VENDORS / "flagsmith_audit_list.json",  # pricing-model: segment and identity overrides
    VENDORS / "flagsmith_flag_webhooks.ndjson",  # pricing-model overrides again, as webhooks
    PORTFOLIO / "unleash_rollout_raised.json",  # raise-model: 10% -> 50%
    PORTFOLIO / "flags.csv",  # staging-only disables, a three-day pause, a retired project's disable
)

# project -> (the day of the change, words the evidence must hold)
DEATHS = {
    "d-comment": ("2026-06-20", 'comment in the flag tool: "CTR dropped 4% week over week" (not a postmortem)'),
    "d-rollout": ("2026-06-21", "flexibleRollout rollout cut from 100% to 0% by ben@example.com"),
    "d-default": ("2026-06-20", "default variation changed from `true` to `false` by dana.lee@example.com"),
    "d-token": ("2026-06-22", "by API token ci-deploy"),
    "d-details": ("2026-06-23", "flag claims-model disabled in Production"),
    "d-audit": ("2026-06-24", "flag growth-model disabled in production"),
}
TRAPS = ("t-overrides", "t-staging", "t-raised", "t-pause")


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    kb = KB(tmp_path_factory.mktemp("deaths") / "kb.sqlite")
    kb.import_paths([str(PORTFOLIO / "portfolio.yaml")])
    for log in LOGS:
        kb.import_flags(log)
    try:
        return {v.project: v for v in kb.silent_scan(AS_OF)}
    finally:
        kb.close()


@pytest.mark.parametrize("slug", sorted(DEATHS))
def test_each_quiet_death_is_a_silent_failure_citing_its_day(verdicts: dict[str, object], slug: str) -> None:
    v = verdicts[slug]
    assert v.verdict == "silent-failure"  # type: ignore[attr-defined]
    quiet = next(s for s in v.signals if s.code == "quiet-shutdown")  # type: ignore[attr-defined]
    day, words = DEATHS[slug]
    assert f"on {day}" in quiet.evidence and words in quiet.evidence, quiet.evidence


def test_a_model_switched_off_while_the_flag_stays_on_says_so(verdicts: dict[str, object]) -> None:
    quiet = next(s for s in verdicts["d-default"].signals if s.code == "quiet-shutdown")  # type: ignore[attr-defined]
    assert quiet.evidence.startswith(
        "flag upsell-model in production: default variation changed from `true` to `false` by dana.lee@example.com "
        "on 2026-06-20; the flag itself stayed on with no comment; no incident within 14 days; off for 102 days"
    )


@pytest.mark.parametrize("slug", TRAPS)
def test_no_signal_on_a_trap(verdicts: dict[str, object], slug: str) -> None:
    v = verdicts[slug]
    assert (v.verdict, v.signals) == ("healthy", [])  # type: ignore[attr-defined]


def test_a_retired_project_is_not_judged(verdicts: dict[str, object]) -> None:
    assert "t-retired" not in verdicts
