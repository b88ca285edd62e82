"""Decisions, their follow-up in the next quarter's review, and frozen reviews that never change."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kb.errors import KBError
from kb.review.followup import judge
from kb.review.model import Decision
from kb.review.render import to_markdown
from kb.service import KB
from tests.test_review_portfolio import give_detector_input, load_portfolio


@pytest.fixture
def portfolio(kb: KB, tmp_path: Path) -> KB:
    """The portfolio with the detector's input (tests.test_review_portfolio.VERDICTS)."""
    load_portfolio(kb, tmp_path)
    give_detector_input(kb, tmp_path)
    return kb


def _set_action(kb: KB, incident_id: str, title: str, status: str) -> None:
    inc = kb.get_incident(incident_id)
    actions = [a.model_dump(mode="json") for a in inc.actions]
    for a in actions:
        if a["title"] == title:
            a["status"] = status
    kb.edit_incident(incident_id, {"actions": actions})


def test_previous_decisions_are_followed_up_in_the_next_review(portfolio: KB) -> None:
    kb = portfolio
    kb.decide("2026Q2", "alpha", "fix", "Ann", "2026-09-15", "add drift alerts")
    kb.decide("2026Q2", "gamma", "pause", "Gus", "2026-08-01", "")
    kb.decide("2026Q2", "zeta", "retire", "Zed", "2026-08-31", "no users left")
    kb.decide("2026Q2", "delta", "fix", "Dee", "2026-12-15", "")
    kb.decide("2026Q2", "beta", "continue", "Bo", None, "")
    # after the decisions: alpha closes one of its two open actions, gamma is paused
    _set_action(kb, "INC-0101", "alert on input drift", "done")
    kb.edit_project("gamma", {"stage": "paused"})

    follow = {f.decision.project: f for f in kb.review("2026Q3").follow_ups}
    assert {k: f.status for k, f in follow.items()} == {
        "alpha": "partly",  # one action done since; INC-0401's action is still open
        "beta": "carried-out",  # still in production, as decided
        "delta": "pending",  # nothing done, but due 2026-12-15 is after the quarter's end
        "gamma": "carried-out",  # pilot -> paused
        "zeta": "nothing-happened",  # still production after its due date
    }
    assert (follow["alpha"].actions_done_since, follow["alpha"].actions_open) == (1, 1)
    assert (follow["gamma"].stage_then, follow["gamma"].stage_now) == ("pilot", "paused")
    assert follow["zeta"].evidence == "stage unchanged (production)"
    assert follow["beta"].decision.due == date(2026, 9, 30)  # default: the end of the next quarter

    md = to_markdown(kb.review("2026Q3"))
    zeta = "| zeta | retire | Zed | 2026-08-31 | nothing-happened | stage unchanged (production) | no users left |"
    assert zeta in md
    assert "| gamma | pause | Gus | 2026-08-01 | carried-out | stage pilot → paused |  |" in md

    _set_action(kb, "INC-0401", "later action", "done")
    assert next(f for f in kb.review("2026Q3").follow_ups if f.decision.project == "alpha").status == "carried-out"


def test_a_later_decision_for_the_same_project_supersedes(portfolio: KB) -> None:
    portfolio.decide("2026Q3", "beta", "fix", "Bo", "2026-12-01", "first")
    portfolio.decide("2026Q3", "beta", "retire", "Bo", "2026-12-01", "second thoughts")
    decisions = portfolio.review("2026Q3").decisions
    assert [(d.project, d.decision, d.note) for d in decisions] == [("beta", "retire", "second thoughts")]


@pytest.mark.parametrize(
    ("decision", "then", "now", "done", "still_open", "status"),
    [
        ("retire", "production", "retired", 0, 0, "carried-out"),
        ("retire", "production", "disabled", 0, 0, "partly"),
        ("retire", "production", "production", 0, 0, "nothing-happened"),
        ("retire", "pilot", "production", 0, 0, "contradicted"),
        ("pause", "production", "paused", 0, 0, "carried-out"),
        ("pause", "production", "production", 3, 0, "nothing-happened"),
        ("fix", "production", "production", 2, 0, "carried-out"),
        ("fix", "production", "production", 2, 1, "partly"),
        ("fix", "production", "production", 0, 4, "nothing-happened"),
        ("fix", "production", "retired", 2, 0, "contradicted"),
        ("continue", "pilot", "production", 0, 0, "carried-out"),
        ("continue", "production", "paused", 0, 0, "contradicted"),
    ],
)
def test_follow_up_rules(decision: str, then: str, now: str, done: int, still_open: int, status: str) -> None:
    d = Decision(id=1, quarter="2026Q2", project="p", decision=decision, owner="o", at="2026-07-01T00:00Z", actor="a")
    assert judge(d, then, now, done, still_open)[0] == status


