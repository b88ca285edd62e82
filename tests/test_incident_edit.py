"""`kb incident edit ID` in $EDITOR (the kubectl edit convention) and `kb incident cause|action|link add`.

The editor is a real program: a small Python script this test writes, which applies the next step of a
plan to the file it is given and records what it saw, so the reopen-with-error loop is exercised for real.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest

from kb.service import KB
from tests.conftest import Run

EDITOR_SCRIPT = r"""
import json, pathlib, sys
plan_dir = pathlib.Path(sys.argv[1])
target = pathlib.Path(sys.argv[2])
steps = json.loads((plan_dir / "plan.json").read_text())
n = len(list(plan_dir.glob("seen-*.yaml")))
text = target.read_text(encoding="utf-8")
(plan_dir / f"seen-{n}.yaml").write_text(text, encoding="utf-8")
if n < len(steps):
    for old, new in steps[n]:
        if old not in text:
            sys.exit(f"editor script: {old!r} not in the file")
        text = text.replace(old, new, 1)
    target.write_text(text, encoding="utf-8")
"""

DOC = """projects:
  - {slug: fraud, name: Fraud review}
incidents:
  - id: INC-0001
    project: fraud
    title: Alerts ignored
    severity: 3
    started_at: 2021-11
    causes:
      - {id: c1, statement: Five hundred alerts an hour, mode: integration.capacity-gap, trigger: true}
"""


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Install the scripted editor; returns a function taking the plan (a list of steps of (old, new))."""
    plan_dir = tmp_path / "editor"
    plan_dir.mkdir()
    script = plan_dir / "editor.py"
    script.write_text(EDITOR_SCRIPT, encoding="utf-8")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f'"{sys.executable}" "{script}" "{plan_dir}"')

    def plan(steps: list[list[tuple[str, str]]]) -> Path:
        (plan_dir / "plan.json").write_text(json.dumps(steps), encoding="utf-8")
        return plan_dir

    return plan


@pytest.fixture
def seeded(run: Run, tmp_path: Path) -> Run:
    doc = tmp_path / "doc.yaml"
    doc.write_text(DOC, encoding="utf-8")
    run.ok("import", str(doc))
    return run


def _history(db_path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("SELECT op, changes FROM changelog WHERE entity_id = 'INC-0001' ORDER BY seq").fetchall()
    finally:
        conn.close()


def _seen(plan_dir: Path) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(plan_dir.glob("seen-*.yaml"))]


def test_valid_change_is_saved_with_one_change_log_entry(seeded: Run, editor, db_path: Path) -> None:
    plan_dir = editor([[("title: Alerts ignored", "title: Alerts ignored by reviewers")]])
    before = _history(db_path)
    res = seeded.ok("incident", "edit", "INC-0001")
    assert "updated INC-0001" in res.stdout
    after = _history(db_path)
    assert len(after) == len(before) + 1
    assert json.loads(after[-1][1]) == {"title": ["Alerts ignored", "Alerts ignored by reviewers"]}
    seen = _seen(plan_dir)
    assert len(seen) == 1 and seen[0].startswith("# Edit the incident below")
    assert "started_at: 2021-11\n" in seen[0]  # the approximate date is offered as written
    with KB(db_path) as kb:
        inc = kb.get_incident("INC-0001")
    assert inc.title == "Alerts ignored by reviewers" and str(inc.started_at) == "2021-11"


def test_invalid_change_reopens_with_the_error_then_saves_the_fix(seeded: Run, editor, db_path: Path) -> None:
    plan_dir = editor(
        [
            [("severity: 3", "severity: 9")],
            [("severity: 9", "severity: 2")],
        ]
    )
    before = _history(db_path)
    seeded.ok("incident", "edit", "INC-0001")
    seen = _seen(plan_dir)
    assert len(seen) == 2
    first_line = seen[1].splitlines()[0]
    assert first_line.startswith("# ERROR: ") and "severity" in first_line and "less than or equal to 5" in first_line
    assert "severity: 9" in seen[1]  # the user's own text comes back, not the original
    after = _history(db_path)
    assert len(after) == len(before) + 1
    assert json.loads(after[-1][1]) == {"severity": [3, 2]}


