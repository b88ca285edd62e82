"""Domain-model validation and derived durations, checked against hand-worked values."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from kb.errors import validation_message
from kb.models import Incident, Project
from kb.timeutil import parse_period, to_text


def _msg(**data: object) -> str:
    with pytest.raises(ValidationError) as info:
        Incident.model_validate({"project": "p", "title": "t", **data})
    return validation_message(info.value)


def test_durations_measured_from_impact_start() -> None:
    inc = Incident(
        project="p", title="t", started_at="2026-02-10", detected_at="2026-05-02", resolved_at="2026-05-04T12:00:00Z"
    )
    # Feb 10 -> May 2 = 18 (rest of Feb) + 31 (Mar) + 30 (Apr) + 2 = 81 days
    assert inc.time_to_detect == timedelta(days=81)
    assert inc.time_to_resolve == timedelta(days=2, hours=12)
    assert inc.impact_time == timedelta(days=83, hours=12)
    assert Incident(project="p", title="t").time_to_detect is None


def test_datetimes_normalised_to_utc_and_dates_kept_as_dates() -> None:
    inc = Incident(project="p", title="t", started_at="2026-04-28T10:15:00+02:00", detected_at="2026-04-29")
    assert inc.started_at == datetime(2026, 4, 28, 8, 15, tzinfo=UTC)
    assert inc.detected_at == date(2026, 4, 29)
    assert to_text(inc.started_at) == "2026-04-28T08:15:00Z"


def test_flag_states_survive_yaml_booleans() -> None:
    inc = Incident.model_validate({"project": "p", "title": "t", "flag": {"key": "k", "from": True, "to": False}})
    assert inc.flag is not None and (inc.flag.from_, inc.flag.to) == ("on", "off")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"kind": "explosion"}, "kind: 'explosion' is not allowed"),
        ({"severity": 0}, "severity: input should be greater than or equal to 1"),
        ({"started_at": "2026-03-01", "detected_at": "2026-02-01"}, "detected_at (2026-02-01) is before started_at"),
        ({"detected_at": "2026-03-01", "resolved_at": "2026-02-01"}, "resolved_at (2026-02-01) is before detected_at"),
        ({"causes": [{"id": "c1", "statement": "s", "because": ["c2"]}]}, "cause 'c2' is not defined"),
        ({"causes": [{"id": "c1", "statement": "s", "because": ["c1"]}]}, "cause 'c1' names itself"),
        (
            {
                "causes": [
                    {"id": "a", "statement": "s", "because": ["b"]},
                    {"id": "b", "statement": "s", "because": ["a"]},
                ]
            },
            "causes form a cycle",
        ),
        (
            {
                "causes": [
                    {"id": "a", "statement": "s", "trigger": True},
                    {"id": "b", "statement": "s", "trigger": True},
                ]
            },
            "only one cause can be the trigger, found a, b",
        ),
        ({"modes": [{"code": "x.y"}, {"code": "x.y"}]}, "mode 'x.y' is classified twice"),
        ({"id": "../../etc/x"}, "is not a valid incident id"),
        ({"project": "../etc"}, "is not a valid slug"),
        ({"started_at": "last tuesday"}, "is not an ISO 8601 date"),
        ({"colour": "red"}, "colour: unknown field"),
    ],
)
def test_validation_messages_name_the_problem(data: dict[str, object], expected: str) -> None:
    assert expected in _msg(**data)


def test_project_slug_and_lists() -> None:
    assert Project(slug="churn-scorer.v2").stage == "pilot"
    for bad in ("Churn", "-x", "a/b", "", "x" * 65):
        with pytest.raises(ValidationError):
            Project(slug=bad)
    with pytest.raises(ValidationError, match="unique"):
        Project(slug="p", feature_flags=["a", "a"])


def test_mode_codes_lists_classifications_then_cause_modes_once() -> None:
    inc = Incident(
        project="p",
        title="t",
        modes=[{"code": "a.x"}, {"code": "b.y"}],
        causes=[{"id": "c1", "statement": "s", "mode": "b.y"}, {"id": "c2", "statement": "s", "mode": "c.z"}],
    )
    assert inc.mode_codes() == ["a.x", "b.y", "c.z"]


@pytest.mark.parametrize(
    ("label", "start", "end"),
    [
        ("2026Q3", date(2026, 7, 1), date(2026, 10, 1)),
        ("2026q4", date(2026, 10, 1), date(2027, 1, 1)),
        ("2026-02", date(2026, 2, 1), date(2026, 3, 1)),
        ("2026-12", date(2026, 12, 1), date(2027, 1, 1)),
        ("2026-W31", date(2026, 7, 27), date(2026, 8, 3)),  # ISO week 31 of 2026 starts Monday 27 July
        ("2026-W01", date(2025, 12, 29), date(2026, 1, 5)),
    ],
)
def test_periods(label: str, start: date, end: date) -> None:
    p = parse_period(label)
    assert (p.start, p.end) == (start, end)


def test_period_navigation_and_errors() -> None:
    assert parse_period("2026Q1").previous().label == "2025Q4"
    assert parse_period("2026-12").next().label == "2027-01"
    for bad in ("2026Q5", "2026-13", "2026-W54", "Q3 2026", "2025-W53"):
        with pytest.raises(ValueError):
            parse_period(bad)
