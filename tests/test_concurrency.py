"""Concurrency: several processes write at once while another reads; every write lands and nobody
sees "database is locked". Plus the two mechanisms that make it so, tested one by one: BEGIN
IMMEDIATE write transactions and the bounded retry on SQLITE_BUSY.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kb.errors import KBError
from kb.models import Project
from kb.service import KB
from kb.store.retry import backoff, is_busy, retry_busy

WRITERS = 3
INCIDENTS_PER_WRITER = 200  # every other one through the CLI, the rest through the service
FLAG_EVENTS_PER_WRITER = 100

WRITER = r"""
import json, sys
from click.testing import CliRunner
from kb.cli import main
from kb.service import KB

db, name, n_inc, n_flags = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
runner = CliRunner()
kb = KB(db, actor=name)
failures = []
for i in range(max(n_inc, n_flags)):
    if i < n_inc:
        title = f"{name} incident {i}"
        if i % 2:
            r = runner.invoke(main, ["--db", db, "--actor", name, "incident", "add", "--project", "shared",
                                     "--title", title, "--kind", "rollback"])
            if r.exit_code != 0 or "locked" in r.output:
                failures.append(r.output)
        else:
            from kb.models import Incident
            kb.add_incident(Incident(project="shared", title=title, kind="outage"))
    if i < n_flags:
        with kb.transaction() as tx:
            tx.execute(
                "INSERT INTO flag_events (event_key, source, flag_key, action, at, raw, imported_at) "
                "VALUES (?, 'test', 'shared-flag', 'updated', ?, '{}', ?)",
                [f"{name}-{i}", f"2026-03-01T00:{i // 60:02d}:{i % 60:02d}Z", "2026-03-01T00:00:00Z"],
            )
kb.close()
print(json.dumps({"failures": failures}))
"""

READER = r"""
import json, os, sys
from kb.service import KB

db, stop = sys.argv[1], sys.argv[2]
kb = KB(db)
reads, counts, last = 0, [], -1
while True:
    done = os.path.exists(stop)  # read once more after the writers finished
    n = len(kb.incident_rows())
    kb.search("incident")
    flags = kb.db.execute("SELECT count(*) FROM flag_events").fetchone()[0]
    reads += 1
    counts.append(n + flags)
    if done:
        break
