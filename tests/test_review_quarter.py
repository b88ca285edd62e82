"""Reviews true to their quarter (issue 17): who is in a quarter's review, with the stage and owner of
then; "undecided twice" only for projects in both reviews; one count of quiet shutdowns.

The change log stamps each record with the machine's clock, so each test sets the time a record was
made (time-machine, as tests/test_history.py does); every expected value below is read off the records.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from time_machine import TimeMachineFixture

from kb.models import Incident, Project
from kb.review.render import to_markdown
from kb.service import KB

Clock = Callable[[str], None]


@pytest.fixture
def clock(time_machine: TimeMachineFixture) -> Clock:
    def at(when: str) -> None:
        time_machine.move_to(datetime.fromisoformat(when).replace(tzinfo=UTC), tick=False)

    at("2026-11-29T12:00:00")
    return at


def _cards(kb: KB, quarter: str) -> dict[str, tuple[str, str]]:
    review = kb.review(quarter, live=True, parallel=False)
    return {c.slug: (c.stage, c.owner) for c in review.scorecard}


def test_a_project_enters_a_quarter_once_it_existed(kb: KB, clock: Clock) -> None:
    kb.add_project(Project(slug="launched", stage="production", owner="Ann", launched_on="2018-03-01"))
    kb.add_project(Project(slug="evidenced", stage="production", owner="Bo"))  # no launch date
    kb.add_incident(Incident(project="evidenced", title="first sign of it", started_at="2018-06-01"))
    kb.add_project(Project(slug="fresh", stage="pilot", owner="Cy"))  # no launch date, nothing but its record
    assert _cards(kb, "2009Q1") == {}  # before anything existed
    assert set(_cards(kb, "2018Q1")) == {"launched"}  # launched 2018-03-01, before 2018-04-01
    assert set(_cards(kb, "2018Q2")) == {"launched", "evidenced"}  # its first incident, 2018-06-01
    assert set(_cards(kb, "2026Q3")) == {"launched", "evidenced"}  # fresh was first recorded 2026-11-29
    assert set(_cards(kb, "2026Q4")) == {"launched", "evidenced", "fresh"}
    assert kb.review("2009Q1", live=True, parallel=False).summary.projects == 0


def test_a_past_quarter_shows_the_stage_and_owner_of_then(kb: KB, clock: Clock) -> None:
    clock("2026-01-15T09:00:00")
    kb.add_project(Project(slug="scorer", stage="pilot", owner="Ann", launched_on="2025-12-01"))
    clock("2026-08-10T09:00:00")
    kb.edit_project("scorer", {"stage": "production", "owner": "Bob"})
    clock("2026-11-29T12:00:00")
    assert _cards(kb, "2026Q1") == {"scorer": ("pilot", "Ann")}
    assert _cards(kb, "2026Q2") == {"scorer": ("pilot", "Ann")}  # the change came on 2026-08-10
    assert _cards(kb, "2026Q3") == {"scorer": ("production", "Bob")}
    q1 = kb.review("2026Q1", live=True, parallel=False)
    assert q1.summary.by_stage == {"pilot": 1}


def test_a_project_leaves_after_its_retirement(kb: KB, clock: Clock) -> None:
    clock("2026-02-01T09:00:00")
    kb.add_project(Project(slug="old", stage="production", owner="Oz", launched_on="2025-01-01"))
    clock("2026-05-01T09:00:00")
    kb.edit_project("old", {"stage": "retired"})
    clock("2026-11-29T12:00:00")
    assert _cards(kb, "2026Q1") == {"old": ("production", "Oz")}
    assert _cards(kb, "2026Q2") == {"old": ("retired", "Oz")}  # retired during the quarter: still in it
    assert _cards(kb, "2026Q3") == {}  # retired before the quarter began


def test_undecided_twice_only_for_a_project_in_both_reviews(kb: KB, clock: Clock) -> None:
    # both are ownerless, unmonitored production projects: at risk by the detector in any quarter
    kb.add_project(Project(slug="steady", stage="production", launched_on="2025-01-01"))
    kb.add_project(Project(slug="newcomer", stage="production"))  # first recorded 2026-11-29, no launch date
    q4 = kb.review("2026Q4", live=True, parallel=False)
    cards = {c.slug: c for c in q4.scorecard}
    assert cards["steady"].verdict in ("watch", "silent-failure")
    assert cards["newcomer"].verdict in ("watch", "silent-failure")
    assert q4.undecided_twice == ["steady"]
    assert (cards["newcomer"].previous_verdict, cards["newcomer"].change) == (None, "new")
    forked = kb.review("2026Q4", live=True, parallel=True)
    assert forked.undecided_twice == ["steady"]


def test_summary_quiet_shutdowns_are_what_the_scorecard_shows(kb: KB) -> None:
    """The seed cases' 2026Q3: demand-forecast's flag forecast-driven-orders went off on 2026-08-20
    with no incident (seed_cases/signals), and no quiet-shutdown incident started in the quarter."""
    kb.seed()
    review = kb.review("2026Q3", live=True, parallel=False)
    cards = {c.slug: c for c in review.scorecard}
    assert (cards["demand-forecast"].quiet_shutdowns, cards["demand-forecast"].quiet_shutdowns_unlogged) == (0, 1)
    s = review.summary
    assert (s.quiet_shutdowns, s.quiet_shutdowns_unlogged) == (0, 1)
    assert s.quiet_shutdowns == sum(c.quiet_shutdowns for c in review.scorecard)
    assert s.quiet_shutdowns_unlogged == sum(c.quiet_shutdowns_unlogged for c in review.scorecard)
    assert "| quiet shutdowns | 0 logged as incidents, 1 detected with no incident |" in to_markdown(review)


def test_logged_quiet_shutdowns_are_counted_per_project(kb: KB) -> None:
    kb.add_project(Project(slug="a", stage="production", owner="Ann", launched_on="2025-01-01"))
    kb.add_project(Project(slug="b", stage="production", owner="Bo", launched_on="2025-01-01"))
    for n, (project, started) in enumerate([("a", "2026-07-02"), ("a", "2026-08-02"), ("b", "2026-06-30")]):
        kb.add_incident(Incident(project=project, title=f"off {n}", kind="quiet-shutdown", started_at=started))
    review = kb.review("2026Q3", live=True, parallel=False)
    data = json.loads(review.model_dump_json())
    assert {c["slug"]: c["quiet_shutdowns"] for c in data["scorecard"]} == {"a": 2, "b": 0}  # b's was in Q2
    assert data["summary"]["quiet_shutdowns"] == 2


def test_shares_are_shown_with_their_counts(kb: KB) -> None:
    """One incident in the quarter (severity 3, weight 3): its one root condition is "1 of 1", not a bare 100%."""
    kb.add_project(Project(slug="solo", stage="production", owner="Sol", launched_on="2025-01-01"))
    kb.add_incident(
        Incident(
            project="solo",
            title="drifted unseen",
            started_at="2026-08-01",
            causes=[
                {
                    "id": "t",
                    "statement": "mix changed",
                    "mode": "drift.distribution-shift",
                    "trigger": True,
                    "because": ["m"],
                },
                {"id": "m", "statement": "nothing watched inputs", "mode": "ops.no-monitoring"},
            ],
        )
    )
    review = kb.review("2026Q3", live=True, parallel=False)
    md = to_markdown(review)
    assert "| ops.no-monitoring | Monitoring postponed until after launch | 1 of 1 | 3 | 100% |" in md
    assert "The deepest standing conditions in the quarter's chains" in md
    assert "drift.distribution-shift | Distribution shift | 1 of 1" not in md  # a trigger is no root cause
    assert "| monitoring 0 (0%) |" not in md and "nobody 1 (100%)" in md  # detection shares carry counts


def test_dated_stage_changes_give_the_stage_of_then(kb: KB, clock: Clock) -> None:
    """A project recorded today with its history: pilot from 2019-03, production from 2020-06, retired
    2021-02 (kb.lifecycle). The change log knows only today's record; the lifecycle knows the past."""
    kb.add_project(
        Project.model_validate(
            {
                "slug": "hist",
                "stage": "retired",
                "owner": "Hal",
                "launched_on": "2019-03",
                "retired_on": "2021-02",
                "lifecycle": [
                    {"at": "2019-03", "stage": "pilot"},
                    {"at": "2020-06", "stage": "production"},
                    {"at": "2021-02", "stage": "retired"},
                ],
            }
        )
    )
    assert _cards(kb, "2018Q4") == {}  # launched 2019-03
    assert _cards(kb, "2020Q1") == {"hist": ("pilot", "Hal")}
    assert _cards(kb, "2020Q3") == {"hist": ("production", "Hal")}
    assert _cards(kb, "2021Q1") == {"hist": ("retired", "Hal")}  # retired during the quarter
    assert _cards(kb, "2021Q2") == {}  # retired before it began