def test_bad_decisions_are_refused(portfolio: KB) -> None:
    with pytest.raises(KBError, match="no project 'nope'"):
        portfolio.decide("2026Q3", "nope", "fix", "Ann")
    with pytest.raises(KBError, match="'stop' is not a decision"):
        portfolio.decide("2026Q3", "alpha", "stop", "Ann")
    with pytest.raises(KBError, match="needs an owner"):
        portfolio.decide("2026Q3", "alpha", "fix", "  ")
    with pytest.raises(KBError, match="not a date"):
        portfolio.decide("2026Q3", "alpha", "fix", "Ann", "next week")
    with pytest.raises(KBError, match="is a month, not a quarter"):
        portfolio.decide("2026-07", "alpha", "fix", "Ann")
    assert portfolio.db.execute("SELECT count(*) FROM decisions").fetchone()[0] == 0


def test_freezing_keeps_the_review_as_it_stood(portfolio: KB) -> None:
    kb = portfolio
    kb.decide("2026Q3", "beta", "fix", "Bo", "2026-12-01", "name an owner")
    frozen = kb.freeze_review("2026Q3")
    before = frozen.model_dump(mode="json")
    # edits after the freeze: a title, a severity, a new incident in the quarter, a new decision refused
    kb.edit_incident("INC-0102", {"title": "Renamed later", "severity": 5})
    kb.edit_incident("INC-0104", {"postmortem": "published"})
    with pytest.raises(KBError, match="frozen"):
        kb.decide("2026Q3", "alpha", "retire", "Ann")

    again = kb.review("2026Q3")
    assert again.frozen is True and again.frozen_by == "tester"
    assert again.model_dump(mode="json") == before
    assert "Renamed later" not in again.model_dump_json()

    live = kb.review("2026Q3", live=True)
    assert live.frozen is False and live.frozen_version_at is not None
    assert [w.id for w in live.patterns.worst] == ["INC-0103", "INC-0101", "INC-0104"]  # 0102 now severity 5
    assert [d.project for d in live.decisions] == ["beta"]

    with pytest.raises(KBError, match="already frozen"):
        kb.freeze_review("2026Q3")
    with pytest.raises(KBError, match="has not ended"):
        kb.freeze_review("2099Q1")
    assert [(f.quarter, f.projects, f.incidents, f.decisions) for f in kb.frozen_reviews()] == [("2026Q3", 5, 5, 1)]


def test_frozen_previous_review_supplies_the_previous_verdicts(portfolio: KB) -> None:
    kb = portfolio
    kb.freeze_review("2026Q2")  # alpha, beta, gamma at watch then; beta only for having no owner
    # beta gets an owner: judged again at the end of Q2, beta would now be healthy
    kb.edit_project("beta", {"owner": "Bo"})
    assert {v.project: v.verdict for v in kb.silent_scan(date(2026, 6, 30))}["beta"] == "healthy"
    r = kb.review("2026Q3", live=True)
    cards = {c.slug: c for c in r.scorecard}
    # Q2's verdicts come from the frozen review, not from a second scan of the data as it is now
    assert (cards["beta"].previous_verdict, cards["beta"].verdict, cards["beta"].change) == ("watch", "watch", "same")
    assert (cards["gamma"].previous_verdict, cards["gamma"].change) == ("watch", "better")


def test_diff_of_two_reviews(portfolio: KB) -> None:
    d = portfolio.review_diff("2026Q2", "2026Q3")
    numbers = {n.metric: (n.a, n.b) for n in d.numbers}
    assert numbers["incidents opened"] == (2, 5)
    assert numbers["quiet shutdowns"] == (1, 2)
    assert numbers["projects"] == (4, 5)
    assert d.projects_added == ["delta"] and d.projects_removed == []
    assert [(v.project, v.a, v.b, v.change) for v in d.verdicts] == [
        ("alpha", "watch", "silent-failure", "worse"),
        ("gamma", "watch", "healthy", "better"),
    ]
    modes = {m.code: (m.a, m.b) for m in d.modes}
    assert modes["silent.quiet-shutdown"] == (1, 2)
    assert "ops.no-monitoring" not in modes  # 1 and 1: unchanged
