"""A brief snapshot counts each project's overdue actions and keeps the oldest (the review's scorecard).

The review keeps each signal's evidence, never the list of overdue actions in its data, so its
snapshots count the open actions due before each date instead of making an object of every one
(kb.ops.silent_scan._action_debts). Each line the count draws has an action on both sides: open
against done or won't do, due the day before the date against due on it, a merged duplicate's
actions against its original's, and a tie on the due date broken by the order the actions were
written (not by incident id). Every count and oldest action below is worked out by hand.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

from kb.models import Action, Incident, Project
from kb.ops.silent_scan import scan_pair, snapshots
from kb.service import KB
from kb.silent.config import load_config
from kb.silent.detector import scan

JUNE, SEPT = date(2026, 6, 30), date(2026, 9, 30)  # the review of 2026Q3 judges both quarter ends


def _action(title: str, due: date | None, status: str = "open", owner: str = "") -> Action:
    return Action(title=title, owner=owner, due=due, status=status)  # type: ignore[arg-type]


def _portfolio(kb: KB) -> dict[str, str]:
    """Projects a, b and c with their actions; returns the incident ids by name."""
    for slug in ("a", "b", "c"):
        kb.add_project(Project(slug=slug, owner="ann", stage="production", launched_on=date(2025, 1, 1)))

    def incident(project: str, title: str, actions: list[Action], **more: Any) -> str:
        made = kb.add_incident(
            Incident(
                project=project,
                title=title,
                started_at=date(2026, 1, 5),
                detected_by="monitoring",
                actions=actions,
                **more,
            )
        )
        assert made.id is not None
        return made.id

    ids = {"a1": incident("a", "a1", [_action("x: tie, written first", date(2026, 3, 1))])}
    ids["a2"] = incident(
        "a",
        "a2",
        [
            _action("y: tie, written second", date(2026, 3, 1), owner="bo"),
            _action("done before all", date(2026, 2, 1), status="done"),
            _action("won't do before all", date(2026, 2, 1), status="wont-do"),
            _action("due on June 30", date(2026, 6, 30)),
            _action("due Sept 29", date(2026, 9, 29)),
            _action("due on Sept 30", date(2026, 9, 30)),
            _action("never due", None),
        ],
    )
    # appending to a1 writes its actions again, after a2's: x is now written after y
    kb.add_action(ids["a1"], {"title": "z: due June 29", "due": "2026-06-29"})
    ids["b1"] = incident("b", "b1", [_action("b's only", date(2026, 1, 15))])
    # a merged duplicate's actions belong to no project (its original carries the work)
    ids["b2"] = incident("b", "b2", [_action("on a duplicate", date(2025, 12, 1))], duplicate_of=ids["b1"])
    ids["c1"] = incident("c", "c1", [_action("c's only", date(2026, 7, 15))])
    return ids


def test_a_brief_snapshot_counts_the_overdue_actions_and_keeps_the_oldest(kb: KB, db_path: Path) -> None:
    ids = _portfolio(kb)
    with sqlite3.connect(db_path) as conn:
        sept, june = snapshots(conn, [SEPT, JUNE], brief=True)
        (only_b,) = snapshots(conn, [SEPT], project="b", brief=True)

    def debts(snap: Any) -> dict[str, tuple[int, str, str, str, str, Any]]:
        return {
            slug: (d.count, d.oldest.title, d.oldest.incident_id, d.oldest.owner, d.oldest.due_text, d.listed)
            for slug, d in snap.actions.items()
        }

    y = ("y: tie, written second", ids["a2"], "bo", "2026-03-01", None)
    b = ("b's only", ids["b1"], "", "2026-01-15", None)
    # June 30: y, x and z (due June 29); not the one due on June 30; c's is due in July
    assert debts(june) == {"a": (3, *y), "b": (1, *b)}
    # Sept 30: also the one due June 30 and the one due Sept 29; not the one due on Sept 30
    assert debts(sept) == {"a": (5, *y), "b": (1, *b), "c": (1, "c's only", ids["c1"], "", "2026-07-15", None)}
    assert debts(only_b) == {"b": (1, *b)}  # `kb silent b` asks for one project


def test_brief_and_full_snapshots_give_the_same_evidence(kb: KB, db_path: Path) -> None:
    ids = _portfolio(kb)
    cfg = load_config(None)
    with sqlite3.connect(db_path) as conn:
        brief = [scan(s, cfg) for s in snapshots(conn, [SEPT, JUNE], cfg=cfg, brief=True)]
        full = [scan(s, cfg) for s in snapshots(conn, [SEPT, JUNE], cfg=cfg)]
        paired, words = scan_pair(conn, SEPT, JUNE, brief=True)

    def evidence(verdicts: Any) -> list[tuple[str, str, float, list[tuple[str, float, str]]]]:
        return [(v.project, v.verdict, v.score, [(s.code, s.weight, s.evidence) for s in v.signals]) for v in verdicts]

    assert evidence(brief[0]) == evidence(full[0]) == evidence(paired)
    assert evidence(brief[1]) == evidence(full[1])
    assert words == {v.project: v.verdict for v in full[1]}
    debt = {v.project: s for v in brief[0] for s in v.signals if s.code == "action-debt"}
    listed = {v.project: s for v in full[0] for s in v.signals if s.code == "action-debt"}
    assert debt["a"].evidence == (
        f"5 postmortem actions past due and open; oldest 'y: tie, written second' ({ids['a2']}, owner bo) "
        "due 2026-03-01"
    )
    assert (
        debt["c"].evidence
        == f"1 postmortem action past due and open; oldest 'c's only' ({ids['c1']}, owner nobody) due 2026-07-15"
    )
    assert {slug: s.data for slug, s in debt.items()} == {"a": {"count": 5}, "b": {"count": 1}, "c": {"count": 1}}
    # the full snapshot lists them all, by due date then as written
    assert [a["title"] for a in listed["a"].data["actions"]] == [
        "y: tie, written second",
        "x: tie, written first",
        "z: due June 29",
        "due on June 30",
        "due Sept 29",
    ]


def test_the_review_shows_the_counted_evidence(kb: KB) -> None:
    ids = _portfolio(kb)
    for parallel in (False, True):
        review = kb.review("2026Q3", parallel=parallel)
        shown = {row.slug: [s.evidence for s in row.signals if s.code == "action-debt"] for row in review.scorecard}
        assert shown["a"] == [
            f"5 postmortem actions past due and open; oldest 'y: tie, written second' ({ids['a2']}, owner bo) "
            "due 2026-03-01"
        ]
        assert shown["b"] == [
            f"1 postmortem action past due and open; oldest 'b's only' ({ids['b1']}, owner nobody) due 2026-01-15"
        ]
