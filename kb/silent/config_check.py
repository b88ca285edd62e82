"""The check of a user's detector settings (kb.silent.config): bounds and types, with pydantic.

Only a file of the user's needs it; the packaged defaults pass it unchanged (tested), so they are
read without importing pydantic.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kb.errors import KBError, validation_message


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VerdictCheck(_Strict):
    watch: float = Field(ge=0)
    silent_failure: float = Field(ge=0)

    @model_validator(mode="after")
    def _order(self) -> VerdictCheck:
        if self.silent_failure < self.watch:
            raise ValueError(f"silent_failure ({self.silent_failure}) is below watch ({self.watch})")
        return self


class FlagsCheck(_Strict):
    production_environments: list[str]
    incident_window_days: int = Field(ge=0)
    quiet_min_off_days: int = Field(ge=0)
    abandoned_days: int = Field(ge=0)
    exposure_floor: float = Field(ge=0, lt=1)
    # flag key (or "project/flag") -> the variation value(s) that mean "model on"
    on_variations: dict[str, str | int | float | bool | list[str | int | float | bool]] = Field(default_factory=dict)


class TrendsCheck(_Strict):
    min_periods: int = Field(ge=3)
    small_n: int = Field(ge=3)
    alpha_small: float = Field(gt=0, lt=1)
    alpha_large: float = Field(gt=0, lt=1)
    min_relative_slope: float = Field(ge=0)


class ThresholdsCheck(_Strict):
    capacity_ratio: float = Field(ge=0, le=1)
    capacity_periods: int = Field(ge=1)
    feedback_lag_days: int = Field(ge=0)
    stale_days: int = Field(ge=1)
    undetected_window_days: int = Field(ge=1)
    undetected_ttd_days: int = Field(ge=0)


class SettingsCheck(_Strict):
    verdict: VerdictCheck
    weights: dict[str, float]
    flags: FlagsCheck
    trends: TrendsCheck
    thresholds: ThresholdsCheck


def checked(data: dict[str, Any], where: str) -> dict[str, Any]:
    """The settings' tables as the check reads them (an int where a float belongs becomes a float);
    KBError naming the first bad setting, at `where` (the last file read), otherwise."""
    try:
        return SettingsCheck.model_validate(data).model_dump()
    except ValidationError as exc:
        raise KBError(validation_message(exc), where) from None
