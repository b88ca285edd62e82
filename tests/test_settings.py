"""kb's one settings model (kb.config): defaults < config file < environment < command line, for every
setting, with a real config.toml in the user config dir and real environment variables."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.config import Secret, config_dir, default_db_path, load
from kb.flagsync.settings import resolve
from kb.models import Project
from kb.parallel import can_fork
from kb.service import KB
from tests.snapshot_apps.common import settle


def _write_config(text: str) -> Path:
    path = config_dir() / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _db_with(tmp_path: Path, slug: str) -> Path:
    path = tmp_path / f"{slug}.sqlite"
    with KB(path, "tester") as kb:
        kb.add_project(Project(slug=slug, stage="production", owner="ana"))
    return path


def _projects(*args: str) -> list[str]:
    result = CliRunner().invoke(main, [*args, "project", "list", "--json"])
    assert result.exit_code == 0, result.output
    return [p["slug"] for p in json.loads(result.output)]


def test_defaults_without_file_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KB_ACTOR")
    s = load()
    assert s.db == Path(os.environ["XDG_DATA_HOME"]) / "kb" / "kb.sqlite"  # conftest sets XDG_DATA_HOME
    assert (s.parallel, s.tui.theme, s.tui.cursor_blink, dict(s.tui.keymap)) == (True, "textual-dark", True, {})
    assert s.sources["unleash"].url == "" and not s.sources["unleash"].token
    assert s.files == () and s.silent == ()


def test_the_database_comes_from_the_file_then_the_environment_then_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_file, in_env, in_option = (_db_with(tmp_path, slug) for slug in ("from-file", "from-env", "from-option"))
    _write_config(f'db = "{in_file}"\n')
    assert _projects() == ["from-file"]
    monkeypatch.setenv("KB_DB", str(in_env))
    assert _projects() == ["from-env"]
    assert _projects("--db", str(in_option)) == ["from-option"]


def test_the_actor_comes_from_the_file_then_the_environment_then_the_option(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_config('actor = "ann"\n')
    monkeypatch.delenv("KB_ACTOR")
    runner = CliRunner()

    def add(slug: str, *args: str) -> str:
        result = runner.invoke(main, ["--db", str(db_path), *args, "project", "add", slug, "--owner", "ana"])
        assert result.exit_code == 0, result.output
        history = runner.invoke(main, ["--db", str(db_path), "project", "history", slug, "--json"])
        return str(json.loads(history.output)[0]["actor"])

    assert add("one") == "ann"
    monkeypatch.setenv("KB_ACTOR", "ben")
    assert add("two") == "ben"
    assert add("three", "--actor", "cid") == "cid"


def test_flag_source_settings_follow_the_same_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _write_config(
        '[sources.unleash]\nurl = "https://file.example"\nproject = "from-file"\nenvironment = "production"\n'
        'token = "file-token"\n'
    )
    s = resolve("unleash")
    assert (s.base_url, s.project, s.environment, s.token) == (
        "https://file.example",
        "from-file",
        "production",
        Secret("file-token"),
    )
    monkeypatch.setenv("KB_UNLEASH_PROJECT", "from-env")
    monkeypatch.setenv("KB_UNLEASH_TOKEN", "env-token")
    s = resolve("unleash")
    assert (s.project, s.token) == ("from-env", Secret("env-token"))
    s = resolve("unleash", project="from-option")
    assert (s.base_url, s.project, s.environment) == ("https://file.example", "from-option", "production")
    # a file named on the command line sits above config.toml and below the environment
    named = tmp_path / "sources.toml"
    named.write_text('[unleash]\nurl = "https://named.example"\nproject = "from-named"\n', encoding="utf-8")
    s = resolve("unleash", config_path=named)
    assert (s.base_url, s.project) == ("https://named.example", "from-env")
    assert "env-token" not in repr(load()) and "file-token" not in repr(load())


def test_parallel_is_switched_off_in_the_file_and_back_on_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import kb.parallel as parallel

    monkeypatch.setattr(parallel.sys, "platform", "linux")
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    monkeypatch.delenv("KB_PARALLEL", raising=False)
    assert can_fork()
    _write_config("parallel = false\n")
    assert not can_fork()
    monkeypatch.setenv("KB_PARALLEL", "yes")
    assert can_fork()


def test_the_silent_tuning_reads_the_file_and_a_named_file_wins(tmp_path: Path) -> None:
    from kb.silent.config import load_config

    assert load_config().weights["no-baseline"] == 0.5  # the packaged default
    path = _write_config("[silent.weights]\nno-baseline = 0\nownerless = 4\n")
    cfg = load_config()
    assert (cfg.weights["no-baseline"], cfg.weights["ownerless"]) == (0, 4)
    assert cfg.sources == ["defaults", str(path)]
    named = tmp_path / "mine.toml"
    named.write_text("[weights]\nownerless = 2\n", encoding="utf-8")
    cfg = load_config(named)
    assert (cfg.weights["no-baseline"], cfg.weights["ownerless"]) == (0, 2)
    assert cfg.sources == ["defaults", str(path), str(named)]


def test_the_files_kb_read_before_still_count_beneath_config_toml(monkeypatch: pytest.MonkeyPatch) -> None:
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "kb_tui.yaml").write_text("theme: textual-light\ncursor_blink: false\n", encoding="utf-8")
    (config_dir() / "sources.toml").write_text('[flagsmith]\nproject = "12"\n', encoding="utf-8")
    s = load()
    assert (s.tui.theme, s.tui.cursor_blink, s.sources["flagsmith"].project) == ("textual-light", False, "12")
    _write_config('[tui]\ntheme = "nord"\n')
    s = load()
    assert (s.tui.theme, s.tui.cursor_blink) == ("nord", False)
    monkeypatch.setenv("KB_THEME", "dracula")
    assert load().tui.theme == "dracula"


def test_the_tui_opens_with_its_settings(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb_tui.app import KBApp

    _write_config('[tui]\ntheme = "textual-light"\ncursor_blink = false\nkeymap = { "app.help" = "f12" }\n')
    monkeypatch.setenv("KB_KEYMAP", '{"app.quick_log": "ctrl+l"}')  # the environment's keymap replaces the file's

    async def flow() -> tuple[str, bool, dict[str, str]]:
        app = KBApp(db_path, actor="tester")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            return app.theme, bool(app.cursor_blink), dict(app._keymap)

    assert asyncio.run(flow()) == ("textual-light", False, {"app.quick_log": "ctrl+l"})


@pytest.mark.parametrize(
    ("config", "env", "expected"),
    [
        ("colour = 'red'\n", {}, "config.toml: unknown setting 'colour'"),
        ("[tui]\nblink = true\n", {}, "config.toml: unknown setting 'tui.blink'"),
        ("[tui]\ncursor_blink = 'yes'\n", {}, "config.toml: tui.cursor_blink: must be true or false"),
        ("[sources.unleash]\nurll = 'x'\n", {}, "config.toml: [sources.unleash] urll: unknown key"),
        ("db = [\n", {}, "config.toml: not valid TOML"),
        ("", {"KB_PARALLEL": "maybe"}, "KB_PARALLEL: 'maybe' is not yes or no"),
        ("", {"KB_KEYMAP": "[1]"}, "KB_KEYMAP: must be a JSON object"),
    ],
)
def test_a_bad_setting_is_one_line_and_nothing_runs(
    monkeypatch: pytest.MonkeyPatch, config: str, env: dict[str, str], expected: str
) -> None:
    _write_config(config)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    result = CliRunner().invoke(main, ["project", "add", "churn", "--owner", "ana"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and expected in result.output, result.output
    assert "Traceback" not in result.output
    assert not default_db_path().exists()


def test_a_setting_given_on_the_command_line_needs_no_file(db_path: Path) -> None:
    """The files are read only for a setting neither the command line nor the environment gives:
    with --db and $KB_ACTOR (every script), a read command opens no config file."""
    _write_config("colour = 'red'\n")
    result = CliRunner().invoke(main, ["--db", str(db_path), "project", "add", "churn", "--owner", "ana"])
    assert result.exit_code == 0, result.output
