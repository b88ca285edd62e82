"""The review's numbers on a three-quarter fixture portfolio, each one worked out by hand below.

Quarter under review: 2026Q3 = [2026-07-01, 2026-10-01); previous 2026Q2; 2026Q1 before it.
Other review test files import `load_portfolio` and `give_detector_input` from here.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from kb.review.render import to_markdown
from kb.service import KB

PORTFOLIO = """
projects:
  - {slug: alpha, name: Alpha scorer, owner: Ann, stage: production, launched_on: 2025-01-10}
  - {slug: beta, name: Beta router, owner: "", stage: production, launched_on: 2025-03-01}
  - {slug: gamma, name: Gamma pilot, owner: Gus, stage: pilot, launched_on: 2025-06-01}
  - {slug: delta, name: Delta eta, owner: Dee, stage: production, launched_on: 2026-08-01}
  - {slug: zeta, name: Zeta forecast, owner: Zed, stage: production, launched_on: 2025-01-01}
  - {slug: omega, name: Omega, owner: Oz, stage: pilot, launched_on: 2026-10-15}
incidents:
  # --- 2026Q3 -------------------------------------------------------------------------------
  - id: INC-0101
    project: alpha
    title: Alpha drifted after an upstream schema change
    kind: degradation
    severity: 3
    status: resolved
    started_at: 2026-07-01
    detected_at: 2026-07-03
    resolved_at: 2026-07-08
    detected_by: monitoring
    postmortem: published
    modes: [{code: drift.distribution-shift, role: primary}]
    causes:
      - {id: c1, statement: input distribution moved, mode: drift.distribution-shift, trigger: true, because: [c2]}
      - {id: c2, statement: upstream team changed a column, mode: drift.upstream-change}
    actions:
      - {title: add a schema contract, status: done}
      - {title: alert on input drift, status: open, due: 2026-09-01}
      - {title: rewrite the pipeline, status: wont-do}
  - id: INC-0102
    project: alpha
    title: Alpha switched off by a flag
    kind: quiet-shutdown
    severity: 2
    status: resolved
    started_at: 2026-08-10
    detected_at: 2026-08-20
    resolved_at: 2026-09-19
    detected_by: user-report
    postmortem: none
    modes:
      - {code: silent.quiet-shutdown, role: primary}
      - {code: ops.no-monitoring}
    causes:
      - {id: c1, statement: flag turned off without notice, mode: silent.quiet-shutdown, trigger: true}
    actions:
      - {title: announce flag changes, status: done}
      - {title: audit flags, status: done}
  - id: INC-0103
    project: beta
    title: Beta quietly disabled
    kind: quiet-shutdown
    severity: 1
    status: open
    started_at: 2026-09-01T00:00:00Z
    detected_at: 2026-09-01T12:00:00Z
    detected_by: review
    postmortem: none
    modes: [{code: silent.quiet-shutdown, role: primary}]
    actions:
      - {title: name an owner, status: open, due: 2026-12-01}
  - id: INC-0104
    project: gamma
    title: Gamma had no owner
    kind: abandonment
    severity: 3
    status: resolved
    detected_at: 2026-09-20
    resolved_at: 2026-09-25
    detected_by: audit
    postmortem: none
    modes: [{code: org.unclear-ownership, role: primary}]
  - id: INC-0105
    project: delta
    title: Delta too slow at launch
    kind: degradation
    severity: 4
    status: resolved
    started_at: 2026-09-30T23:00:00Z
    detected_at: 2026-10-02
    resolved_at: 2026-10-05
    detected_by: downstream-team
    postmortem: draft
    modes: [{code: integration.latency, role: primary}]
  - id: INC-0106
    project: beta
    title: Beta disabled (duplicate report)
    kind: quiet-shutdown
    severity: 1
    started_at: 2026-09-02
    detected_at: 2026-09-03
    detected_by: nobody
    postmortem: none
    modes: [{code: org.eroded-trust}]
    actions:
      - {title: duplicate action, status: open, due: 2026-08-01}
  # --- 2026Q2 -------------------------------------------------------------------------------
  - id: INC-0201
    project: gamma
    title: Gamma degraded slowly
    kind: degradation
    severity: 3
    status: resolved
    started_at: 2026-05-01
    detected_at: 2026-06-01
    resolved_at: 2026-07-11
    detected_by: nobody
    postmortem: none
    modes:
      - {code: drift.distribution-shift, role: primary}
      - {code: ops.no-monitoring}
    actions:
      - {title: add outcome monitoring, status: open, due: 2026-06-15}
  - id: INC-0202
    project: beta
    title: Beta flag off in spring
    kind: quiet-shutdown
    severity: 3
    status: resolved
    started_at: 2026-04-10
    detected_at: 2026-04-12
    resolved_at: 2026-04-20
    detected_by: monitoring
    postmortem: published
    modes: [{code: silent.quiet-shutdown, role: primary}]
  # --- 2026Q1 and after 2026Q3 --------------------------------------------------------------
  - id: INC-0301
    project: alpha
    title: Alpha had no owner in winter
    kind: degradation
    severity: 4
    status: resolved
    started_at: 2026-02-01
    detected_at: 2026-02-03
    resolved_at: 2026-02-10
    detected_by: monitoring
    postmortem: waived
    modes: [{code: org.unclear-ownership, role: primary}]
  - id: INC-0401
    project: alpha
    title: Alpha in October
    kind: degradation
    severity: 1
    started_at: 2026-10-10
    detected_at: 2026-10-11
    detected_by: monitoring
    postmortem: none
    modes: [{code: integration.latency}]
    actions:
      - {title: later action, status: open, due: 2026-09-30}
