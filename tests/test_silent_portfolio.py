"""The designed fixture portfolio (tests/fixtures/silent): each project's expected verdict, by design.

Judged as of 2026-06-30. churn-scorer's flag went off on 2026-04-28 16:42 UTC with no comment and
no incident: at the end of 2026-06-30 that is 63 whole days (30 to 05-28, 61 to 06-28, + 2).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from kb.service import KB

FIX = Path(__file__).parent / "fixtures" / "silent"
AS_OF = date(2026, 6, 30)
EXPECTED = [  # worst first; ties by slug
    ("churn-scorer", "silent-failure", 5.0, ["quiet-shutdown", "abandoned"]),
    ("ad-bidder", "watch", 1.5, ["cost-creep"]),
    ("claims-triage", "watch", 1.5, ["override-rise"]),
    ("demand-forecast", "watch", 1.5, ["usage-decline"]),
    ("lead-scorer", "watch", 1.5, ["ownerless"]),
    ("fraud-scorer", "healthy", 0.0, []),
    ("pricing-model", "healthy", 0.0, []),
    ("search-ranker", "healthy", 0.0, []),
]


@pytest.fixture
def portfolio(kb: KB) -> KB:
    kb.import_paths([str(FIX / "portfolio.yaml")])
    kb.import_flags(FIX / "flags.csv")
    kb.import_health(FIX / "health.csv")
    return kb


def test_expected_verdicts_and_no_signal_on_healthy_projects(portfolio: KB) -> None:
    got = [(v.project, v.verdict, v.score, [s.code for s in v.signals]) for v in portfolio.silent_scan(AS_OF)]
    assert got == EXPECTED  # old-recsys is retired: not judged


def test_evidence_is_concrete(portfolio: KB) -> None:
    by = {v.project: v for v in portfolio.silent_scan(AS_OF)}
    quiet, abandoned = by["churn-scorer"].signals
    assert quiet.evidence == (
        "flag churn-model-enabled disabled in production on 2026-04-28 by alice with no comment; "
        "no incident within 14 days; off for 63 days"
    )
    assert quiet.data["shutdowns"][0]["off_days"] == 63
    assert (
        abandoned.evidence == "flag churn-model-enabled off since 2026-04-28 (63 days) while the stage says production"
    )
    (usage,) = by["demand-forecast"].signals
    assert usage.evidence.startswith("predictions fell from 50,000 in 2025-11 to 24,000 in 2026-06 over 8 periods")
    assert usage.data["n"] == 8 and usage.data["p_value"] == pytest.approx(1 / 40320)  # 8! orderings
    assert usage.data["median"] == 37000.0  # (39,000 + 35,000) / 2
    (cost,) = by["ad-bidder"].signals
    assert cost.evidence.endswith("; value did not rise (12 periods known)")
    assert cost.data["p_value"] == pytest.approx(1 / 479001600)  # strictly rising: 1/12!
    (override,) = by["claims-triage"].signals
    # overrides 125..275 over a constant 2,500 acted on: 2 discordant pairs of 66, S = 62
    assert override.data["tau"] == pytest.approx(62 / 66)
    assert by["lead-scorer"].signals[0].evidence == "no owner recorded"


def test_pricing_model_disable_with_a_comment_and_fraud_disable_with_an_incident_are_not_quiet(portfolio: KB) -> None:
    assert portfolio.silent_scan(AS_OF, project="pricing-model")[0].signals == []
    assert portfolio.silent_scan(AS_OF, project="fraud-scorer")[0].signals == []


def test_as_of_sees_only_what_was_known_then(portfolio: KB) -> None:
    # 2026-04-30: the flag has been off for 1 day (to the end of 04-30): no shutdown signal yet
    early = {v.project: v for v in portfolio.silent_scan(date(2026, 4, 30))}
    assert early["churn-scorer"].verdict == "healthy"
    # the forecast had 6 months then (2025-11 .. 2026-04), still strictly falling: p = 1/720 < 0.10
    (usage,) = early["demand-forecast"].signals
    assert usage.data["n"] == 6 and usage.data["p_value"] == pytest.approx(1 / 720)
    # 2026-05-05: off from 04-28 16:42 to 05-06 00:00 is 7 days: quiet, but not yet abandoned (30)
    week = portfolio.silent_scan(date(2026, 5, 5), project="churn-scorer")[0]
    assert [s.code for s in week.signals] == ["quiet-shutdown"] and week.score == 3.0
    assert week.verdict == "silent-failure"


def test_scans_at_several_dates_from_one_read_equal_separate_scans(portfolio: KB) -> None:
    dates = [AS_OF, date(2026, 5, 5), date(2026, 4, 30), date(2025, 12, 31)]
    many = portfolio.silent_scan_many(dates)
    assert len(many) == 4
    for day, verdicts in zip(dates, many, strict=True):
        assert verdicts == portfolio.silent_scan(day)
    assert portfolio.silent_scan_many([date(2026, 5, 5)], project="churn-scorer") == [
        portfolio.silent_scan(date(2026, 5, 5), project="churn-scorer")
    ]
    assert portfolio.silent_scan_many([]) == []


def test_logging_the_shutdown_explains_it(portfolio: KB) -> None:
    inc = portfolio.log_shutdown("churn-scorer", "churn-model-enabled", reason="latency budget exceeded")
    assert inc.kind == "quiet-shutdown" and inc.postmortem == "none"
    assert inc.flag is not None and inc.flag.actor == "alice" and f"{inc.started_at:%Y-%m-%d}" == "2026-04-28"
    assert [(m.code, m.role, m.confidence) for m in inc.modes] == [("silent.quiet-shutdown", "primary", "potential")]
    # recorded (detected) today: a scan as of today knows it, one as of 2026-06-30 did not
    today = portfolio.silent_scan(project="churn-scorer")[0]
    assert "quiet-shutdown" not in [s.code for s in today.signals]
    assert "abandoned" in [s.code for s in today.signals]
    then = portfolio.silent_scan(AS_OF, project="churn-scorer")[0]
    assert [s.code for s in then.signals] == ["quiet-shutdown", "abandoned"]


def _load(run) -> None:  # type: ignore[no-untyped-def]
    run.ok("import", str(FIX / "portfolio.yaml"))
    run.ok("flags", "import", str(FIX / "flags.csv"))
    run.ok("health", "import", str(FIX / "health.csv"))


def test_cli_silent_json(run) -> None:  # type: ignore[no-untyped-def]
    _load(run)
    out = json.loads(run.ok("silent", "--as-of", "2026-06-30", "--json").stdout)
    assert [(v["project"], v["verdict"], v["score"], [s["code"] for s in v["signals"]]) for v in out] == [
        tuple(e) for e in EXPECTED
    ]
    assert set(out[0]["signals"][0]) >= {"code", "weight", "evidence"}
    text = run.ok("silent", "--as-of", "2026-06-30").stdout
    assert "1 silent-failure, 4 watch, 3 healthy" in text


def test_cli_fail_on_and_project(run) -> None:  # type: ignore[no-untyped-def]
    _load(run)
    assert run("silent", "--as-of", "2026-06-30", "--fail-on", "silent-failure").exit_code == 2
    assert run("silent", "--as-of", "2026-06-30", "--fail-on", "watch", "--project", "lead-scorer").exit_code == 2
    assert (
        run("silent", "--as-of", "2026-06-30", "--fail-on", "silent-failure", "--project", "ad-bidder").exit_code == 0
    )
    assert "--as-of" in run.fails("silent", "--as-of", "June").stderr
    assert "no project 'nope'" in run.fails("silent", "--project", "nope").stderr


def test_cli_log_shutdown(run) -> None:  # type: ignore[no-untyped-def]
    _load(run)
    out = run.ok("log-shutdown", "churn-scorer", "--flag", "churn-model-enabled", "--at", "2026-04-28", "--json")
    inc = json.loads(out.stdout)
    assert (inc["kind"], inc["postmortem"], inc["flag"]["to"], inc["started_at"]) == (
        "quiet-shutdown",
        "none",
        "off",
        "2026-04-28",
    )
    assert "in the future" in run.fails("log-shutdown", "churn-scorer", "--flag", "x", "--at", "2999-01-01").stderr
