"""Shared fixtures: a private database per test, a CLI runner, and isolation from the user's dirs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kb.cli import main
from kb.service import KB
from tests import external

# The Textual release the SVG snapshots under tests/__snapshots__ were recorded with (CI pins it in
# ci/constraints.txt); another release draws a few cells differently, which is not a kb defect.
SNAPSHOT_TEXTUAL = "8.2.8"


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked as needing outside material skip without it, or fail under KB_REQUIRE_EXTERNAL=1."""
    for name in external.MARKERS:
        if item.get_closest_marker(name) is not None:
            reason = external.missing(name)
            if reason:
                external.absent(reason)
    if "snap_compare" in getattr(item, "fixturenames", ()):
        from importlib.metadata import version

        found = version("textual")
        if found != SNAPSHOT_TEXTUAL:
            external.absent(f"snapshots were recorded with textual {SNAPSHOT_TEXTUAL}, this is {found}")


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may read or write the real user's data or config directories."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("KB_ACTOR", "tester")
    for var in ("KB_DB", "KB_CONFIG", "KB_THEME", "KB_CURSOR_BLINK", "KB_KEYMAP"):  # KB_PARALLEL is the caller's
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.delenv("KB_CACHE_DIR", raising=False)
    # the CLI's last-resort guard re-raises, so an exception escaping a command fails its test
    monkeypatch.setenv("KB_RAISE_INTERNAL", "1")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding the packaged seed portfolio, built once per module for tests that only read it."""
    db = tmp_path_factory.mktemp("seeded") / "kb.sqlite"
    with KB(db, "tester") as handle:
        handle.seed()
    return db


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "kb.sqlite"


@pytest.fixture
def kb(db_path: Path) -> KB:
    handle = KB(db_path)
    yield handle
    handle.close()


class Run:
    """Invoke the real `kb` command against the test database."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(main, ["--db", str(self.db_path), *args], input=input)

    def ok(self, *args: str, input: str | None = None) -> Result:
        result = self(*args, input=input)
        assert result.exit_code == 0, f"kb {' '.join(args)} failed ({result.exit_code}):\n{result.output}"
        return result

    def fails(self, *args: str, input: str | None = None) -> Result:
        """A user error: exit 1, one line on stderr, no traceback."""
        result = self(*args, input=input)
        assert result.exit_code == 1, f"expected exit 1, got {result.exit_code}:\n{result.output}"
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert "Traceback" not in result.output
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1, f"expected one error line, got: {lines}"
        return result


@pytest.fixture
def run(db_path: Path) -> Callable[..., Result]:
    return Run(db_path)
