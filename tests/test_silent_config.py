"""The detector's settings: the packaged defaults need no check (so `kb silent` reads them without
pydantic), and a user's file is checked value by value with one line naming the setting."""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict
from pathlib import Path

import pytest

from kb.errors import KBError
from kb.silent.config import defaults_text, load_config
from kb.silent.config_check import checked


def test_the_packaged_defaults_pass_the_check_unchanged() -> None:
    defaults = tomllib.loads(defaults_text())
    # json tells 1 from 1.0: an int where the check wants a float would show here
    assert json.dumps(checked(defaults, "defaults"), sort_keys=True) == json.dumps(defaults, sort_keys=True)


def test_defaults_alone_equal_defaults_read_through_the_check(tmp_path: Path) -> None:
    alone = load_config()
    same = tmp_path / "silent.toml"
    same.write_text("[trends]\nmin_periods = 4\n[weights]\nno-baseline = 0.5\n")  # the defaults' own values
    through = load_config(same)
    assert alone.sources == ["defaults"] and through.sources == ["defaults", str(same)]
    assert {**asdict(alone), "sources": []} == {**asdict(through), "sources": []}
    assert alone.weights["quiet-shutdown"] == 3.0 and alone.trends.alpha_small == 0.10
    assert alone.production == frozenset({"production", "prod", "prd", "live"})


def test_a_users_ints_become_floats_where_the_setting_is_a_float(tmp_path: Path) -> None:
    f = tmp_path / "silent.toml"
    f.write_text("[weights]\nno-baseline = 2\n[verdict]\nwatch = 1\n")
    cfg = load_config(f)
    assert type(cfg.weights["no-baseline"]) is float and type(cfg.verdict.watch) is float
    assert cfg.weights["no-baseline"] == 2.0 and cfg.verdict.watch == 1.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[trends]\nalpha_small = 1.5\n", "trends.alpha_small: input should be less than 1"),
        ("[verdict]\nwatch = 5.0\n", "verdict: silent_failure (3.0) is below watch (5.0)"),
        (
            "[thresholds]\nstale_days = 1.5\n",
            "thresholds.stale_days: input should be a valid integer, got a number with a fractional part",
        ),
        ("[flags]\nproduction_environments = 'prod'\n", "flags.production_environments: input should be a valid list"),
        ("[trends]\nmin_periods = 2\n", "trends.min_periods: input should be greater than or equal to 3"),
    ],
)
def test_a_bad_value_in_a_users_file_is_one_line_naming_it(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "silent.toml"
    f.write_text(text)
    with pytest.raises(KBError) as err:
        load_config(f)
    assert (err.value.where, err.value.message) == (str(f), message)
