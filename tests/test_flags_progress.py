"""`kb flags import` shows a progress bar on a terminal, and only there (issue 15)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pty = pytest.importorskip("pty", reason="needs a POSIX pseudo-terminal")

ROOT = Path(__file__).resolve().parents[1]
HEADER = "flag,environment,action,at,actor,comment\n"


def _log(tmp_path: Path, rows: int) -> Path:
    log = tmp_path / "flags.csv"
    with log.open("w", encoding="utf-8") as fh:
        fh.write(HEADER)
        for i in range(rows):
            action = "enabled" if i % 2 else "disabled"
            fh.write(f"m{i % 50},production,{action},2026-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z,a{i},\n")
    return log


def test_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    log = _log(tmp_path, 5000)
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb", "--db", str(tmp_path / "kb.sqlite"), "flags", "import", str(log)],
        stdout=subprocess.PIPE,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=300) == 0
    assert proc.stdout is not None
    assert "read 5,000 events, added 5,000" in proc.stdout.read().decode()
    text = seen.decode("utf-8", "replace")
    from rich.filesize import decimal

    assert "importing" in text and f"{decimal(log.stat().st_size)}" in text  # the bar on stderr, the file's size


def test_no_progress_bar_in_a_pipe(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run.ok("flags", "import", str(_log(tmp_path, 10)))
    assert result.stderr == ""
    assert result.stdout.startswith("csv (header 'flag,environment,action,at,actor,comment'): read 10 events")