def test_invalid_change_abandoned_writes_nothing(seeded: Run, editor, db_path: Path) -> None:
    plan_dir = editor([[("started_at: 2021-11", "started_at: 2021-11\ndetected_at: 2021-06")]])  # then unchanged
    before = _history(db_path)
    with KB(db_path) as kb:
        inc_before = kb.get_incident("INC-0001")
    res = seeded.fails("incident", "edit", "INC-0001")
    assert "edit abandoned, nothing written" in res.stderr
    assert "detected_at (2021-06) is before started_at (2021-11)" in res.stderr
    assert len(_seen(plan_dir)) == 2
    assert _history(db_path) == before
    with KB(db_path) as kb:
        assert kb.get_incident("INC-0001") == inc_before


def test_unchanged_first_open_cancels(seeded: Run, editor, db_path: Path) -> None:
    editor([])
    before = _history(db_path)
    res = seeded.ok("incident", "edit", "INC-0001")
    assert "edit cancelled" in res.stdout
    assert _history(db_path) == before


def test_id_cannot_change_in_the_editor(seeded: Run, editor, db_path: Path) -> None:
    plan_dir = editor([[("id: INC-0001", "id: INC-0002")]])
    before = _history(db_path)
    res = seeded.fails("incident", "edit", "INC-0001")
    assert "id cannot change" in res.stderr
    assert "id cannot change" in _seen(plan_dir)[1].splitlines()[0]
    assert _history(db_path) == before


def test_unknown_mode_in_the_editor_reopens(seeded: Run, editor, db_path: Path) -> None:
    plan_dir = editor(
        [
            [("mode: integration.capacity-gap", "mode: integration.capacity-gapp")],
            [("mode: integration.capacity-gapp", "mode: harm.unfair-outcomes")],
        ]
    )
    seeded.ok("incident", "edit", "INC-0001")
    assert "unknown taxonomy code 'integration.capacity-gapp'" in _seen(plan_dir)[1].splitlines()[0]
    with KB(db_path) as kb:
        assert kb.get_incident("INC-0001").causes[0].mode == "harm.unfair-outcomes"


def test_field_options_still_edit_without_an_editor(seeded: Run, db_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("EDITOR", "false")  # must not be started
    seeded.ok("incident", "edit", "INC-0001", "--severity", "1")
    with KB(db_path) as kb:
        assert kb.get_incident("INC-0001").severity == 1


# --- cause / action / link add ---------------------------------------------------------------------


def test_cause_action_link_add(seeded: Run, db_path: Path) -> None:
    before = len(_history(db_path))
    out = seeded.ok(
        "incident", "cause", "add", "INC-0001", "No one owned review capacity", "--mode", "org.unclear-ownership"
    )
    assert "added cause c2" in out.stdout
    seeded.ok("incident", "cause", "add", "INC-0001", "Alerts queued", "--id", "queue", "--because", "c2")
    seeded.ok(
        "incident", "action", "add", "INC-0001", "Retire the alert stream", "--kind", "retire", "--due", "2022-01-31"
    )
    seeded.ok("incident", "link", "add", "INC-0001", "https://example.org/postmortem", "--title", "Postmortem")
    with KB(db_path) as kb:
        inc = kb.get_incident("INC-0001")
    assert [(c.id, c.mode, c.because) for c in inc.causes] == [
        ("c1", "integration.capacity-gap", []),
        ("c2", "org.unclear-ownership", []),
        ("queue", None, ["c2"]),
    ]
    assert [(a.title, a.kind, str(a.due)) for a in inc.actions] == [("Retire the alert stream", "retire", "2022-01-31")]
    assert [(lk.url, lk.title) for lk in inc.links] == [("https://example.org/postmortem", "Postmortem")]
    assert len(_history(db_path)) == before + 4  # one entry per command


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("cause", "add", "INC-0001", "x", "--because", "nope"), "cause 'nope' is not defined"),
        (("cause", "add", "INC-0001", "x", "--mode", "harm.unfair"), "unknown taxonomy code 'harm.unfair'"),
        (("cause", "add", "INC-0001", "x", "--trigger"), "only one cause can be the trigger"),
        (("cause", "add", "INC-0001", "x", "--id", "c1"), "cause id 'c1' is used twice"),
        (("action", "add", "INC-0001", "x", "--due", "2022-02-30"), "due"),
        (("link", "add", "INC-0001", "ftp://x"), "is not an http(s) address"),
        (("link", "add", "INC-0001"), "a link needs a url or a document title"),
        (("action", "add", "INC-9999", "x"), "no incident 'INC-9999'"),
    ],
)
def test_bad_adds_are_one_line_and_write_nothing(
    seeded: Run, db_path: Path, args: tuple[str, ...], message: str
) -> None:
    before = _history(db_path)
    res = seeded.fails("incident", *args)
    assert message in res.stderr
    assert _history(db_path) == before
