"""Crash safety: `kb import` killed with SIGKILL at several points leaves a sound database holding
either none or all of the import, never part of it.

Kill points are chosen by watching the write-ahead log grow (the import is one transaction whose
pages spill into the WAL as it goes), not by sleeping: the process is polled with a short
`Popen.wait` timeout, which is bounded.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kb.service import KB

N = 1000  # incidents in the one document; the import takes a few seconds and writes ~6 MB of WAL
POLL_S = 0.005
DEADLINE_POLLS = 24_000  # 2 minutes of polling at most, then the test fails rather than hangs

# kill when the WAL first exists (connection open, nothing written), then at growing sizes in bytes
KILL_AT_WAL = [0, 1, 1_000_000, 3_000_000]


def big_document(n: int) -> dict[str, object]:
    incidents = []
    for i in range(n):
        incidents.append(
            {
                "id": f"BLK-{i + 1:05d}",
                "project": "bulk",
                "title": f"Bulk incident {i}: scoring stopped",
                "kind": "quiet-shutdown",
                "started_at": "2026-01-05",
                "detected_at": "2026-02-01",
                "summary": "The model was switched off quietly and nobody noticed for weeks. " * 3,
                "modes": [{"code": "silent.quiet-shutdown", "role": "primary"}, {"code": "ops.no-monitoring"}],
                "causes": [
                    {
                        "id": "c1",
                        "statement": f"flag flipped off {i}",
                        "mode": "silent.quiet-shutdown",
                        "trigger": True,
                        "because": ["c2"],
                    },
                    {"id": "c2", "statement": "no owner watched the output", "mode": "org.unclear-ownership"},
                ],
                "actions": [{"title": f"add an output monitor {i}", "owner": "ana"}],
            }
        )
    return {"projects": [{"slug": "bulk", "stage": "production"}], "incidents": incidents}


BASELINE = """
projects:
  - {slug: keep, name: Kept project, stage: production}
incidents:
  - id: INC-0001
    project: keep
    title: An incident recorded before the crash
    kind: rollback
    summary: It must survive whatever happens to the import.
    causes:
      - {id: c1, statement: a slow dependency, mode: integration.latency, trigger: true}
