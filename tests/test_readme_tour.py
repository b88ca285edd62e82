"""The README's tour is a script: every command of its block runs, as written, in an empty directory.

Each line is split into words as a shell would (quotes, comments, `&&`) and run through kb's click
entry point in a private directory with a private database. A line ending in
`# not run by the tour test: <reason>` is skipped; every other line must exit 0.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import main

ROOT = Path(__file__).resolve().parent.parent
SKIP_MARK = "# not run by the tour test:"


def tour_commands(readme: str) -> list[str]:
    """The first ```sh block under the tour heading, continuation lines joined."""
    section = readme.split("## A short tour of the commands", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the tour has no ```sh block"
    commands, pending = [], ""
    for line in block.group(1).splitlines():
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full:
            commands.append(full)
    return commands


def test_tour_block_is_found_and_joined() -> None:
    cmds = tour_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert cmds[0].startswith("kb init")
    assert all(c.startswith("kb ") for c in cmds), [c for c in cmds if not c.startswith("kb ")]
    joined = [c for c in cmds if c.startswith("kb incident add")]
    assert joined and "--mode drift.distribution-shift" in joined[0]  # the continuation line came along
    assert len([c for c in cmds if SKIP_MARK in c]) <= 3, "the tour should run, not be skipped"


def split_commands(line: str) -> list[list[str]]:
    """A tour line as argument lists: shell words, the comment dropped, `&&` separating commands."""
    words = shlex.split(line, comments=True)
    commands: list[list[str]] = [[]]
    for word in words:
        if word == "&&":
            commands.append([])
        else:
            commands[-1].append(word)
    return commands


def test_every_tour_command_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs each command through kb's real click entry point, in process (one interpreter start, not 26)."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    runner = CliRunner()
    env = {"KB_DB": str(work / "kb.sqlite"), "KB_ACTOR": "tour", "KB_PARALLEL": "0"}
    ran = 0
    for line in tour_commands((ROOT / "README.md").read_text(encoding="utf-8")):
        if SKIP_MARK in line:
            continue
        for argv in split_commands(line):
            assert argv and argv[0] == "kb", f"the tour holds kb commands only (joined by &&): {line}"
            result = runner.invoke(main, argv[1:], env=env, catch_exceptions=True)
            assert result.exit_code == 0, (
                f"tour command failed ({result.exit_code}): {line}\n{result.output[-3000:]}\n{result.exception!r}"
            )
            ran += 1
    assert ran >= 20
    # what the tour says it leaves behind
    assert (work / "review.html").is_file() and (work / "kb-backup.sqlite").is_file()
    assert (work / "examples" / "health.csv").is_file()
    assert any((work / "team" / "incidents").glob("*.yaml"))
    assert (work / "synth.sqlite").is_file()