"""


def load_portfolio(kb: KB, tmp_path: Path) -> None:
    path = tmp_path / "portfolio.yaml"
    path.write_text(PORTFOLIO, encoding="utf-8")
    kb.import_paths([str(path)])
    kb.merge_incident("INC-0106", "INC-0103")


# The silent-failure detector's own input for the portfolio: a settings file that keeps three of its
# signals (quiet-shutdown 3, ownerless 1, undetected 1, the others 0) and looks back 120 days for
# undetected incidents, a flag log for alpha and a health sheet. Read by the real detector, they give
# the verdicts in VERDICTS, worked out by hand below (the detector's own scoring is issue 5's to test).
DETECTOR_SETTINGS = """
[silent.weights]
quiet-shutdown = 3.0
ownerless = 1.0
undetected = 1.0
abandoned = 0
unmonitored = 0
no-baseline = 0
usage-decline = 0
adoption-decline = 0
quality-decay = 0
override-rise = 0
cost-creep = 0
capacity-gap = 0
feedback-blind = 0
stale-record = 0
action-debt = 0

[silent.thresholds]
undetected_window_days = 120
"""
ALPHA_FLAG = "alpha-ranker"
FLAG_LOG = f"""flag,environment,action,at,actor,comment
{ALPHA_FLAG},production,enabled,2026-01-05T09:00:00Z,ann,launch
{ALPHA_FLAG},production,disabled,2026-09-10T15:00:00Z,bob,
"""
HEALTH_SHEET = """\
project,period,predictions,acted_on,overrides,quality,latency_p95_ms,cost,value,owner_confirmed,flag_on
alpha,2026-06,,,,,,,,false,
alpha,2026-09,,,,,,,,true,
delta,2026-09,,,,,,,,false,
"""
# At the end of 2026-09-30 (undetected: started in [2026-06-02, 2026-10-01)):
# - alpha: flag off since 2026-09-10 15:00 (20 whole days to 10-01 00:00, over the 7 needed) with no
#   incident within 14 days (0102 was detected 08-20, 21 days before; 0401 was not known yet): 3;
#   its latest health period (2026-09) confirms the owner
# - beta: no owner (1) and 0103 detected by review on 09-01 (1); 0106 is merged into 0103
# - gamma: 0201 started 05-01, outside the 120 days; 0104 was found by an audit
# - delta: its latest health period (2026-09) leaves the owner unconfirmed (1)
# At the end of 2026-06-30 (undetected: started in [2026-03-02, 2026-07-01)):
# - alpha: the 2026-06 period leaves the owner unconfirmed (1); the flag is still on
# - beta: no owner (1); 0202 was found by monitoring after 2 days
# - gamma: 0201 detected by nobody (1)
# - delta: the 2026-09 period is not known yet, nothing fires (and delta had not launched)
VERDICTS: dict[date, dict[str, tuple[str, float]]] = {
    date(2026, 9, 30): {
        "alpha": ("silent-failure", 3.0),
        "beta": ("watch", 2.0),
        "gamma": ("healthy", 0.0),
        "delta": ("watch", 1.0),
        "zeta": ("healthy", 0.0),
        "omega": ("healthy", 0.0),
    },
    date(2026, 6, 30): {
        "alpha": ("watch", 1.0),
        "beta": ("watch", 1.0),
        "gamma": ("watch", 1.0),
        "delta": ("healthy", 0.0),  # not launched yet: the review must treat delta as new
        "zeta": ("healthy", 0.0),
        "omega": ("healthy", 0.0),
    },
}


def give_detector_input(kb: KB, tmp_path: Path) -> None:
    """Write the settings file, map alpha's flag and import the flag log and the health sheet (see VERDICTS)."""
    from kb.config import config_dir

    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "config.toml").write_text(DETECTOR_SETTINGS, encoding="utf-8")
    kb.edit_project("alpha", {"feature_flags": [ALPHA_FLAG]})
    flags, health = tmp_path / "flags.csv", tmp_path / "health.csv"
    flags.write_text(FLAG_LOG, encoding="utf-8")
    health.write_text(HEALTH_SHEET, encoding="utf-8")
    kb.import_flags(flags)
    kb.import_health(health)


