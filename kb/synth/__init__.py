"""A deterministic synthetic portfolio: projects, incidents, health series and flag events.

Everything is drawn from one `random.Random(seed)` in a fixed order, with dates anchored to the
spec's reporting window rather than the wall clock, so the same spec always gives the same data
(and the same `kb export`, byte for byte).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from kb.models import Incident
from kb.synth.flags import FlagEvent, make_flag_events, render_flag_files
from kb.synth.health import health_csv, make_health
from kb.synth.portfolio import ProjectPlan, make_incidents, make_projects
from kb.synth.spec import PATTERNS, SynthSpec
from kb.taxonomy import Taxonomy, load_taxonomy

__all__ = ["PATTERNS", "Portfolio", "ProjectPlan", "SynthSpec", "generate"]


@dataclass
class Portfolio:
    spec: SynthSpec
    plans: list[ProjectPlan]
    incidents: list[Incident]
    health: list[dict[str, Any]]
    flag_events: list[FlagEvent]

    def flag_files(self) -> dict[str, str]:
        """File name -> text in the vendors' shapes (see kb.synth.flags)."""
        return render_flag_files(self.flag_events)

    def health_csv(self) -> str:
        return health_csv(self.health)


def generate(spec: SynthSpec, tax: Taxonomy | None = None) -> Portfolio:
    """The whole portfolio in memory; each part has its own stream so sizes do not shift the others."""
    tax = tax or load_taxonomy()
    plans = make_projects(random.Random(f"{spec.seed}:projects"), spec)
    incidents = list(make_incidents(random.Random(f"{spec.seed}:incidents"), spec, plans, tax))
    health = make_health(random.Random(f"{spec.seed}:health"), spec, plans)
    events = make_flag_events(random.Random(f"{spec.seed}:flags"), spec, plans)
    return Portfolio(spec, plans, incidents, health, events)
