"""`kb`, `kb tui` and `kb demo` open the UI on the right database (the app's run loop is replaced)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.service import KB


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What each KBApp.run() call saw: its database and how many incidents that database held."""
    from kb_tui.app import KBApp

    calls: list[dict[str, Any]] = []

    def fake_run(self: KBApp, *args: Any, **kwargs: Any) -> None:
        with KB(self.db_path) as kb:
            calls.append({"path": self.db_path, "counts": kb.counts()})

    monkeypatch.setattr(KBApp, "run", fake_run)
    return calls


def test_kb_with_no_command_opens_the_ui_on_a_new_database(tmp_path: Path, opened: list[dict[str, Any]]) -> None:
    db = tmp_path / "fresh.sqlite"
    result = CliRunner().invoke(main, ["--db", str(db)])
    assert result.exit_code == 0, result.output
    assert db.exists()
    assert opened == [{"path": db, "counts": {"projects": 0, "incidents": 0, "open_incidents": 0}}]


def test_kb_tui_uses_kb_db(tmp_path: Path, opened: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "env.sqlite"
    monkeypatch.setenv("KB_DB", str(db))
    result = CliRunner().invoke(main, ["tui"])
    assert result.exit_code == 0, result.output
    assert [c["path"] for c in opened] == [db]


def test_kb_demo_opens_a_seeded_throwaway_database(tmp_path: Path, opened: list[dict[str, Any]]) -> None:
    with KB(tmp_path / "reference.sqlite") as kb:
        expected = kb.seed().created["incidents"]
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    [call] = opened
    assert call["counts"]["incidents"] == expected > 0
    assert not call["path"].exists()  # removed when the UI closes