@pytest.fixture
def portfolio(kb: KB, tmp_path: Path) -> KB:
    """The portfolio with the detector's input: the verdicts of VERDICTS."""
    load_portfolio(kb, tmp_path)
    give_detector_input(kb, tmp_path)
    return kb


@pytest.fixture
def plain_portfolio(kb: KB, tmp_path: Path) -> KB:
    load_portfolio(kb, tmp_path)
    return kb


def test_the_detector_input_gives_the_verdicts_worked_out_by_hand(portfolio: KB) -> None:
    for as_of, expected in VERDICTS.items():
        assert {v.project: (v.verdict, v.score) for v in portfolio.silent_scan(as_of)} == expected


def test_summary_numbers_match_hand_computation(portfolio: KB) -> None:
    data = json.loads(portfolio.review("2026Q3").model_dump_json())
    s = data["summary"]
    # omega launched after the quarter; delta launched inside it
    assert s["projects"] == 5
    assert s["by_stage"] == {"pilot": 1, "production": 4}
    # 0101..0105 start (0104: detected) in Q3; 0106 is a duplicate; 0401 is October
    assert s["incidents_opened"] == 5
    # resolved inside Q3: 0101 (07-08), 0102 (09-19), 0104 (09-25), 0201 (07-11); 0105 resolved in October
    assert s["incidents_resolved"] == 4
    # detect: 0101 2 d, 0102 10 d, 0103 0.5 d, 0105 1 d 1 h; sorted .5, 1.0417, 2, 10
    ttd = s["time_to_detect"]
    assert ttd["count"] == 4
    assert ttd["median_days"] == pytest.approx((1 + 1 / 24 + 2) / 2, abs=1e-6)
    assert ttd["p90_days"] == pytest.approx(2 + 0.7 * (10 - 2), abs=1e-6)  # position 0.9 * 3 = 2.7
    # resolve: 0101 5 d, 0102 30 d, 0104 5 d, 0201 40 d; sorted 5, 5, 30, 40
    ttr = s["time_to_resolve"]
    assert ttr["count"] == 4
    assert ttr["median_days"] == pytest.approx(17.5)
    assert ttr["p90_days"] == pytest.approx(30 + 0.7 * 10)
    assert s["detection"] == {"monitoring": 1, "people": 2, "review": 2, "nobody": 0}
    assert s["detection_share"] == pytest.approx({"monitoring": 0.2, "people": 0.4, "review": 0.4, "nobody": 0.0})
    assert s["quiet_shutdowns"] == 2
    # postmortem none and detected before 2026-09-17; 0104 (09-20) is inside the grace period
    assert s["postmortems_missing_ids"] == ["INC-0201", "INC-0102", "INC-0103"]
    assert s["postmortems_missing"] == 3
    # Q3 actions: 0101 done/open/wont-do, 0102 done/done, 0103 open -> 3 / (6 - 1)
    assert s["actions"] == {
        "opened": 6,
        "done": 3,
        "wont_do": 1,
        "still_open": 2,
        "overdue": 2,  # 0101's (due 09-01) and 0201's (06-15); not 0103's (12-01), the duplicate's, or October's
        "completion_rate": pytest.approx(0.6),
    }


