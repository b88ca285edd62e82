"""`kb --help` from the copy of click's output kept by kb.launch: the same text as click prints, without
importing click once kept, and never a copy whose sources changed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _help(env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *flags, "-m", "kb", "--help"], capture_output=True, text=True, env=env)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "KB_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "100"}


def _click_says(env: dict[str, str], tmp_path: Path) -> str:
    """What click prints with no copy kept: the cache directory is a file, so nothing can be written."""
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory", encoding="utf-8")
    first, second = _help({**env, "KB_CACHE_DIR": str(blocker)}), _help({**env, "KB_CACHE_DIR": str(blocker)})
    assert first.returncode == 0 and first.stdout == second.stdout, first.stderr
    return first.stdout


def test_the_kept_help_is_clicks_and_imports_no_click(env: dict[str, str], tmp_path: Path) -> None:
    expected = _click_says(env, tmp_path)
    assert expected.startswith("Usage: python -m kb [OPTIONS] [COMMAND] [ARGS]...")
    assert "  search  " in expected and "  -h, --help  " in expected
    missed, kept = _help(env, "-X", "importtime"), _help(env, "-X", "importtime")
    assert missed.stdout == expected and kept.stdout == expected
    assert " click" in missed.stderr and " click" not in kept.stderr  # importtime lists each module imported
    assert len(list((tmp_path / "cache" / "help").iterdir())) == 1
    # another width is another copy
    wide = _help({**env, "COLUMNS": "60"})
    assert wide.stdout != expected and len(list((tmp_path / "cache" / "help").iterdir())) == 2


def test_a_copy_is_served_only_while_its_sources_are_unchanged(env: dict[str, str], tmp_path: Path) -> None:
    expected = _help(env).stdout
    (copy,) = (tmp_path / "cache" / "help").iterdir()
    sources, sep, _text = copy.read_text(encoding="utf-8").partition("\x1e")
    assert "kb/cli.py\t" in sources and "click/core.py\t" in sources and sep
    # the same sources: what the copy says is printed (so this is the copy, not click)
    copy.write_text(sources + sep + "from the copy\n", encoding="utf-8")
    assert _help(env).stdout == "from the copy\n"
    # one source's size differs from the file's: click answers, and the copy is written again
    lines = sources.splitlines()
    path, size, mtime = lines[0].split("\t")
    changed = "\n".join([f"{path}\t{int(size) + 1}\t{mtime}", *lines[1:]]) + "\n"
    copy.write_text(changed + sep + "stale\n", encoding="utf-8")
    assert _help(env).stdout == expected
    assert copy.read_text(encoding="utf-8") == sources + sep + expected


def test_other_arguments_are_clicks(env: dict[str, str]) -> None:
    out = subprocess.run([sys.executable, "-m", "kb", "--version"], capture_output=True, text=True, env=env)
    assert out.returncode == 0 and "0.1.0" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "kb", "--nope"], capture_output=True, text=True, env=env)
    assert bad.returncode != 0 and "--nope" in bad.stderr
    assert not (Path(env["KB_CACHE_DIR"]) / "help").exists()
