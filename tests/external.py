"""What some tests need from outside the repository, and the one rule for when it is missing.

A user's clone has neither the three source essays (they sit at ../shared/seeds in this project's
checkout) nor necessarily ripgrep, so those tests skip there with a one-line reason. CI sets
KB_REQUIRE_EXTERNAL=1 (see .ci/run): there a missing essay or binary fails the test instead, so a
skip can never hide a gap where the material exists.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REQUIRE_ENV = "KB_REQUIRE_EXTERNAL"
SEEDS_ENV = "KB_SEEDS_DIR"


def required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


def absent(reason: str) -> None:
    """Skip with `reason`, or fail with it when CI requires external material."""
    if required():
        pytest.fail(f"{reason} ({REQUIRE_ENV} is set, so this is required)", pytrace=False)
    pytest.skip(reason)


def seeds_path() -> Path:
    env = os.environ.get(SEEDS_ENV)
    return Path(env) if env else REPO.parent / "shared" / "seeds"


def seeds_dir() -> Path:
    """The three source essays; skips (or fails under CI) when they are not there."""
    path = seeds_path()
    if not path.is_dir():
        absent(f"source essays not found at {path} (set {SEEDS_ENV} to their directory)")
    return path


def ripgrep_path() -> str | None:
    from bench.workloads import ripgrep

    return ripgrep()


# marker name -> (check returning a reason when the material is missing)
def missing(marker: str) -> str | None:
    if marker == "seeds":
        path = seeds_path()
        return None if path.is_dir() else f"source essays not found at {path} (set {SEEDS_ENV} to their directory)"
    if marker == "ripgrep":
        return None if ripgrep_path() else "ripgrep (rg) not found: pip install '.[test]' provides it"
    return None


MARKERS = ("seeds", "ripgrep")