def test_scorecard_counts_and_verdict_changes(portfolio: KB) -> None:
    r = portfolio.review("2026Q3")
    cards = {c.slug: c for c in r.scorecard}
    assert set(cards) == {"alpha", "beta", "gamma", "delta", "zeta"}
    assert [(cards[s].incidents, cards[s].open_actions, cards[s].overdue_actions) for s in sorted(cards)] == [
        (2, 1, 1),  # alpha: 0101, 0102; open 0101's drift alert (overdue); 0401 is after the quarter
        (1, 1, 0),  # beta: 0103 (0106 is its duplicate)
        (1, 0, 0),  # delta: 0105
        (1, 1, 1),  # gamma: 0104; 0201's open action is overdue
        (0, 0, 0),  # zeta
    ]
    changes = {s: (cards[s].previous_verdict, cards[s].verdict, cards[s].change) for s in cards}
    assert changes == {
        "alpha": ("watch", "silent-failure", "worse"),
        "beta": ("watch", "watch", "same"),
        "gamma": ("watch", "healthy", "better"),
        "delta": (None, "watch", "new"),
        "zeta": ("healthy", "healthy", "same"),
    }
    # worst first: silent-failure, then watch by score, then healthy
    assert [c.slug for c in r.scorecard] == ["alpha", "beta", "delta", "gamma", "zeta"]
    assert [(s.code, s.weight, s.evidence) for s in cards["alpha"].signals] == [
        (
            "quiet-shutdown",
            3.0,
            f"flag {ALPHA_FLAG} disabled in production on 2026-09-10 by bob with no comment; "
            "no incident within 14 days; off for 20 days",
        )
    ]


def test_modes_against_previous_quarter_and_recommendations(portfolio: KB) -> None:
    r = portfolio.review("2026Q3")
    got = [(m.code, m.incidents, m.previous) for m in r.patterns.modes]
    assert got == [
        ("silent.quiet-shutdown", 2, 1),  # 0102 (classified and a cause: once), 0103 / 0202
        ("drift.distribution-shift", 1, 1),
        ("ops.no-monitoring", 1, 1),
        ("drift.upstream-change", 1, 0),  # a cause's mode counts
        ("integration.latency", 1, 0),
        ("org.unclear-ownership", 1, 0),
    ]
    assert [x.code for x in r.recommendations] == [
        "silent.quiet-shutdown",
        "drift.distribution-shift",
        "ops.no-monitoring",
    ]
    tax = portfolio.taxonomy
    assert r.recommendations[0].mitigations == tax.modes["silent.quiet-shutdown"].mitigations
    # severity 1, 2, then the longer of the two severity-3 incidents (0101: 7 days; 0104: 5 days)
    assert [w.id for w in r.patterns.worst] == ["INC-0103", "INC-0102", "INC-0101"]


