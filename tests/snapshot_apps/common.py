"""Helpers for the TUI tests: a pinned app on a temporary database, and bounded waits on conditions."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from kb_tui.app import KBApp

AS_OF = date(2026, 1, 15)
# screens show local times (kb.humanize.when): pin the zone so snapshots read the same everywhere
os.environ["TZ"] = "UTC"
time.tzset()


def make_app(db_path: Path, **kwargs: Any) -> KBApp:
    """Deterministic: fixed today, fixed theme, fixed actor."""
    kwargs.setdefault("as_of", AS_OF)
    kwargs.setdefault("theme", "textual-dark")
    kwargs.setdefault("actor", "tester")
    kwargs.setdefault("cursor_blink", False)
    return KBApp(db_path, **kwargs)


def _tables_sized(app: Any) -> bool:
    """A DataTable sizes its columns to rows added since its last idle; a snapshot must wait for that."""
    from textual.widgets import DataTable

    return not any(getattr(t, "_require_update_dimensions", False) for t in app.screen.query(DataTable))


async def _workers_done(app: Any) -> None:
    """Wait for the running workers; one that failed has been reported on screen (and logged) by the
    screens' shared handler, which is what the tests check, so its error is not raised here. One
    cancelled because a newer one replaced it in its exclusive group (a second mode shown before
    the first one's incidents came back, on a loaded machine) is expected: the callers wait on
    what is shown, not on which worker showed it."""
    from textual.worker import WorkerCancelled, WorkerFailed

    with contextlib.suppress(WorkerFailed, WorkerCancelled):
        await app.workers.wait_for_complete()


async def settle(pilot: Pilot[Any]) -> None:
    """Let every worker finish, every message they posted be handled, and every table be laid out."""
    for _ in range(50):
        await _workers_done(pilot.app)
        await pilot.pause()
        if not any(w.is_running for w in pilot.app.workers) and _tables_sized(pilot.app):
            await pilot.pause()
            return


async def until(pilot: Pilot[Any], condition: Callable[[], Any], what: str = "condition", tries: int = 400) -> None:
    """Wait (by yielding to the app, never sleeping) until `condition()` is true, or fail."""
    for _ in range(tries):
        if condition():
            return
        await _workers_done(pilot.app)
        await pilot.pause(0.01)
    raise AssertionError(f"timed out waiting for {what}")


@asynccontextmanager
async def on_portfolio(
    db_path: Path, size: tuple[int, int], **app_kwargs: Any
) -> AsyncIterator[tuple[Any, Pilot[Any], Any]]:
    """The app on `db_path` (make_app's arguments) with its portfolio screen up and idle."""
    from kb_tui.screens.portfolio import PortfolioScreen

    app = make_app(db_path, **app_kwargs)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, PortfolioScreen)
        yield app, pilot, app.screen


@asynccontextmanager
async def new_incident(db_path: Path, size: tuple[int, int]) -> AsyncIterator[tuple[Any, Pilot[Any], Any]]:
    """The app on `db_path` with the incident editor opened by ctrl+n from the portfolio, whole and idle."""
    from kb_tui.screens.incident import IncidentScreen

    async with on_portfolio(db_path, size) as (app, pilot, _home):
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)
        yield app, pilot, app.screen
