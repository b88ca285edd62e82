"""What kb writes is readable by its owner only: the database (and its WAL and shared-memory
files), its directory, backups, the migration lock, and exports. Checked under a permissive umask,
so the modes come from kb, not from the test environment.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.models import Incident, Project
from kb.service import KB


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0o000)  # the worst case: everything would be world-writable by default
    try:
        yield
    finally:
        os.umask(old)


def test_default_database_and_its_directory_are_private(open_umask: None) -> None:
    result = CliRunner().invoke(main, ["init"])  # no --db, no KB_DB: the user data dir
    assert result.exit_code == 0, result.output
    db = Path(os.environ["XDG_DATA_HOME"]) / "kb" / "kb.sqlite"
    assert db.exists()
    assert mode(db) == 0o600
    assert mode(db.parent) == 0o700


def test_wal_and_shm_files_are_private_while_open(tmp_path: Path, open_umask: None) -> None:
    db = tmp_path / "nested" / "deeper" / "kb.sqlite"
    with KB(db) as kb:
        kb.add_project(Project(slug="p", stage="pilot"))
        wal, shm = Path(f"{db}-wal"), Path(f"{db}-shm")
        assert wal.exists() and shm.exists()
        assert (mode(db), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
    assert mode(db.parent) == 0o700


def test_backups_and_the_migration_lock_are_private(tmp_path: Path, open_umask: None) -> None:
    db = tmp_path / "kb.sqlite"
    with KB(db) as kb:
        target = kb.backup(tmp_path / "out" / "copy.sqlite")
    assert mode(target) == 0o600
    assert mode(Path(f"{db}.lock")) == 0o600


def test_exports_are_private(tmp_path: Path, open_umask: None) -> None:
    db = tmp_path / "kb.sqlite"
    with KB(db) as kb:
        kb.add_project(Project(slug="p", stage="pilot"))
        kb.add_incident(Incident(project="p", title="t"))
        kb.export_dir(tmp_path / "export")
    root = tmp_path / "export"
    dirs = [root, root / "projects", root / "incidents"]
    files = [root / "projects" / "p.yaml", root / "incidents" / "INC-0001.yaml"]
    assert [mode(d) for d in dirs] == [0o700] * 3
    assert [mode(f) for f in files] == [0o600] * 2
    assert sorted(p.name for p in root.rglob("*")) == ["INC-0001.yaml", "incidents", "p.yaml", "projects"]
