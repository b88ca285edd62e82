"""The health rates, defined once (no pydantic here: `kb health show` reads them on the light path)."""

from __future__ import annotations


def ratio(num: float | None, den: float | None) -> float | None:
    """num/den, or None when either is unknown or the denominator is zero."""
    if num is None or den is None or den == 0:
        return None
    return num / den


def adoption(acted_on: float | None, predictions: float | None) -> float | None:
    """The share of predictions someone acted on."""
    return ratio(acted_on, predictions)


def override_rate(overrides: float | None, acted_on: float | None) -> float | None:
    """The share of acted-on predictions a person overrode."""
    return ratio(overrides, acted_on)