"""


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crash") / "big.yaml"
    path.write_text(yaml.dump(big_document(N), Dumper=yaml.CSafeDumper, sort_keys=False), encoding="utf-8")
    return path


def _start_import(db: Path, doc: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "kb", "--db", str(db), "import", str(doc)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wal_size(db: Path) -> int:
    try:
        return os.path.getsize(str(db) + "-wal")
    except FileNotFoundError:
        return -1


def _kill_when_wal_reaches(proc: subprocess.Popen[bytes], db: Path, size: int) -> bool:
    """SIGKILL `proc` once its WAL is at least `size` bytes; False if it finished first."""
    for _ in range(DEADLINE_POLLS):
        try:
            proc.wait(timeout=POLL_S)
            return False
        except subprocess.TimeoutExpired:
            pass
        if _wal_size(db) >= size:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            return True
    proc.kill()
    raise AssertionError("the import neither finished nor reached the kill point in time")


def _kill_each_when_wal_reaches(runs: list[tuple[int, Path, subprocess.Popen[bytes]]]) -> dict[int, bool]:
    """`_kill_when_wal_reaches` for several processes at once, watched together so none is left unwatched."""
    killed: dict[int, bool] = {}
    for _ in range(DEADLINE_POLLS):
        for size, db, proc in runs:
            if size in killed:
                continue
            if proc.poll() is not None:
                killed[size] = False
            elif _wal_size(db) >= size:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
                killed[size] = True
        if len(killed) == len(runs):
            return killed
        waiting = next(proc for size, _, proc in runs if size not in killed)
        # a wait on a process still running, not a sleep: it ends early if that process ends
        with contextlib.suppress(subprocess.TimeoutExpired):
            waiting.wait(timeout=POLL_S)
    for _, _, proc in runs:
        proc.kill()
    raise AssertionError("a run neither finished nor reached its kill point in time")


def _state(db: Path) -> dict[str, object]:
    """Open with plain sqlite3 (this runs WAL recovery) and read what a check needs."""
    conn = sqlite3.connect(db)
    try:
        fts_ok = True
        try:
            conn.execute("INSERT INTO incident_text_fts(incident_text_fts, rank) VALUES('integrity-check', 1)")
        except sqlite3.DatabaseError:
            fts_ok = False
        conn.rollback()
        q = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "integrity": q("PRAGMA integrity_check"),
            "fts_ok": fts_ok,
            "bulk_incidents": q("SELECT count(*) FROM incidents WHERE project = 'bulk'"),
            "bulk_causes": q("SELECT count(*) FROM causes WHERE incident_id LIKE 'BLK-%'"),
            "bulk_actions": q("SELECT count(*) FROM actions WHERE incident_id LIKE 'BLK-%'"),
            "bulk_log": q("SELECT count(*) FROM changelog WHERE entity_id LIKE 'BLK-%'"),
            "bulk_project": q("SELECT count(*) FROM projects WHERE slug = 'bulk'"),
            "text_rows": q("SELECT count(*) FROM incident_text"),
            "incidents": q("SELECT count(*) FROM incidents"),
            "kept": q("SELECT title FROM incidents WHERE id = 'INC-0001'"),
            "search": q("SELECT count(*) FROM incident_text_fts WHERE incident_text_fts MATCH 'bulk'"),
        }
    finally:
        conn.close()


def _prepared_db(tmp_path: Path, name: str) -> Path:
    db = tmp_path / name
    doc = tmp_path / "baseline.yaml"
    doc.write_text(BASELINE, encoding="utf-8")
    with KB(db) as kb:
        kb.import_paths([str(doc)])
    return db


NONE = {"bulk_incidents": 0, "bulk_causes": 0, "bulk_actions": 0, "bulk_log": 0, "bulk_project": 0, "search": 0}
# all of it: every incident, its 2 causes and 1 action, one change-log row per incident plus the project's
ALL = {"bulk_incidents": N, "bulk_causes": 2 * N, "bulk_actions": N, "bulk_log": N, "bulk_project": 1, "search": N}


def _assert_sound(state: dict[str, object]) -> None:
    assert state["integrity"] == "ok"
    assert state["fts_ok"] is True
    assert state["text_rows"] == state["incidents"]
    assert state["kept"] == "An incident recorded before the crash"


def _part(state: dict[str, object]) -> dict[str, object]:
    return {k: state[k] for k in NONE}


@pytest.mark.slow
def test_sigkill_during_import_leaves_none_or_all(tmp_path: Path, big_file: Path) -> None:
    # all kill points run side by side, one database each, so the test takes about one import's time
    runs = []
    for size in KILL_AT_WAL:
        db = _prepared_db(tmp_path, f"kill-{size}.sqlite")
        runs.append((size, db, _start_import(db, big_file)))
    # watched together: watched one after another, a later run could commit while an earlier one was
    # awaited and then be killed between its COMMIT and its exit (all of it kept, yet counted as killed)
    killed = _kill_each_when_wal_reaches(runs)
    for size, db, _ in runs:
        state = _state(db)
        _assert_sound(state)
        # the import is one transaction: a kill before COMMIT loses all of it, never a part
        assert _part(state) == (ALL if not killed[size] else NONE), f"kill at WAL >= {size} bytes"
    # every kill point but the last must really have interrupted the import mid-way
    assert all(killed[size] for size in KILL_AT_WAL[:-1]), killed


@pytest.mark.slow
def test_killed_database_passes_check_and_accepts_the_import_again(tmp_path: Path, big_file: Path) -> None:
    db = _prepared_db(tmp_path, "again.sqlite")
    proc = _start_import(db, big_file)
    assert _kill_when_wal_reaches(proc, db, 2_000_000), "the import finished before the kill point"
    with KB(db) as kb:
        report = kb.check()
        assert report.ok, report.problems
        assert _part(_state(db)) == NONE
        kb.import_paths([str(big_file)])
        assert kb.check().ok
    state = _state(db)
    _assert_sound(state)
    assert _part(state) == ALL


@pytest.mark.slow
def test_import_run_to_the_end_holds_everything(tmp_path: Path, big_file: Path) -> None:
    db = _prepared_db(tmp_path, "whole.sqlite")
    proc = _start_import(db, big_file)
    assert proc.wait(timeout=120) == 0, proc.stderr.read().decode() if proc.stderr else ""
    state = _state(db)
    _assert_sound(state)
    assert _part(state) == ALL


SYNTH = ["synth", "--projects", "20", "--incidents", "300", "--flag-events", "200", "--periods", "4", "--json"]
SYNTH_KILL_AT_WAL = [1, 300_000, 1_000_000]
SYNTH_TABLES = ("projects", "incidents", "causes", "actions", "health", "flag_events", "changelog", "incident_text")


def _counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in SYNTH_TABLES}
    finally:
        conn.close()


def _start_synth(db: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "kb", "--db", str(db), *SYNTH, "--out-dir", str(db.with_suffix(".files"))],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_sigkill_during_synth_leaves_none_or_all(tmp_path: Path) -> None:
    whole = tmp_path / "whole.sqlite"
    KB(whole).close()
    runs = []
    for size in SYNTH_KILL_AT_WAL:
        db = tmp_path / f"synth-{size}.sqlite"
        KB(db).close()
        runs.append((size, db, _start_synth(db)))
    reference = _start_synth(whole)  # the same seed, run to the end: what "all" means
    killed = _kill_each_when_wal_reaches(runs)
    assert reference.wait(timeout=300) == 0, reference.stderr.read().decode() if reference.stderr else ""
    everything = _counts(whole)
    nothing = dict.fromkeys(SYNTH_TABLES, 0)
    assert everything["incidents"] == 300 and everything["projects"] == 20 and everything["flag_events"] > 0
    for size, db, _ in runs:
        state = _counts(db)
        assert state == (nothing if killed[size] else everything), f"kill at WAL >= {size} bytes"
        with KB(db) as kb:
            report = kb.check()
        assert report.ok, report.problems
    assert all(killed[size] for size in SYNTH_KILL_AT_WAL[:-1]), killed
