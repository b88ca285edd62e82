"""File-system errors become one line everywhere kb writes, and leave nothing half-written
(issue 14: permission denied, not a directory, is a directory, exists and a full disk ended in
tracebacks in export, review --out, graph export --out, backup, init and the migration lock; a
read-only directory or a full disk said "not a kb database" and left 0-byte files)."""

from __future__ import annotations

import os
import resource
import shlex
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from kb.models import Cause, Incident, Project
from kb.service import KB
from tests._hostile import run_hostile

ROOT = Path(__file__).resolve().parents[1]
CAPSH = shutil.which("capsh")


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    return tmp_path


def _db(where: Path) -> Path:
    db = where / "kb.sqlite"
    with KB(db) as kb:
        kb.add_project(Project(slug="p", owner="ann"))
        kb.add_incident(Incident(project="p", title="t"))
    return db


def _kb(*args: str, user: bool = False, fsize: int | None = None) -> tuple[int, str]:
    """Run the real `kb` in a process, with file modes enforced (`user`) or a file-size limit;
    returns (exit code, stderr). Root ignores file modes, so as root the process runs without the
    capabilities that let it (capsh --drop=cap_dac_override,cap_dac_read_search)."""
    env = {k: v for k, v in os.environ.items() if k != "KB_RAISE_INTERNAL"}
    env["PYTHONPATH"] = str(ROOT)
    state = Path(tempfile.mkdtemp(prefix="kb-state-"))
    env["XDG_STATE_HOME"] = str(state)
    cmd = [sys.executable, "-m", "kb", *args]
    if user and os.geteuid() == 0:
        if CAPSH is None:
            pytest.skip("running as root and capsh is missing: cannot make file modes apply")
        cmd = [CAPSH, "--drop=cap_dac_override,cap_dac_read_search", "--", "-c", shlex.join(cmd)]

    def pre() -> None:
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, preexec_fn=pre, timeout=300)
    shutil.rmtree(state, ignore_errors=True)
    return proc.returncode, proc.stderr


def _one_line(code: int, err: str, *needles: str) -> None:
    assert code == 1, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    assert "Traceback" not in err and "internal error" not in err
    for n in needles:
        assert n in lines[0], (n, lines[0])


def _readonly_dir(parent: Path) -> Path:
    d = parent / "ro"
    d.mkdir()
    d.chmod(0o555)
    return d


# --- permission denied -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--dir", "{ro}/out"],
        ["review", "show", "2026Q1", "--out", "{ro}/r.md"],
        ["graph", "export", "--format", "dot", "--out", "{ro}/g.dot"],
        ["backup", "{ro}/b.sqlite"],
    ],
)
def test_permission_denied_is_one_line(shared: Path, args: list[str]) -> None:
    db = _db(shared)
    ro = _readonly_dir(shared)
    code, err = _kb("--db", str(db), *[a.format(ro=ro) for a in args], user=True)
    _one_line(code, err, "permission denied", str(ro))
    assert list(ro.iterdir()) == []  # nothing half-written


def test_init_in_a_read_only_directory_is_one_line_and_leaves_nothing(shared: Path) -> None:
    ro = _readonly_dir(shared)
    code, err = _kb("--db", str(ro / "kb.sqlite"), "init", user=True)
    _one_line(code, err, "permission denied")
    assert "not a kb database" not in err
    assert list(ro.iterdir()) == []


def test_the_migration_lock_in_a_read_only_directory_is_one_line(shared: Path) -> None:
    """An old database in a directory kb cannot write: the upgrade lock cannot be made."""
    old = shared / "d"
    old.mkdir()
    shutil.copy(ROOT / "tests" / "fixtures" / "db_schema_m001.sqlite", old / "kb.sqlite")
    old.chmod(0o555)
    code, err = _kb("--db", str(old / "kb.sqlite"), "incident", "list", user=True)
    _one_line(code, err)
    assert "upgrade lock" in err or "read-only" in err or "permission denied" in err


def test_check_on_a_read_only_database_does_not_report_damage(shared: Path) -> None:
    db = _db(shared)
    for p in shared.glob("kb.sqlite*"):
        p.chmod(0o444)
    shared.chmod(0o755)  # nobody cannot write the directory either
    code, err = _kb("--db", str(db), "check", user=True)
    assert "FTS5 integrity-check failed" not in err
    assert "read-only" in err and code == 1


