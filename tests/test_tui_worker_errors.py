"""A worker that fails (a real store error: the database lost a table) writes its traceback to the TUI's
log file in the user state dir and shows the person one line, and the app keeps running."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable

import kb_tui.app
from kb.service import KB
from kb_tui.app import KBApp
from tests.snapshot_apps.common import make_app, settle


class Watched(KBApp):
    """The app, keeping every line it showed (a toast leaves the screen after its timeout)."""

    CSS_PATH = str(Path(kb_tui.app.__file__).parent / KBApp.CSS_PATH)  # relative paths are the class's module's
    shown: list[str]

    def notify(self, message: str, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        self.shown = [*getattr(self, "shown", []), message]
        super().notify(message, *args, **kwargs)


def watched(path: Path) -> Watched:
    app = make_app(path)
    return Watched(path, actor=app.actor, as_of=app.as_of, theme="textual-dark", cursor_blink=False)


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """platformdirs' user state dir follows XDG_STATE_HOME: the log goes to <it>/kb/kb-tui.log."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state" / "kb"


@pytest.fixture
def no_health_table(tmp_path: Path) -> Path:
    path = tmp_path / "kb.sqlite"
    with KB(path, "tester") as kb:
        kb.seed()
    db = sqlite3.connect(path)
    with db:
        db.execute("DROP TABLE health")
    # closed here, not whenever it is collected: closing the last connection checkpoints the WAL into
    # the file, which a running app would see as a change and read again (a flaky third message)
    db.close()
    return path


def _messages(app: Watched) -> list[str]:
    return getattr(app, "shown", [])


def test_store_error_in_a_worker_is_logged_and_shown_as_one_line(no_health_table: Path, state_dir: Path) -> None:
    log = state_dir / "kb-tui.log"
    line = f"OperationalError: no such table: health (details in {log})"

    async def flow() -> None:
        app = watched(no_health_table)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            # the portfolio's second pass reads health: it fails, the rows it already showed stay
            assert _messages(app) == [line]
            assert app.screen.query_one("#portfolio-table", DataTable).row_count > 0
            app.action_open_project("churn-propensity")
            await settle(pilot)
            assert _messages(app) == [line, line]  # one line for the project screen's own worker
            assert type(app.screen).__name__ == "ProjectScreen"  # the app is still there, on the screen
            await pilot.press("escape")  # back on the portfolio: the file did not change, nothing is read again
            await settle(pilot)
            assert type(app.screen).__name__ == "PortfolioScreen"
            assert _messages(app) == [line, line]
            await pilot.press("ctrl+l")  # a reload runs the second pass again (a new child): it fails again
            await settle(pilot)
            assert _messages(app) == [line, line, line]

    asyncio.run(flow())
    text = log.read_text(encoding="utf-8")
    assert text.count("ERROR kb.tui: portfolio-enrich worker failed\nTraceback (most recent call last):") == 2
    assert text.count("ERROR kb.tui: project-load worker failed\nTraceback (most recent call last):") == 1
    assert text.count("sqlite3.OperationalError: no such table: health") == 3
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_nothing_is_logged_when_nothing_fails(tmp_path: Path, state_dir: Path) -> None:
    path = tmp_path / "kb.sqlite"
    with KB(path, "tester") as kb:
        kb.seed()

    async def flow() -> None:
        app = watched(path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.action_open_project("churn-propensity")
            await settle(pilot)
            assert _messages(app) == []

    asyncio.run(flow())
    assert not (state_dir / "kb-tui.log").exists()


def test_a_problem_the_user_can_fix_is_one_line_without_a_log_pointer(tmp_path: Path, state_dir: Path) -> None:
    """A project that is not there is the user's to fix: the line says so; the log keeps the traceback."""
    path = tmp_path / "kb.sqlite"
    with KB(path, "tester") as kb:
        kb.seed()

    async def flow() -> None:
        app = watched(path)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.action_open_project("ghost-model")
            await settle(pilot)
            shown = _messages(app)
            assert shown == ["project: no project 'ghost-model'"]

    asyncio.run(flow())
    text = (state_dir / "kb-tui.log").read_text(encoding="utf-8")
    assert "WARNING kb.tui: project-load worker failed" in text
    assert "kb.errors.NotFound" in text
