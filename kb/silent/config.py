"""Detector weights and thresholds: the packaged defaults, then the [silent] tables kb.config found
(silent.toml, config.toml, then `kb silent --config FILE`), a later one winning key by key.

Keys are checked against the defaults so a misspelt key is an error rather than a silently ignored
setting, named with the file it is in. The values of the user's tables are checked by
kb.silent.config_check (pydantic: bounds and types, one line naming the setting). The packaged
defaults pass that check unchanged (tests/test_silent_config.py), so with no tables of the user's
they are read as they are and `kb silent` never imports pydantic.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from kb.errors import KBError
from kb.silent.trends import TrendRule

OnVariation = str | int | float | bool


@dataclass
class VerdictCfg:
    watch: float
    silent_failure: float


@dataclass
class FlagsCfg:
    production_environments: list[str]
    incident_window_days: int
    quiet_min_off_days: int
    abandoned_days: int
    exposure_floor: float
    # flag key (or "project/flag") -> the variation value(s) that mean "model on"
    on_variations: dict[str, OnVariation | list[OnVariation]] = field(default_factory=dict)


@dataclass
class TrendsCfg:
    min_periods: int
    small_n: int
    alpha_small: float
    alpha_large: float
    min_relative_slope: float


@dataclass
class ThresholdsCfg:
    capacity_ratio: float
    capacity_periods: int
    feedback_lag_days: int
    stale_days: int
    undetected_window_days: int
    undetected_ttd_days: int


@dataclass
class SilentConfig:
    """The detector's settings, checked (kb.silent.config_check) before they get here."""

    verdict: VerdictCfg
    weights: dict[str, float]
    flags: FlagsCfg
    trends: TrendsCfg
    thresholds: ThresholdsCfg
    sources: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SilentConfig:
        """From the settings' tables as checked (each key a field; nothing converted here)."""
        return cls(
            verdict=VerdictCfg(**data["verdict"]),
            weights=dict(data["weights"]),
            flags=FlagsCfg(**data["flags"]),
            trends=TrendsCfg(**data["trends"]),
            thresholds=ThresholdsCfg(**data["thresholds"]),
            sources=list(data.get("sources", [])),
        )

    @property
    def rule(self) -> TrendRule:
        t = self.trends
        return TrendRule(t.min_periods, t.small_n, t.alpha_small, t.alpha_large, t.min_relative_slope)

    @cached_property
    def production(self) -> frozenset[str]:
        """Production environment names, casefolded (asked once per flag event in a scan, so made once)."""
        return frozenset(e.casefold() for e in self.flags.production_environments)


# tables whose keys are the user's own (flag keys), not settings kb knows
FREE_TABLES = ("flags.on_variations",)


def _merge(base: dict[str, Any], over: dict[str, Any], where: str, prefix: str = "") -> None:
    for key, value in over.items():
        name = f"{prefix}{key}"
        if prefix.rstrip(".") in FREE_TABLES:
            base[key] = value
            continue
        if key not in base:
            known = ", ".join(sorted(base))
            raise KBError(f"unknown setting {name!r} (known here: {known})", where)
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise KBError(f"{name} must be a table", where)
            _merge(base[key], value, where, f"{name}.")
        else:
            base[key] = value


def defaults_text() -> str:
    # beside this module, as kb's other packaged files are read (importlib.resources costs ~15 ms to import)
    return Path(__file__).with_name("defaults.toml").read_text(encoding="utf-8")


def load_config(path: str | Path | None = None) -> SilentConfig:
    """The packaged defaults with each [silent] layer of kb.config.load laid over them; `path` (which
    must exist) is the command line's file, the last and strongest."""
    from kb.config import load

    data = tomllib.loads(defaults_text())
    sources = ["defaults"]
    for where, tables in load(section_file=("silent", path) if path is not None else None).silent:
        _merge(data, tables, where)
        sources.append(where)
    if len(sources) > 1:  # a user's values: checked, and converted as the check says (an int weight to a float)
        from kb.silent.config_check import checked

        data = checked(data, sources[-1])
    return SilentConfig.from_dict({**data, "sources": sources})
