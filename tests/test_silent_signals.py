"""Each detector signal at its edges, on small portfolios built in the test (as of 2026-06-30)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kb.errors import KBError
from kb.models import Action, Incident, Project
from kb.service import KB

AS_OF = date(2026, 6, 30)
HEADER = "project,period,predictions,acted_on,overrides,quality,latency_p95_ms,cost,value,owner_confirmed,flag_on\n"
MONTHS = [f"2025-{m:02d}" for m in range(7, 13)] + [f"2026-{m:02d}" for m in range(1, 7)]
GOOD: dict[str, Any] = {"owner": "ann", "stage": "production", "monitoring": "outcomes", "baseline": "rules"}


def make(kb: KB, tmp_path: Path, health: list[str] | None = None, flags: list[str] | None = None, **fields: Any) -> KB:
    """One project `p` (healthy fields unless overridden), health rows and flag-log lines."""
    kb.add_project(Project(slug="p", feature_flags=["p-on"], **{**GOOD, **fields}))
    if health is None:  # a steady, confirmed year
        health = [f"p,{m},1000,500,20,0.9,100,100,400,true,true" for m in MONTHS]
    if health:
        (tmp_path / "h.csv").write_text(HEADER + "\n".join(health) + "\n")
        kb.import_health(tmp_path / "h.csv")
    if flags:
        (tmp_path / "f.csv").write_text("flag,environment,action,at,actor,comment\n" + "\n".join(flags) + "\n")
        kb.import_flags(tmp_path / "f.csv")
    return kb


def codes(kb: KB, as_of: date = AS_OF) -> list[str]:
    return [s.code for s in kb.silent_scan(as_of, project="p")[0].signals]


def signal(kb: KB, code: str) -> Any:
    return next(s for s in kb.silent_scan(AS_OF, project="p")[0].signals if s.code == code)


def test_a_healthy_project_fires_nothing(kb: KB, tmp_path: Path) -> None:
    make(kb, tmp_path)
    v = kb.silent_scan(AS_OF, project="p")[0]
    assert (v.verdict, v.score, v.signals, v.notes) == ("healthy", 0.0, [], [])


# --- flags -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "fires"),
    [
        (["p-on,production,disabled,2026-06-01,bob,"], True),
        # a comment typed into the flag tool is not a postmortem (issue 15): still quiet
        (["p-on,production,disabled,2026-06-01,bob,planned: model replaced by v2"], True),
        (["p-on,staging,disabled,2026-06-01,bob,"], False),  # not production
        (["p-on,production,disabled,2026-06-01,bob,", "p-on,production,enabled,2026-06-06,bob,"], False),  # 5 days
        (["p-on,production,disabled,2026-06-01,bob,", "p-on,production,enabled,2026-06-08,bob,"], True),  # 7 days
        (["p-on,production,disabled,2026-06-25,bob,"], False),  # 6 days to the end of 06-30
        (["p-on,production,disabled,2026-06-24,bob,"], True),  # 7 days
    ],
)
def test_quiet_shutdown_edges(kb: KB, tmp_path: Path, lines: list[str], fires: bool) -> None:
    make(kb, tmp_path, flags=lines)
    assert ("quiet-shutdown" in codes(kb)) is fires


def test_quiet_shutdown_quotes_the_flag_tool_comment(kb: KB, tmp_path: Path) -> None:
    make(kb, tmp_path, flags=["p-on,production,disabled,2026-06-01,bob,CTR dropped 4% week over week"])
    assert signal(kb, "quiet-shutdown").evidence == (
        'flag p-on disabled in production on 2026-06-01 by bob; comment in the flag tool: "CTR dropped 4% week '
        'over week" (not a postmortem); no incident within 14 days; off for 30 days'
    )


def test_quiet_shutdown_evidence_when_re_enabled(kb: KB, tmp_path: Path) -> None:
    make(kb, tmp_path, flags=["p-on,prod,disabled,2026-06-01,,", "p-on,prod,enabled,2026-06-10,bob,back"])
    assert signal(kb, "quiet-shutdown").evidence == (
        "flag p-on disabled in prod on 2026-06-01 by an unknown actor with no comment; no incident within 14 days; "
        "off for 9 days until re-enabled on 2026-06-10"
    )


@pytest.mark.parametrize(("started", "fires"), [("2026-06-15", False), ("2026-05-18", False), ("2026-05-17", True)])
def test_an_incident_within_14_days_either_side_explains_a_disable(
    kb: KB, tmp_path: Path, started: str, fires: bool
) -> None:
    make(kb, tmp_path, flags=["p-on,production,disabled,2026-06-01,bob,"])
    kb.add_incident(Incident(project="p", title="t", started_at=started, detected_at=started, detected_by="monitoring"))
    assert ("quiet-shutdown" in codes(kb)) is fires


def test_abandoned_from_flag_log(kb: KB, tmp_path: Path) -> None:
    make(kb, tmp_path, flags=["p-on,production,disabled,2026-05-31,bob,sunset"])  # 31 days to 07-01
    assert signal(kb, "abandoned").data["off_days"] == 31
    assert "abandoned" not in codes(kb, date(2026, 6, 28))  # 29 days


def test_abandoned_is_only_for_live_stages(kb: KB, tmp_path: Path) -> None:
    make(kb, tmp_path, flags=["p-on,production,disabled,2026-01-02,bob,sunset"], stage="paused")
    assert "abandoned" not in codes(kb)


def test_abandoned_from_the_health_sheet_when_no_flag_log(kb: KB, tmp_path: Path) -> None:
    rows = [f"p,{m},1000,500,20,0.9,100,100,400,true,{'false' if m >= '2026-05' else 'true'}" for m in MONTHS]
    make(kb, tmp_path, health=rows)
    s = signal(kb, "abandoned")  # off since 2026-05-01: 61 days to 07-01
    assert s.data["off_days"] == 61 and s.data["periods"] == ["2026-05", "2026-06"]


# --- the record ----------------------------------------------------------------------------------


def test_ownerless(kb: KB, tmp_path: Path) -> None:
    rows = [f"p,{m},1000,500,20,0.9,100,100,400,{'false' if m == '2026-06' else 'true'},true" for m in MONTHS]
    make(kb, tmp_path, health=rows)
    assert signal(kb, "ownerless").evidence == (
        "owner ann not confirmed in the latest period 2026-06 (owner_confirmed false)"
    )


@pytest.mark.parametrize(
    ("fields", "code", "fires"),
    [
        ({"monitoring": "training-metrics"}, "unmonitored", True),
        ({"monitoring": "none", "stage": "pilot"}, "unmonitored", False),
        ({"baseline": ""}, "no-baseline", True),
        ({"outcome_lag_days": 120, "monitoring": "input-drift"}, "feedback-blind", True),
        ({"outcome_lag_days": 89, "monitoring": "input-drift"}, "feedback-blind", False),
        ({"outcome_lag_days": 365}, "feedback-blind", False),  # monitoring is outcomes
    ],
)
def test_record_signals(kb: KB, tmp_path: Path, fields: dict[str, Any], code: str, fires: bool) -> None:
    make(kb, tmp_path, **fields)
    assert (code in codes(kb)) is fires


def test_no_baseline_alone_is_still_healthy(kb: KB, tmp_path: Path) -> None:
    make(kb, tmp_path, baseline="")
    v = kb.silent_scan(AS_OF, project="p")[0]
    assert (v.verdict, v.score) == ("healthy", 0.5)


def test_stale_record(kb: KB, tmp_path: Path) -> None:
    old = [f"p,{m},1000,500,20,0.9,100,100,400,true,true" for m in MONTHS[:5]]  # last period 2025-11
    make(kb, tmp_path, health=old)
    assert signal(kb, "stale-record").evidence == (
        "no health period and no incident since 2025-12-31 (182 days); last health period 2025-11"
    )
    kb.add_incident(Incident(project="p", title="t", started_at="2026-03-01", detected_by="monitoring"))
    assert "stale-record" not in codes(kb)


def test_undetected_and_action_debt(kb: KB, tmp_path: Path) -> None:
    make(kb, tmp_path)
    kb.add_incident(
        Incident(
            project="p",
            title="late",
            started_at="2026-01-01",
            detected_at="2026-02-15",
            detected_by="user-report",
            actions=[
                Action(title="add alerting", owner="ann", due=date(2026, 5, 1)),
                Action(title="done one", due=date(2026, 4, 1), status="done"),
            ],
        )
    )
    kb.add_incident(Incident(project="p", title="too old", started_at="2025-06-01", detected_by="nobody"))
    assert signal(kb, "undetected").evidence.endswith("(started 2026-01-01) detected by user-report after 45 days")
    assert signal(kb, "action-debt").evidence.startswith("1 postmortem action past due and open; oldest 'add alerting'")
    assert "action-debt" not in codes(kb, date(2026, 4, 30))  # not yet due then


def test_capacity_gap(kb: KB, tmp_path: Path) -> None:
    rows = [f"p,{m},1000,{150 if m >= '2026-05' else 500},20,0.9,100,100,400,true,true" for m in MONTHS]
    make(kb, tmp_path, health=rows)
    assert signal(kb, "capacity-gap").data["adoption"] == [0.15, 0.15]


# --- trends at their edges -------------------------------------------------------------------------

# (code, column index in the CSV row, values for a 4-period monotone move in the signal's direction)
TREND_CASES = [
    ("usage-decline", 2, [1000, 900, 800, 700]),
    ("quality-decay", 5, [0.9, 0.8, 0.7, 0.6]),
    ("cost-creep", 7, [100, 120, 140, 160]),
]


def _rows(periods: list[str], col: int, values: list[float]) -> list[str]:
    out = []
    for m, v in zip(periods, values, strict=True):
        cells = ["p", m, "1000", "500", "20", "0.9", "100", "100", "400", "true", "true"]
        cells[col] = str(v)
        out.append(",".join(cells))
    return out


@pytest.mark.parametrize(("code", "col", "values"), TREND_CASES)
def test_trend_signal_three_periods_says_too_little_history(
    kb: KB, tmp_path: Path, code: str, col: int, values: list[float]
) -> None:
    make(kb, tmp_path, health=_rows(MONTHS[-3:], col, values[:3]))
    v = kb.silent_scan(AS_OF, project="p")[0]
    assert code not in [s.code for s in v.signals]
    assert f"{code}: too little history: 3 periods, a trend needs 4 (2026-04, 2026-05, 2026-06)" in v.notes


@pytest.mark.parametrize(("code", "col", "values"), TREND_CASES)
def test_trend_signal_four_monotone_periods_fire(
    kb: KB, tmp_path: Path, code: str, col: int, values: list[float]
) -> None:
    make(kb, tmp_path, health=_rows(MONTHS[-4:], col, values))
    s = signal(kb, code)
    assert s.data["p_value"] == pytest.approx(1 / 24) and s.data["alpha"] == 0.10


@pytest.mark.parametrize(("code", "col", "values"), TREND_CASES)
def test_trend_signal_noisy_flat_twelve_periods_do_not_fire(
    kb: KB, tmp_path: Path, code: str, col: int, values: list[float]
) -> None:
    wobble = [1.0, 1.3, 0.7, 1.25, 0.8, 1.1, 0.75, 1.35, 0.85, 1.2, 0.72, 1.28]
    base = values[0]
    make(kb, tmp_path, health=_rows(MONTHS, col, [round(base * w, 4) for w in wobble]))
    assert code not in codes(kb)


def test_adoption_and_override_trends(kb: KB, tmp_path: Path) -> None:
    # acted_on 500, 450, 400, 350 of 1000: adoption falls; overrides 20, 45, 60, 70 of those: rate rises
    rows = [
        f"p,{m},1000,{a},{o},0.9,100,100,400,true,true"
        for m, a, o in zip(MONTHS[-4:], [500, 450, 400, 350], [20, 45, 60, 70], strict=True)
    ]
    make(kb, tmp_path, health=rows)
    assert {"adoption-decline", "override-rise"} <= set(codes(kb))


def test_cost_creep_does_not_fire_when_value_rises_too(kb: KB, tmp_path: Path) -> None:
    rows = [
        f"p,{m},1000,500,20,0.9,100,{c},{v},true,true"
        for m, c, v in zip(MONTHS[-4:], [100, 120, 140, 160], [400, 500, 600, 700], strict=True)
    ]
    make(kb, tmp_path, health=rows)
    assert "cost-creep" not in codes(kb)


# --- configuration ---------------------------------------------------------------------------------


def test_config_file_changes_weights_and_thresholds(kb: KB, tmp_path: Path) -> None:
    make(kb, tmp_path, baseline="")
    cfg = tmp_path / "silent.toml"
    cfg.write_text("[weights]\nno-baseline = 3.5\n[verdict]\nwatch = 2.0\n")
    v = kb.silent_scan(AS_OF, project="p", config_path=cfg)[0]
    assert (v.verdict, v.score) == ("silent-failure", 3.5)


def test_user_config_dir_file_is_read(kb: KB, tmp_path: Path) -> None:
    from kb.config import config_dir

    make(kb, tmp_path, baseline="")
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "silent.toml").write_text("[weights]\nno-baseline = 0\n")
    assert codes(kb) == []


def test_config_typo_is_an_error(kb: KB, tmp_path: Path) -> None:
    make(kb, tmp_path)
    cfg = tmp_path / "silent.toml"
    cfg.write_text("[trends]\nalpha_smal = 0.2\n")
    with pytest.raises(KBError, match=r"unknown setting 'trends.alpha_smal'"):
        kb.silent_scan(AS_OF, config_path=cfg)


@pytest.mark.parametrize("decision", [None, "retire", "pause", "continue"])
def test_a_review_decision_to_retire_or_pause_explains_a_shutdown(kb: KB, tmp_path: Path, decision: str | None) -> None:
    """Issue 15: a disable is quiet unless kb holds an incident near it or the project was retired on purpose."""
    from datetime import timedelta

    today = date.today()
    off = today - timedelta(days=9)
    make(kb, tmp_path, flags=[f"p-on,production,disabled,{off.isoformat()},bob,retiring it"])
    if decision:
        from kb.timeutil import quarter_of

        kb.decide(quarter_of(today).label, "p", decision, "ann")
    fired = "quiet-shutdown" in codes(kb, as_of=today)
    assert fired is (decision not in ("retire", "pause"))


def test_json_of_a_trend_over_a_median_of_zero(kb: KB, tmp_path: Path) -> None:
    """quality 0.2, 0.1, 0, -0.1, -0.2 (a made-up score that can go negative): falls every period, so
    S = -10 of 10 pairs, p = 1/120; Theil-Sen slope -0.1 against a median of 0 is an infinite share,
    which the JSON prints as null (as it did when the verdicts were pydantic models)."""
    import json

    from click.testing import CliRunner

    from kb.cli import main

    q = ["0.2", "0.1", "0", "-0.1", "-0.2"]
    make(
        kb,
        tmp_path,
        health=[f"p,{m},1000,500,20,{x},100,100,400,true,true" for m, x in zip(MONTHS[-5:], q, strict=True)],
    )
    out = CliRunner().invoke(
        main, ["--db", str(kb.path), "silent", "--as-of", "2026-06-30", "--project", "p", "--json"]
    )
    assert out.exit_code == 0, out.output
    (verdict,) = json.loads(out.output)
    assert list(verdict) == ["project", "verdict", "score", "notes", "signals"]
    assert (verdict["verdict"], verdict["score"], verdict["notes"]) == ("watch", 1.5, [])
    (decay,) = verdict["signals"]
    assert (decay["code"], decay["weight"]) == ("quality-decay", 1.5)
    data = decay["data"]
    assert (data["n"], data["tau"], data["p_value"], data["median"]) == (5, -1.0, pytest.approx(1 / 120), 0.0)
    assert data["slope"] == pytest.approx(-0.1) and data["relative_slope"] is None
    assert data["values"] == [0.2, 0.1, 0.0, -0.1, -0.2] and data["ties"] is False


def test_kb_silent_prints_a_user_s_text_as_typed(kb: KB, tmp_path: Path) -> None:
    """An action's title is quoted in the evidence as typed: `:fire:` stays text (rich markup made it
    an emoji) and an ESC shows as `\\x1b` (never a terminal command)."""
    from click.testing import CliRunner

    from kb.cli import main

    make(kb, tmp_path)
    kb.add_incident(
        Incident(
            project="p",
            title="late",
            started_at="2026-01-01",
            detected_at="2026-02-15",
            detected_by="user-report",
            actions=[Action(title=":fire: page [bold]\x1bthe owner", owner="ann", due=date(2026, 5, 1))],
        )
    )
    out = CliRunner().invoke(
        main, ["--db", str(kb.path), "silent", "--as-of", "2026-06-30", "--project", "p"], env={"COLUMNS": "200"}
    )
    assert out.exit_code == 0, out.output
    assert "oldest ':fire: page [bold]\\x1bthe owner' (INC-" in out.output
