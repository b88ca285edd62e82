"""The CLI's last-resort guard and the inputs that used to escape as tracebacks (issue 14)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from kb.commands._common import RAISE_ENV, internal_errors
from kb.service import KB
from tests._hostile import run_hostile


def test_an_unexpected_exception_is_one_line_naming_the_log(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(RAISE_ENV)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    with pytest.raises(click.ClickException) as err, internal_errors():
        raise RuntimeError("boom\nsecond line")
    msg = err.value.format_message()
    assert "\n" not in msg
    assert msg.startswith("internal error (RuntimeError: boom second line); the details are in ")
    log = Path(msg.rsplit(" ", 1)[1])
    assert log.parent == tmp_path / "state" / "kb"
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "RuntimeError: boom" in text
    assert log.stat().st_mode & 0o777 == 0o600


def test_under_the_test_suite_the_guard_re_raises() -> None:
    assert os.environ.get(RAISE_ENV)  # set by tests/conftest.py for every test
    with pytest.raises(RuntimeError), internal_errors():
        raise RuntimeError("a test must fail on this")


def test_user_errors_pass_through_the_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(RAISE_ENV)
    with pytest.raises(click.ClickException) as err, internal_errors():
        raise click.ClickException("plain")
    assert err.value.format_message() == "plain"


def test_invalid_utf8_on_standard_input_is_one_line(db_path: Path) -> None:
    KB(db_path).close()
    from click.testing import CliRunner

    from kb.cli import main

    result = CliRunner().invoke(main, ["--db", str(db_path), "import", "-"], input=b"title: \xff\xfe\n")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: <stdin>: not UTF-8 text (byte 7)"


def test_invalid_utf8_in_an_argument_is_one_line(db_path: Path) -> None:
    KB(db_path).close()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    env.pop(RAISE_ENV, None)
    proc = subprocess.run(
        [sys.executable.encode(), b"-m", b"kb", b"--db", str(db_path).encode(), b"search", b"caf\xe9"],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 1
    assert proc.stderr.decode() == "Error: argument 4 is not valid UTF-8 text\n"


def test_lone_surrogate_and_huge_numbers_in_json_are_one_line(tmp_path: Path, db_path: Path) -> None:
    KB(db_path).close()
    f = tmp_path / "u.json"
    for body in (
        '{"events": [{"id": 1, "featureName": "\\ud800", "createdAt": "2026-01-01T00:00:00Z"}]}',
        '{"events": [{"id": ' + "9" * 5000 + "}]}",
        '{"events": ' + "[" * 100_000 + "]" * 100_000 + "}",
    ):
        f.write_text(body, encoding="utf-8")
        result = run_hostile(db_path, "flags", "import", str(f), "--format", "unleash")
        assert result.exit_code == 1 and len(result.stderr) < 400
