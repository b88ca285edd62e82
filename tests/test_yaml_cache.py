"""kb.taxonomy_files.read_yaml keeps what a shipped YAML file parses to as JSON in the user cache
directory, named by the SHA-256 of the file's bytes: a second read is the cached value, an edited
file is parsed again, a value JSON would change is never cached, and a broken or unwritable cache
only costs a parse."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kb.taxonomy_files import read_yaml


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KB_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "yaml"


def _name(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest() + ".json"


def test_a_second_read_is_the_cached_value_and_an_edit_is_parsed_again(tmp_path: Path, cache: Path) -> None:
    f = tmp_path / "modes.yaml"
    f.write_text("- code: a.b\n  name: Café\n  weight: 2\n", encoding="utf-8")
    assert read_yaml(f) == [{"code": "a.b", "name": "Café", "weight": 2}]
    kept = cache / _name(f.read_text(encoding="utf-8"))
    assert json.loads(kept.read_text(encoding="utf-8")) == [{"code": "a.b", "name": "Café", "weight": 2}]
    # the next read answers from the cache, not the file: prove it by changing the cached value
    kept.write_text('[{"code": "from.cache"}]', encoding="utf-8")
    assert read_yaml(f) == [{"code": "from.cache"}]
    # an edited file has another hash: parsed again, and cached under its own name
    f.write_text("- code: a.c\n", encoding="utf-8")
    assert read_yaml(f) == [{"code": "a.c"}]
    assert sorted(p.name for p in cache.iterdir()) == sorted([kept.name, _name("- code: a.c\n")])


def test_a_value_json_would_change_is_not_cached(tmp_path: Path, cache: Path) -> None:
    f = tmp_path / "dated.yaml"
    f.write_text("since: 2024-01-31\n", encoding="utf-8")
    assert read_yaml(f) == {"since": dt.date(2024, 1, 31)}
    assert not cache.exists() or list(cache.iterdir()) == []
    assert read_yaml(f) == {"since": dt.date(2024, 1, 31)}


def test_a_broken_cache_file_is_passed_over_with_a_warning(
    tmp_path: Path, cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    f = tmp_path / "t.yaml"
    f.write_text("a: 1\n", encoding="utf-8")
    cache.mkdir(parents=True)
    (cache / _name("a: 1\n")).write_text("{not json", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="kb.taxonomy_files"):
        assert read_yaml(f) == {"a": 1}
    assert any("ignoring the cached parse" in r.getMessage() for r in caplog.records)
    assert json.loads((cache / _name("a: 1\n")).read_text(encoding="utf-8")) == {"a": 1}  # rewritten whole


def test_a_cache_path_that_is_a_file_only_costs_a_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("KB_CACHE_DIR", str(blocker))
    f = tmp_path / "t.yaml"
    f.write_text("a: 1\n", encoding="utf-8")
    assert read_yaml(f) == {"a": 1} and read_yaml(f) == {"a": 1}


def test_taxonomy_list_imports_no_yaml_once_the_taxonomy_is_cached(db_path: Path, tmp_path: Path) -> None:
    env = {**os.environ, "KB_CACHE_DIR": str(tmp_path / "cache")}
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom kb.cli import main\n"
        "r = CliRunner().invoke(main, sys.argv[1:])\nassert r.exit_code == 0, r.output\n"
        "print('yaml' in sys.modules, r.output.count('incidents'))"
    )
    args = ["--db", str(db_path), "taxonomy", "list"]
    subprocess.run([sys.executable, "-m", "kb", "--db", str(db_path), "init"], check=True, env=env, capture_output=True)
    runs = [subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env) for _ in "12"]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr
    first, second = (r.stdout.split() for r in runs)
    assert first[0] == "True" and second[0] == "False"  # parsed once, then read from the cache
    assert first[1] == second[1]  # the same listing either way