kb.close()
print(json.dumps({"reads": reads, "never_decreased": counts == sorted(counts), "last": counts[-1]}))
"""


def _python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.slow
def test_writers_and_a_reader_at_once_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "kb.sqlite"
    with KB(db) as kb:
        kb.add_project(Project(slug="shared", stage="production"))
    stop = tmp_path / "writers-done"
    reader = _python(READER, str(db), str(stop))
    writers = [
        _python(WRITER, str(db), f"w{k}", str(INCIDENTS_PER_WRITER), str(FLAG_EVENTS_PER_WRITER))
        for k in range(WRITERS)
    ]
    outs = [w.communicate(timeout=120) for w in writers]
    stop.touch()
    r_out, r_err = reader.communicate(timeout=60)

    for w, (out, err) in zip(writers, outs, strict=True):
        assert w.returncode == 0, err
        assert "locked" not in err.lower()
        assert json.loads(out)["failures"] == []
    assert reader.returncode == 0, r_err
    seen = json.loads(r_out)
    assert seen["reads"] >= 2 and seen["never_decreased"]

    total_inc, total_flags = WRITERS * INCIDENTS_PER_WRITER, WRITERS * FLAG_EVENTS_PER_WRITER
    assert seen["last"] == total_inc + total_flags
    with KB(db) as kb:
        rows = kb.incident_rows()
        titles = {r.title for r in rows}
        assert len(rows) == total_inc
        assert titles == {f"w{k} incident {i}" for k in range(WRITERS) for i in range(INCIDENTS_PER_WRITER)}
        # ids come from one counter; serialised writers never hand out the same one twice
        assert sorted(r.id for r in rows) == [f"INC-{n:04d}" for n in range(1, total_inc + 1)]
        keys = {r[0] for r in kb.db.execute("SELECT event_key FROM flag_events").fetchall()}
        assert keys == {f"w{k}-{i}" for k in range(WRITERS) for i in range(FLAG_EVENTS_PER_WRITER)}
        actors = {r[0] for r in kb.db.execute("SELECT DISTINCT actor FROM changelog WHERE entity = 'incident'")}
        assert actors == {f"w{k}" for k in range(WRITERS)}
        assert kb.check().ok


def _upgrade_race(db: Path, use_kb: bool) -> tuple[BaseException | None, list[str]]:
    """A reads, B commits a write, then A writes: the case the busy timeout cannot help with."""
    a_read, b_trying, b_done = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def writer_b() -> None:
        a_read.wait(timeout=10)
        with KB(db, actor="b") as kb_b:
            b_trying.set()
            try:
                kb_b.add_project(Project(slug="from-b", stage="pilot"))
            except BaseException as exc:  # reported to the main thread
                errors.append(exc)
        b_done.set()

    thread = threading.Thread(target=writer_b)
    thread.start()
    failure: BaseException | None = None
    with KB(db, actor="a") as kb_a:
        try:
            if use_kb:
                with kb_a.transaction() as tx:
                    tx.execute("SELECT count(*) FROM projects").fetchone()
                    a_read.set()
                    b_trying.wait(timeout=10)
                    # give B every chance to commit in between: holding the write lock, it cannot
                    b_done.wait(timeout=0.5)
                    assert not b_done.is_set()
                    tx.execute("INSERT INTO meta (key, value) VALUES ('from-a', '1')")
            else:
                conn = kb_a.db.conn
                conn.execute("BEGIN")  # deferred: a read snapshot, no write lock yet
                conn.execute("SELECT count(*) FROM projects").fetchone()
                a_read.set()
                b_done.wait(timeout=10)  # B commits while we only hold a snapshot
                try:
                    conn.execute("INSERT INTO meta (key, value) VALUES ('from-a', '1')")
                    conn.execute("COMMIT")
                except sqlite3.OperationalError as exc:
                    failure = exc
                    conn.execute("ROLLBACK")
        finally:
            a_read.set()
            thread.join(timeout=60)
        assert not errors, errors
        rows = [r[0] for r in kb_a.db.execute("SELECT key FROM meta WHERE key = 'from-a'")]
        projects = [p.slug for p in kb_a.projects()]
    return failure, rows + projects


def test_deferred_upgrade_fails_at_once_which_is_why_kb_begins_immediate(tmp_path: Path) -> None:
    db = tmp_path / "kb.sqlite"
    KB(db).close()
    failure, landed = _upgrade_race(db, use_kb=False)
    assert failure is not None and is_busy(failure), failure  # what a deferred transaction would show
    assert landed == ["from-b"]


def test_kb_transaction_holds_the_write_lock_from_the_start(tmp_path: Path) -> None:
    db = tmp_path / "kb.sqlite"
    KB(db).close()
    failure, landed = _upgrade_race(db, use_kb=True)
    assert failure is None
    assert sorted(landed) == ["from-a", "from-b"]


def _busy() -> sqlite3.OperationalError:
    return sqlite3.OperationalError("database is locked")


def test_retry_busy_backs_off_then_succeeds() -> None:
    calls, waits = [], []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 4:
            raise _busy()
        return "done"

    assert retry_busy(flaky, sleep=waits.append) == "done"
    assert len(calls) == 4
    assert waits == [0.05, 0.1, 0.2]  # doubling from 50 ms


def test_retry_busy_gives_up_with_one_clear_error() -> None:
    waits: list[float] = []

    def always() -> None:
        raise _busy()

    with pytest.raises(KBError) as info:
        retry_busy(always, attempts=8, sleep=waits.append)
    # 7 waits between 8 attempts, doubling from 50 ms and capped at 1 s: 3.55 s in all
    assert waits == [0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    assert sum(waits) == pytest.approx(3.55)
    assert "busy" in str(info.value) and "nothing was changed" in str(info.value)
    assert "locked" not in str(info.value)


def test_retry_busy_does_not_retry_other_errors() -> None:
    calls = []

    def broken() -> None:
        calls.append(1)
        raise sqlite3.OperationalError("no such table: nope")

    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        retry_busy(broken, sleep=lambda _s: None)
    assert calls == [1]


def test_backoff_is_bounded() -> None:
    assert backoff(3, first=0.5, cap=0.6) == [0.5, 0.6]
    assert backoff(1) == []


def test_busy_is_recognised_by_code_as_well_as_text() -> None:
    exc = sqlite3.OperationalError("anything")
    exc.sqlite_errorcode = 517  # SQLITE_BUSY_SNAPSHOT = SQLITE_BUSY | (2 << 8)
    assert is_busy(exc)
    assert is_busy(_busy())
    assert not is_busy(sqlite3.OperationalError("disk I/O error"))
    assert not is_busy(ValueError("database is locked"))


def test_a_read_snapshot_does_not_see_a_commit_made_during_it(tmp_path: Path) -> None:
    """Multi-query analyses read inside kb.store.retry.read_snapshot: one state, whatever commits meanwhile."""
    from kb.models import Incident
    from kb.store.retry import read_snapshot

    path = tmp_path / "kb.sqlite"
    with KB(path, actor="reader") as reader, KB(path, actor="writer") as writer:
        writer.add_project(Project(slug="p"))
        writer.add_incident(Incident(project="p", title="first"))
        count = "SELECT count(*) FROM incidents"
        with read_snapshot(reader.db):
            assert reader.db.execute(count).fetchone()[0] == 1
            writer.add_incident(Incident(project="p", title="second"))  # commits while the reader reads
            assert reader.db.execute(count).fetchone()[0] == 1
        assert reader.db.execute(count).fetchone()[0] == 2
        assert not reader.db.conn.in_transaction
