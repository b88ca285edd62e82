"""Writing a generated portfolio through the store code that users' writes go through.

Projects and incidents go through kb.store.repo (change log, FTS triggers, id counter); health and
flag events are written as the files a user would have (a CSV, the vendors' JSON) and imported by
KB.import_health / KB.import_flags. All of it is one transaction: a failure leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kb.store import repo

if TYPE_CHECKING:
    from kb.service import KB
    from kb.synth import Portfolio

Progress = Callable[[str, int], None]  # (phase, items just written)


@dataclass
class SynthReport:
    projects: int = 0
    incidents: int = 0
    causes: int = 0
    health_rows: int = 0
    flag_events: int = 0
    files: list[str] = field(default_factory=list)


def write_portfolio(kb: KB, portfolio: Portfolio, out_dir: Path, progress: Progress | None = None) -> SynthReport:
    """Store the portfolio; the health CSV and flag files stay in `out_dir` for a look or a re-import."""
    step = progress or (lambda _phase, _n: None)
    report = SynthReport()
    out_dir.mkdir(parents=True, exist_ok=True)
    health_path = out_dir / "health.csv"
    health_path.write_text(portfolio.health_csv(), encoding="utf-8")
    flag_paths = []
    for name, text in portfolio.flag_files().items():
        (out_dir / name).write_text(text, encoding="utf-8")
        flag_paths.append(out_dir / name)
    report.files = [str(p) for p in (health_path, *flag_paths)]
    with kb.transaction():
        for plan in portfolio.plans:
            repo.put_project(kb.db, plan.project, kb.actor, op="synth")
            report.projects += 1
        step("projects", len(portfolio.plans))
        batch = 0
        # a duplicate's target must exist before the duplicate that points at it
        for inc in sorted(portfolio.incidents, key=lambda i: i.duplicate_of is not None):
            repo.put_incident(kb.db, inc, kb.actor, op="synth")
            report.incidents += 1
            report.causes += len(inc.causes)
            batch += 1
            if batch == 500:
                step("incidents", batch)
                batch = 0
        step("incidents", batch)
        if portfolio.health:
            report.health_rows = kb.import_health(health_path).rows
        step("health", len(portfolio.health))
        for path in flag_paths:
            report.flag_events += kb.import_flags(path).read
        step("flags", len(portfolio.flag_events))
    return report
