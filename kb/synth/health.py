"""Health metrics per project and period, shaped by each project's designed pattern.

The column names are the `kb health import` CSV header (issue 5), so the rows can be written as
that file and imported through the same code a user's file goes through.
"""

from __future__ import annotations

import csv
import io
import random
from typing import Any

from kb.silent.health import COLUMNS
from kb.synth.portfolio import ProjectPlan
from kb.synth.spec import SynthSpec

HEALTH_COLUMNS = COLUMNS  # the health CSV header kb health import reads


def make_health(rng: random.Random, spec: SynthSpec, plans: list[ProjectPlan]) -> list[dict[str, Any]]:
    """One row per project per period since launch; `stale` projects report nothing."""
    rows: list[dict[str, Any]] = []
    quarters = spec.quarters
    for plan in plans:
        if plan.pattern == "stale" or plan.project.stage == "retired":
            continue
        p = plan.project
        launched = p.launched_on or quarters[0].start
        periods = [q for q in quarters if q.end > launched]
        if not periods:
            continue
        noise = 0.15 if plan.pattern == "noisy" else 0.03
        predictions = rng.uniform(2_000, 50_000)
        adoption = rng.uniform(0.45, 0.85)
        override = rng.uniform(0.02, 0.12)
        quality = rng.uniform(0.72, 0.93)
        latency = rng.uniform(40, 400)
        cost = rng.uniform(2_000, 40_000)
        value = cost * rng.uniform(1.5, 4.0)
        confirmed = "true" if p.owner else "false"

        def jitter(noise: float = noise) -> float:
            return max(0.0, 1 + rng.gauss(0, noise))

        for t, q in enumerate(periods):
            pred, adopt, ovr, cst = predictions * jitter(), adoption * jitter(), override * jitter(), cost * jitter()
            flag_on = "true"
            if plan.pattern == "declining-usage":
                pred *= max(0.05, 1 - 0.12 * t)
            elif plan.pattern == "rising-overrides":
                ovr = min(0.95, ovr + 0.05 * t)
            elif plan.pattern == "cost-creep":
                cst *= 1.12**t
            elif plan.pattern == "capacity-gap":
                adopt = 0.08 * jitter()
            elif plan.pattern == "quiet-shutdown" and plan.shutdown_at is not None and q.end > plan.shutdown_at.date():
                if q.start > plan.shutdown_at.date():
                    pred, flag_on = 0.0, "false"
                else:
                    pred *= (plan.shutdown_at.date() - q.start).days / (q.end - q.start).days
            acted = pred * min(adopt, 1.0)
            rows.append(
                {
                    "project": p.slug,
                    "period": q.label,
                    "predictions": round(pred),
                    "acted_on": round(acted),
                    "overrides": round(acted * ovr),
                    "quality": round(min(0.999, quality * (1 + rng.gauss(0, noise / 3))), 3),
                    "latency_p95_ms": round(latency * jitter(), 1),
                    "cost": round(cst, 2),
                    "value": round(value * jitter(), 2),
                    "owner_confirmed": confirmed,
                    "flag_on": flag_on,
                }
            )
    return rows


def health_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=HEALTH_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()
