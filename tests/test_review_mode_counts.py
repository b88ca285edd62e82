"""The review's taxonomy modes: an incident counts once per code, whether it is classified under the
code, names it in one cause or in several (kb.store.review.mode_incidents). Expected values are
counted by hand from the incidents below."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from kb.models import Cause, Classification, Incident, Project
from kb.service import KB

X, Y = "silent.quiet-shutdown", "ops.no-monitoring"


# The counts come from each incident's packed chain (incident_chains); an incident without one (a
# hand-edited database) is counted from its classifications and causes: every mix counts alike.
@pytest.mark.parametrize("unpacked", [[], ["one"], ["two", "four"], ["one", "two", "three", "four"]])
def test_an_incident_counts_once_per_code(kb: KB, db_path: Path, unpacked: list[str]) -> None:
    kb.add_project(Project(slug="scorer", stage="production", owner="Ann", launched_on="2025-01-01"))
    both = [Cause(id="a", statement="the flag went off", mode=X), Cause(id="b", statement="again", mode=X)]
    # 2026Q3: classified X with two causes naming X (X once); a cause naming X only (X once);
    # classified Y with a cause naming X (X once, Y once)
    kb.add_incident(
        Incident(project="scorer", title="one", started_at="2026-07-02", modes=[Classification(code=X)], causes=both)
    )
    kb.add_incident(
        Incident(
            project="scorer", title="two", started_at="2026-08-02", causes=[Cause(id="a", statement="off", mode=X)]
        )
    )
    kb.add_incident(
        Incident(
            project="scorer",
            title="three",
            detected_at="2026-09-02",  # no start: the detection places it in the quarter
            modes=[Classification(code=Y)],
            causes=[Cause(id="a", statement="off", mode=X)],
        )
    )
    # 2026Q2: classified X and naming it in a cause (X once)
    kb.add_incident(
        Incident(project="scorer", title="four", started_at="2026-05-02", modes=[Classification(code=X)], causes=both)
    )
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "DELETE FROM incident_chains WHERE incident_id IN (SELECT id FROM incidents WHERE title IN "
            "(SELECT value FROM json_each(?)))",
            [json.dumps(unpacked)],
        )
        assert conn.execute("SELECT count(*) FROM incident_chains").fetchone()[0] == 4 - len(unpacked)
    modes = kb.review("2026Q3", live=True, parallel=False).patterns.modes
    assert [(m.code, m.incidents, m.previous) for m in modes] == [(X, 3, 1), (Y, 1, 0)]
