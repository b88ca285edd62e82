"""Detector weights and thresholds: the packaged defaults, then the [silent] tables kb.config found
(silent.toml, config.toml, then `kb silent --config FILE`), a later one winning key by key.

Keys are checked against the defaults so a misspelt key is an error rather than a silently ignored
setting, named with the file it is in.
"""

from __future__ import annotations

import tomllib
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kb.errors import KBError, validation_message
from kb.silent.trends import TrendRule


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VerdictCfg(_Strict):
    watch: float = Field(ge=0)
    silent_failure: float = Field(ge=0)

    @model_validator(mode="after")
    def _order(self) -> VerdictCfg:
        if self.silent_failure < self.watch:
            raise ValueError(f"silent_failure ({self.silent_failure}) is below watch ({self.watch})")
        return self


class FlagsCfg(_Strict):
    production_environments: list[str]
    incident_window_days: int = Field(ge=0)
    quiet_min_off_days: int = Field(ge=0)
    abandoned_days: int = Field(ge=0)
    exposure_floor: float = Field(ge=0, lt=1)
    # flag key (or "project/flag") -> the variation value(s) that mean "model on"
    on_variations: dict[str, str | int | float | bool | list[str | int | float | bool]] = Field(default_factory=dict)


class TrendsCfg(_Strict):
    min_periods: int = Field(ge=3)
    small_n: int = Field(ge=3)
    alpha_small: float = Field(gt=0, lt=1)
    alpha_large: float = Field(gt=0, lt=1)
    min_relative_slope: float = Field(ge=0)


class ThresholdsCfg(_Strict):
    capacity_ratio: float = Field(ge=0, le=1)
    capacity_periods: int = Field(ge=1)
    feedback_lag_days: int = Field(ge=0)
    stale_days: int = Field(ge=1)
    undetected_window_days: int = Field(ge=1)
    undetected_ttd_days: int = Field(ge=0)


class SilentConfig(_Strict):
    verdict: VerdictCfg
    weights: dict[str, float]
    flags: FlagsCfg
    trends: TrendsCfg
    thresholds: ThresholdsCfg
    sources: list[str] = Field(default_factory=list)

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
    return resources.files("kb.silent").joinpath("defaults.toml").read_text(encoding="utf-8")


def load_config(path: str | Path | None = None) -> SilentConfig:
    """The packaged defaults with each [silent] layer of kb.config.load laid over them; `path` (which
    must exist) is the command line's file, the last and strongest."""
    from kb.config import load

    data = tomllib.loads(defaults_text())
    sources = ["defaults"]
    for where, tables in load(section_file=("silent", path) if path is not None else None).silent:
        _merge(data, tables, where)
        sources.append(where)
    try:
        return SilentConfig.model_validate({**data, "sources": sources})
    except ValidationError as exc:
        raise KBError(validation_message(exc), sources[-1]) from None