# --- not a directory, is a directory, exists ----------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["export", "--dir", "{file}/out"], "not a directory"),
        (["review", "show", "2026Q1", "--out", "{file}/r.md"], "not a directory"),
        (["review", "show", "2026Q1", "--out", "{dir}"], "is a directory"),
        (["graph", "export", "--format", "dot", "--out", "{dir}"], "is a directory"),
        (["backup", "{file}"], "refusing to overwrite"),
        (["backup", "{file}/b.sqlite"], "not a directory"),
        (["export", "--dir", "{file}"], "is a file"),
        (["init", "--db", "{file}/kb.sqlite"], "not a directory"),
    ],
)
def test_path_shape_errors_are_one_line(tmp_path: Path, db_path: Path, args: list[str], needle: str) -> None:
    _db(tmp_path)
    f = tmp_path / "plain.txt"
    f.write_text("x", encoding="utf-8")
    d = tmp_path / "adir"
    d.mkdir()
    result = run_hostile(db_path, *[a.format(file=f, dir=d) for a in args])
    assert result.exit_code == 1 and needle in result.stderr, result.stderr
    assert f.read_text(encoding="utf-8") == "x" and list(d.iterdir()) == []


def test_an_empty_file_given_to_check_is_not_initialised(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    result = run_hostile(empty, "check")
    assert result.exit_code == 1 and "an empty file, not a kb database" in result.stderr
    assert empty.read_bytes() == b""


# --- a full disk --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--dir", "{d}/out"],
        ["review", "show", "2026Q1", "--out", "{d}/r.md"],
        ["graph", "export", "--format", "graphml", "--out", "{d}/g.graphml"],
        ["backup", "{d}/b.sqlite"],
    ],
)
def test_a_full_disk_is_one_line_and_leaves_no_partial_file(tmp_path: Path, args: list[str]) -> None:
    db = tmp_path / "kb.sqlite"
    with KB(db) as kb:
        kb.add_project(Project(slug="p", owner="ann"))
        big = " ".join(f"word{i}" for i in range(40_000))  # ~350 kB in one statement, one title
        kb.add_incident(
            Incident(
                project="p",
                title="big " + big[:150],
                started_at="2026-02-01",
                causes=[Cause(id="c1", statement=big, mode="ops.no-monitoring")],
            )
        )
    d = tmp_path / "dest"
    d.mkdir()
    # a file-size limit stands in for a full disk: any write past 120 kB fails with EFBIG; the
    # database (read, never grown here) and its 32 kB -shm stay under it
    code, err = _kb("--db", str(db), *[a.format(d=d) for a in args], fsize=120_000)
    _one_line(code, err)
    assert "larger than this system allows" in err
    leftovers = [p for p in d.rglob("*") if p.is_file()]
    assert all(p.stat().st_size > 0 for p in leftovers), leftovers  # no 0-byte files
    assert not [p for p in leftovers if p.name.startswith(".")], leftovers  # no temp files


def test_init_on_a_full_disk_leaves_no_empty_database(tmp_path: Path) -> None:
    target = tmp_path / "new" / "kb.sqlite"
    code, err = _kb("--db", str(target), "init", fsize=4096)
    _one_line(code, err)
    assert "not a kb database" not in err
    assert not target.exists()


# --- modes under umask 000 ----------------------------------------------------------------------


def test_outputs_and_directories_are_private_under_umask_000(tmp_path: Path, db_path: Path) -> None:
    _db(tmp_path)
    old = os.umask(0)
    try:
        run_hostile(db_path, "review", "show", "2026Q1", "--out", str(tmp_path / "a" / "b" / "r.md"))
        run_hostile(db_path, "export", "--dir", str(tmp_path / "x" / "y"))
        run_hostile(db_path, "graph", "export", "--format", "dot", "--out", str(tmp_path / "g.dot"))
        run_hostile(db_path, "backup", str(tmp_path / "bk" / "c" / "b.sqlite"))
    finally:
        os.umask(old)
    for p in ("a", "a/b", "x", "x/y", "x/y/incidents", "bk", "bk/c"):
        assert stat.S_IMODE((tmp_path / p).stat().st_mode) == 0o700, p
    for p in ("a/b/r.md", "g.dot", "bk/c/b.sqlite", "x/y/incidents/INC-0001.yaml"):
        assert stat.S_IMODE((tmp_path / p).stat().st_mode) == 0o600, p
    assert sqlite3.connect(tmp_path / "bk" / "c" / "b.sqlite").execute("SELECT count(*) FROM incidents").fetchone()
