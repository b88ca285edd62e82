"""Effective exposure (issue 15, item 2): a model switched off while its flag stays on.

The flag logs are written here in the vendors' shapes; each expected verdict follows from the
rule in docs/silent.md (served = toggle not off and the "model on" share above the floor).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kb.models import Project
from kb.service import KB

AS_OF = date(2026, 9, 30)
GOOD: dict[str, Any] = {
    "owner": "ann",
    "stage": "production",
    "monitoring": "outcomes",
    "baseline": "rules",
    "launched_on": date(2026, 5, 1),
}


def _ld_version(fall: int) -> dict[str, Any]:
    env = {"on": True, "offVariation": 0, "fallthrough": {"variation": fall}, "targets": [], "rules": []}
    return {
        "key": "mv-flag",
        "kind": "multivariate",
        "variations": [{"value": "control", "name": "control"}, {"value": "treatment", "name": "treatment"}],
        "environments": {"production": env},
    }


def _ld_entry() -> dict[str, Any]:
    return {
        "_id": "6b0000000000000000000001",
        "date": 1781949600000,
        "accesses": [{"action": "updateFallthrough", "resource": "proj/ml:env/production:flag/mv-flag"}],
        "kind": "flag",
        "name": "mv flag",
        "description": "* Changed the default variation from ~~`treatment`~~ to `control`\n",
        "member": {"_id": "m1", "email": "dana@example.com", "firstName": "Dana", "lastName": "Lee"},
        "titleVerb": "updated the flag",
        "previousVersion": _ld_version(1),
        "currentVersion": _ld_version(0),
    }


def _rollout(pct_from: int, pct_to: int) -> dict[str, Any]:
    def strategy(pct: int) -> dict[str, Any]:
        params = {"groupId": "u-flag", "rollout": str(pct), "stickiness": "default"}
        return {"id": "s1", "name": "flexibleRollout", "parameters": params, "constraints": [], "segments": []}

    return {
        "version": 1,
        "events": [
            {
                "id": 1,
                "type": "feature-strategy-update",
                "createdAt": "2026-06-20T10:00:00Z",
                "createdBy": "ben@example.com",
                "environment": "production",
                "project": "ml",
                "featureName": "u-flag",
                "data": strategy(pct_to),
                "preData": strategy(pct_from),
                "tags": [],
            }
        ],
    }


def _scan(kb: KB, tmp_path: Path, flag: str, log: dict[str, Any], config: str | None = None) -> list[str]:
    kb.add_project(Project(slug="p", feature_flags=[flag], **GOOD))
    (tmp_path / "log.json").write_text(json.dumps(log), encoding="utf-8")
    kb.import_flags(tmp_path / "log.json")
    cfg = None
    if config is not None:
        cfg = tmp_path / "silent.toml"
        cfg.write_text(config, encoding="utf-8")
    return [s.code for s in kb.silent_scan(AS_OF, project="p", config_path=cfg)[0].signals]


def test_a_multivariate_flag_is_not_guessed_off(kb: KB, tmp_path: Path) -> None:
    assert _scan(kb, tmp_path, "mv-flag", _ld_entry()) == []


def test_the_model_variation_is_configurable_per_flag(kb: KB, tmp_path: Path) -> None:
    config = '[flags.on_variations]\n"mv-flag" = "treatment"\n'
    assert _scan(kb, tmp_path, "mv-flag", _ld_entry(), config) == ["quiet-shutdown", "abandoned"]


def test_the_model_variation_per_project_flag(kb: KB, tmp_path: Path) -> None:
    config = '[flags.on_variations]\n"other/mv-flag" = "control"\n"p/mv-flag" = ["treatment"]\n'
    assert "quiet-shutdown" in _scan(kb, tmp_path, "mv-flag", _ld_entry(), config)


@pytest.mark.parametrize(
    ("pct_from", "pct_to", "floor", "fires"),
    [
        (100, 0, None, True),
        (100, 5, None, False),  # 5% still serves the model
        (100, 5, "0.05", True),  # at the floor counts as off
        (100, 6, "0.05", False),
        (10, 50, None, False),  # raised
    ],
)
def test_rollout_against_the_floor(
    kb: KB, tmp_path: Path, pct_from: int, pct_to: int, floor: str | None, fires: bool
) -> None:
    config = f"[flags]\nexposure_floor = {floor}\n" if floor else None
    assert ("quiet-shutdown" in _scan(kb, tmp_path, "u-flag", _rollout(pct_from, pct_to), config)) is fires


def test_an_unknown_key_under_flags_is_still_an_error(kb: KB, tmp_path: Path) -> None:
    from kb.errors import KBError

    with pytest.raises(KBError, match=r"unknown setting 'flags\.exposure_flor'"):
        _scan(kb, tmp_path, "u-flag", _rollout(100, 0), "[flags]\nexposure_flor = 0.1\n")
