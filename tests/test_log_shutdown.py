"""Logging a shutdown records the flag's switch-off with the incident, and refuses a flag the project
does not list unless adding it was confirmed (issue 18, defect 5)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kb.errors import UnknownFlag
from kb.models import Project
from kb.service import KB
from kb.timeutil import now_utc


def _healthy(kb: KB) -> None:
    """A production project with nothing against it: owner, outcome monitoring, baseline, launched lately."""
    kb.add_project(
        Project(
            slug="product-recs",
            stage="production",
            owner="ana",
            monitoring="outcomes",
            baseline="popularity ranking",
            launched_on=(now_utc() - timedelta(days=60)).date(),
            feature_flags=["recs-enabled"],
        )
    )


def test_the_switch_off_is_recorded_and_the_verdict_sees_it(kb: KB) -> None:
    _healthy(kb)
    assert kb.silent_scan(project="product-recs")[0].verdict == "healthy"
    day = (now_utc() - timedelta(days=40)).date()
    inc = kb.log_shutdown("product-recs", "recs-enabled", at=day)
    [event] = kb.flag_events(project="product-recs")
    assert (event.flag_key, event.environment, event.state_from, event.state_to) == (
        "recs-enabled",
        "production",
        "on",
        "off",
    )
    assert event.at.date() == day and event.source == "kb"
    signals = [s.code for s in kb.silent_scan(project="product-recs")[0].signals]
    # off for 40 days in production: abandoned (only the flag event can say so), and found 40 days late
    assert "abandoned" in signals and "undetected" in signals
    assert kb.silent_scan(project="product-recs")[0].verdict == "silent-failure"
    assert inc.project == "product-recs"


def test_an_event_already_in_the_log_is_not_recorded_twice(kb: KB) -> None:
    _healthy(kb)
    day = (now_utc() - timedelta(days=40)).date()
    kb.log_shutdown("product-recs", "recs-enabled", at=day)
    kb.log_shutdown("product-recs", "recs-enabled", at=day)  # the same day again: a second incident, one event
    kb.log_shutdown("product-recs", "recs-enabled")  # no date: the log's latest switch-off is used
    assert len(kb.flag_events(project="product-recs")) == 1
    assert len(list(kb.incidents())) == 3
    assert {i.started_at.date() if hasattr(i.started_at, "date") else i.started_at for i in kb.incidents()} == {day}


def test_an_unknown_flag_is_refused_with_the_known_ones(kb: KB) -> None:
    _healthy(kb)
    with pytest.raises(UnknownFlag) as caught:
        kb.log_shutdown("product-recs", "not-its-flag")
    assert caught.value.known == ["recs-enabled"]
    assert "recs-enabled" in str(caught.value)
    assert list(kb.incidents()) == [] and kb.flag_events() == []


def test_an_unknown_flag_is_added_when_confirmed(kb: KB) -> None:
    _healthy(kb)
    kb.log_shutdown("product-recs", "recs-v2-enabled", add_flag=True)
    assert kb.get_project("product-recs").feature_flags == ["recs-enabled", "recs-v2-enabled"]
    assert [e.flag_key for e in kb.flag_events(project="product-recs")] == ["recs-v2-enabled"]


def test_cli_refuses_an_unknown_flag_in_one_line(run, db_path) -> None:  # type: ignore[no-untyped-def]
    with KB(db_path) as kb:
        _healthy(kb)
    result = run.fails("log-shutdown", "product-recs", "--flag", "not-its-flag")
    assert result.stderr.strip().count("\n") == 0
    assert "not-its-flag" in result.stderr and "recs-enabled" in result.stderr and "--add-flag" in result.stderr
    assert "Traceback" not in result.stderr
    with KB(db_path) as kb:
        assert list(kb.incidents()) == []
    run.ok("log-shutdown", "product-recs", "--flag", "not-its-flag", "--add-flag")
    with KB(db_path) as kb:
        assert "not-its-flag" in kb.get_project("product-recs").feature_flags
        assert [e.flag_key for e in kb.flag_events(project="product-recs")] == ["not-its-flag"]
