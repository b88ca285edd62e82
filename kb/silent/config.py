"""Detector weights and thresholds: packaged defaults, then the user's file, then --config.

Files are TOML (read with tomllib). Keys are checked against the defaults so a misspelt key is
an error rather than a silently ignored setting.
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
from kb.timeutil import clip

USER_FILE = "silent.toml"


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


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise KBError(f"cannot read the config file ({exc.strerror})", str(path)) from None
    except UnicodeDecodeError as exc:
        raise KBError(f"not UTF-8 text (byte {exc.start})", str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise KBError(f"not valid TOML ({exc})", str(path)) from None
    except ValueError as exc:  # a number tomllib cannot convert (more than 4,300 digits)
        raise KBError(f"not valid TOML ({_number_problem(exc)})", str(path)) from None


def _number_problem(exc: ValueError) -> str:
    text = str(exc)
    return "a number with more than 4,300 digits" if "digits" in text else clip(text, 80)


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


def load_config(path: str | Path | None = None, user_dir: Path | None = None) -> SilentConfig:
    """Defaults, then `<user config dir>/silent.toml` if present, then `path` (which must exist)."""
    from kb.config import config_dir

    data = tomllib.loads(defaults_text())
    sources = ["defaults"]
    user = (user_dir or config_dir()) / USER_FILE
    files = [user] if user.is_file() else []
    if path is not None:
        files.append(Path(path).expanduser())
    for f in files:
        _merge(data, _read(f), str(f))
        sources.append(str(f))
    try:
        return SilentConfig.model_validate({**data, "sources": sources})
    except ValidationError as exc:
        raise KBError(validation_message(exc), sources[-1]) from None