def test_previous_quarters_have_their_own_numbers(portfolio: KB) -> None:
    q2 = portfolio.review("2026Q2").summary
    # 0201 and 0202; delta and omega not launched by 2026-07-01
    assert (q2.projects, q2.incidents_opened, q2.incidents_resolved) == (4, 2, 1)
    # detect: 0201 31 d, 0202 2 d; p90 at position 0.9 -> 2 + 0.9 * 29
    assert q2.time_to_detect.median_days == pytest.approx(16.5)
    assert q2.time_to_detect.p90_days == pytest.approx(28.1)
    # only 0202 resolved in Q2 (8 days): a single value is its own median and p90
    assert (q2.time_to_resolve.median_days, q2.time_to_resolve.p90_days) == (8.0, 8.0)
    assert (q2.actions.opened, q2.actions.completion_rate) == (1, 0.0)  # 0201's one action is still open
    q1 = portfolio.review("2026Q1").summary
    assert (q1.incidents_opened, q1.incidents_resolved, q1.quiet_shutdowns) == (1, 1, 0)
    assert q1.postmortems_missing == 0  # nothing detected before 2026-03-18 lacks a postmortem


def test_undecided_twice_is_flagged_until_a_decision_is_recorded(portfolio: KB) -> None:
    # alpha and beta were at risk at the end of Q2 and Q3; gamma recovered; delta is new
    r = portfolio.review("2026Q3")
    assert r.undecided_twice == ["alpha", "beta"]
    assert [c.slug for c in r.scorecard if c.undecided_twice] == ["alpha", "beta"]
    portfolio.decide("2026Q2", "alpha", "fix", "Ann", "2026-09-15", "retrain and monitor")
    assert portfolio.review("2026Q3").undecided_twice == ["beta"]
    portfolio.decide("2026Q3", "beta", "pause", "Bo", None, "")
    assert portfolio.review("2026Q3").undecided_twice == []


def test_health_trends_take_the_last_periods_before_the_quarter_end(plain_portfolio: KB) -> None:
    portfolio = plain_portfolio
    rows = [
        ("2026-05", "2026-05-01", "2026-06-01", 100.0, 50.0, 0.9),
        ("2026-06", "2026-06-01", "2026-07-01", 100.0, None, 0.8),
        ("2026-07", "2026-07-01", "2026-08-01", 200.0, 50.0, 0.7),
        ("2026-10", "2026-10-01", "2026-11-01", 300.0, 300.0, 0.1),  # after the quarter: left out
    ]
    with portfolio.transaction() as db:
        for period, start, end, pred, acted, quality in rows:
            db.execute(
                "INSERT INTO health (project, period, period_start, period_end, predictions, acted_on, quality) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                ["alpha", period, start, end, pred, acted, quality],
            )
    card = next(c for c in portfolio.review("2026Q3").scorecard if c.slug == "alpha")
    trends = {t.metric: t for t in card.trends}
    assert set(trends) == {"predictions", "adoption", "quality"}  # value never reported
    assert trends["predictions"].periods == ["2026-05", "2026-06", "2026-07"]
    assert trends["adoption"].values == [0.5, None, 0.25]
    assert trends["quality"].values == [0.9, 0.8, 0.7]


def test_real_detector_and_graph_feed_the_review(kb: KB, tmp_path: Path) -> None:
    """Wiring: the scorecard carries the detector's verdicts as of the quarter's last day, and the
    patterns carry the graph's results for the quarter (their own numbers are tested by issues 4 and 5)."""
    load_portfolio(kb, tmp_path)
    r = kb.review("2026Q3")
    assert "silent-failure verdicts" not in r.unavailable and "root causes" not in r.unavailable
    expected = {v.project: (v.verdict, v.score) for v in kb.silent_scan(as_of=date(2026, 9, 30))}
    assert {c.slug: (c.verdict, c.score) for c in r.scorecard if c.verdict} == {
        s: v for s, v in expected.items() if s != "omega"
    }
    assert [x.code for x in r.patterns.root_causes or []] == [i.code for i in kb.root_causes(quarter="2026Q3").items]
    chains = {w.id: w.mermaid or "" for w in r.patterns.worst}
    assert chains["INC-0101"].startswith("flowchart")
    assert "input distribution moved" in chains["INC-0101"]
    md = to_markdown(r)
    assert "```mermaid\nflowchart" in md
