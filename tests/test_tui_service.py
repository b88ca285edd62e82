"""The small service additions the TUI needs: incidents by mode, incidents per mode, overdue actions."""

from __future__ import annotations

from datetime import date

from kb.models import Action, Cause, Classification, Incident, Project
from kb.service import KB


def _data(kb: KB) -> None:
    kb.add_project(Project(slug="p1"))
    kb.add_incident(
        Incident(
            id="INC-0001",
            project="p1",
            title="a",
            modes=[Classification(code="integration.latency")],
            causes=[Cause(id="c1", statement="s", mode="ops.no-monitoring")],
            actions=[
                Action(title="late", due=date(2026, 1, 1)),
                Action(title="done late", due=date(2026, 1, 1), status="done"),
                Action(title="due later", due=date(2026, 3, 1)),
            ],
        )
    )
    kb.add_incident(
        Incident(
            id="INC-0002",
            project="p1",
            title="b",
            modes=[Classification(code="integration.latency"), Classification(code="ops.no-monitoring")],
            actions=[Action(title="no due date")],
        )
    )
    kb.add_incident(
        Incident(id="INC-0003", project="p1", title="dup", modes=[Classification(code="integration.latency")])
    )
    kb.merge_incident("INC-0003", "INC-0002")


def test_mode_counts_and_incidents_by_mode(kb: KB) -> None:
    _data(kb)
    # latency: INC-0001 and INC-0002 (INC-0003 is a duplicate); no-monitoring: a cause of 1, a class of 2
    assert kb.mode_counts() == {"integration.latency": 2, "ops.no-monitoring": 2}
    assert [r.id for r in kb.incident_rows(mode="ops.no-monitoring")] == ["INC-0002", "INC-0001"]
    assert kb.incident_rows(mode="silent.sunk-cost") == []


def test_overdue_actions(kb: KB) -> None:
    _data(kb)
    assert kb.overdue_actions(date(2026, 1, 15)) == 1  # only "late": open and due before the 15th
    assert kb.overdue_actions(date(2026, 6, 1)) == 2  # "due later" too
    assert kb.overdue_actions(date(2026, 1, 1)) == 0  # due on the day is not overdue yet
