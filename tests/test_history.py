"""History: the change log answers "what did this incident say on date D, and who changed it",
cannot be rewritten, and a frozen review never changes.

The machine's clock is set for each step (time-machine moves the system clock kb reads, not a kb
function), so every date below is worked out by hand.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from time_machine import TimeMachineFixture

from kb.models import Incident, Project
from kb.service import KB
from tests.conftest import Run


@pytest.fixture
def clock(time_machine: TimeMachineFixture) -> Callable[[str], None]:
    """Set the machine's clock, which the change log's stamps read; it stands still between steps."""

    def set_time(iso: str) -> None:
        time_machine.move_to(datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC), tick=False)

    return set_time


@pytest.fixture
def story(db_path: Path, clock: Callable[[str], None]) -> None:
    """alice records INC-0001 on 1 March, bob retitles it on 5 March 09:00, carol makes it sev 1 on 9 March."""
    clock("2026-03-01T10:00:00Z")
    with KB(db_path, actor="alice") as kb:
        kb.add_project(Project(slug="churn", stage="production"))
        kb.add_incident(Incident(project="churn", title="Scores stopped", severity=3, kind="quiet-shutdown"))
    clock("2026-03-05T09:00:00Z")
    with KB(db_path, actor="bob") as kb:
        kb.edit_incident("INC-0001", {"title": "Churn model switched off by a flag"})
    clock("2026-03-09T12:00:00Z")
    with KB(db_path, actor="carol") as kb:
        kb.edit_incident("INC-0001", {"severity": 1})


def test_history_lists_who_changed_what_and_when(run: Run, story: None) -> None:
    records = json.loads(run.ok("incident", "history", "INC-0001", "--json").stdout)
    assert [(r["actor"], r["op"], r["at"][:19]) for r in records] == [
        ("alice", "create", "2026-03-01T10:00:00"),
        ("bob", "update", "2026-03-05T09:00:00"),
        ("carol", "update", "2026-03-09T12:00:00"),
    ]
    assert records[1]["changes"] == {"title": ["Scores stopped", "Churn model switched off by a flag"]}
    assert records[2]["changes"] == {"severity": [3, 1]}
    table = run.ok("incident", "history", "INC-0001").stdout
    assert "bob" in table and "carol" in table


@pytest.mark.parametrize(
    ("as_of", "title", "severity", "by"),
    [
        ("2026-03-01T10:00:00Z", "Scores stopped", 3, "alice"),  # the instant it was created
        ("2026-03-04", "Scores stopped", 3, "alice"),
        ("2026-03-05", "Churn model switched off by a flag", 3, "bob"),  # a bare date means by the end of that day
        ("2026-03-05T08:59:59Z", "Scores stopped", 3, "alice"),
        ("2026-03-09", "Churn model switched off by a flag", 1, "carol"),
        ("2026-03-05T09:00:00Z", "Churn model switched off by a flag", 3, "bob"),
        ("2026-03-09T11:59:59Z", "Churn model switched off by a flag", 3, "bob"),
        ("2026-03-10", "Churn model switched off by a flag", 1, "carol"),
    ],
)
def test_as_of_answers_what_it_said_then(run: Run, story: None, as_of: str, title: str, severity: int, by: str) -> None:
    record = json.loads(run.ok("incident", "history", "INC-0001", "--as-of", as_of, "--json").stdout)
    assert record["actor"] == by
    assert (record["snapshot"]["title"], record["snapshot"]["severity"]) == (title, severity)
    text = run.ok("incident", "history", "INC-0001", "--as-of", as_of).stdout
    header, body = text.split("\n", 1)
    assert header.endswith(f"by {by}")
    doc = yaml.safe_load(body)
    assert (doc["title"], doc["severity"]) == (title, severity)


def test_as_of_before_it_existed_or_nonsense_is_one_line(run: Run, story: None) -> None:
    assert "did not exist yet" in run.fails("incident", "history", "INC-0001", "--as-of", "2026-02-28").stderr
    assert "--as-of" in run.fails("incident", "history", "INC-0001", "--as-of", "last tuesday").stderr
    assert "INC-0099" in run.fails("incident", "history", "INC-0099").stderr


def test_merge_is_in_the_history_of_the_duplicate(
    run: Run, story: None, db_path: Path, clock: Callable[[str], None]
) -> None:
    clock("2026-03-11T08:00:00Z")
    with KB(db_path, actor="dan") as kb:
        kb.add_incident(Incident(project="churn", title="Churn scores missing"))
        kb.merge_incident("INC-0002", "INC-0001")
    records = json.loads(run.ok("incident", "history", "INC-0002", "--json").stdout)
    assert [(r["actor"], r["op"]) for r in records] == [("dan", "create"), ("dan", "merge")]
    assert records[1]["changes"] == {"duplicate_of": [None, "INC-0001"]}


def test_the_change_log_cannot_be_rewritten(story: None, db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    try:
        for sql in ("UPDATE changelog SET actor = 'mallory'", "DELETE FROM changelog"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(sql)
        assert [r[0] for r in conn.execute("SELECT actor FROM changelog WHERE entity = 'incident'")] == [
            "alice",
            "bob",
            "carol",
        ]
    finally:
        conn.close()


def test_a_frozen_review_never_changes(db_path: Path, clock: Callable[[str], None]) -> None:
    clock("2026-01-15T00:00:00Z")
    with KB(db_path, actor="alice") as kb:
        kb.add_project(Project(slug="churn", stage="production", owner="ana"))
        kb.add_incident(Incident(project="churn", title="Scores stopped", started_at="2025-11-03", severity=2))
        frozen = kb.freeze_review("2025Q4").model_dump_json()
        # later edits to the quarter's data
        kb.edit_incident("INC-0001", {"severity": 1, "title": "Retitled after the freeze"})
        kb.add_incident(Incident(project="churn", title="Backdated incident", started_at="2025-12-01"))
        assert kb.review("2025Q4").model_dump_json() == frozen
        assert kb.review("2025Q4", live=True).model_dump_json() != frozen  # the live view does see them
    conn = sqlite3.connect(db_path)
    try:
        for sql in ("UPDATE frozen_reviews SET body = '{}'", "DELETE FROM frozen_reviews"):
            with pytest.raises(sqlite3.IntegrityError, match="never changes"):
                conn.execute(sql)
    finally:
        conn.close()
