"""What to generate: sizes, the seed and the fixed reporting window (never the wall clock)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kb.timeutil import Period, parse_period

# Health patterns the silent-failure detector is meant to tell apart; weights are per project.
PATTERNS: dict[str, int] = {
    "healthy": 36,
    "noisy": 18,
    "declining-usage": 8,
    "rising-overrides": 8,
    "cost-creep": 8,
    "quiet-shutdown": 10,
    "capacity-gap": 6,
    "stale": 6,
}


@dataclass(frozen=True)
class SynthSpec:
    """Sizes of the portfolio; the same spec always gives the same portfolio."""

    projects: int = 200
    incidents: int = 10_000
    periods: int = 12
    flag_events: int = 2_000
    seed: int = 1
    last_period: str = "2026Q3"

    def __post_init__(self) -> None:
        for name, value in (("projects", self.projects), ("periods", self.periods)):
            if value < 1:
                raise ValueError(f"{name} must be at least 1")
        for name, value in (("incidents", self.incidents), ("flag_events", self.flag_events)):
            if value < 0:
                raise ValueError(f"{name} must not be negative")
        if self.incidents >= 10**9:
            raise ValueError("incidents must be below 1,000,000,000 (the id has at most 9 digits)")

    @property
    def quarters(self) -> list[Period]:
        """The reporting periods, oldest first, ending with `last_period`."""
        last = parse_period(self.last_period)
        out = [last]
        for _ in range(self.periods - 1):
            out.append(out[-1].previous())
        return out[::-1]

    @property
    def window_start(self) -> date:
        return self.quarters[0].start

    @property
    def as_of(self) -> date:
        """The last day of the window: overdue actions and recent events are judged from here."""
        return self.quarters[-1].last_day
