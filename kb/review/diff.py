"""Compare two reviews: headline numbers, verdicts per project, projects in and out, mode counts."""

from __future__ import annotations

from kb.review.model import ModeChange, NumberChange, Review, ReviewDiff, VerdictChange, verdict_change


def headline(review: Review) -> dict[str, float | None]:
    """The numbers a reader compares quarter to quarter, in reading order."""
    s = review.summary
    return {
        "projects": s.projects,
        "incidents opened": s.incidents_opened,
        "incidents resolved": s.incidents_resolved,
        "time to detect, median (days)": s.time_to_detect.median_days,
        "time to detect, p90 (days)": s.time_to_detect.p90_days,
        "time to resolve, median (days)": s.time_to_resolve.median_days,
        "time to resolve, p90 (days)": s.time_to_resolve.p90_days,
        "detected by monitoring (share)": s.detection_share.get("monitoring"),
        "quiet shutdowns": s.quiet_shutdowns,
        "quiet shutdowns detected, no incident": s.quiet_shutdowns_unlogged,
        "postmortems missing": s.postmortems_missing,
        "actions opened": s.actions.opened,
        "actions overdue": s.actions.overdue,
        "action completion rate": s.actions.completion_rate,
        "projects at risk": sum(1 for c in review.scorecard if c.verdict in ("watch", "silent-failure")),
    }


def diff_reviews(a: Review, b: Review) -> ReviewDiff:
    ha, hb = headline(a), headline(b)
    va = {c.slug: c.verdict for c in a.scorecard}
    vb = {c.slug: c.verdict for c in b.scorecard}
    verdicts = [
        VerdictChange(project=slug, a=va[slug], b=vb[slug], change=verdict_change(va[slug], vb[slug]))
        for slug in sorted(set(va) & set(vb))
        if va[slug] != vb[slug]
    ]
    ma = {m.code: m.incidents for m in a.patterns.modes}
    mb = {m.code: m.incidents for m in b.patterns.modes}
    modes = [
        ModeChange(code=code, a=ma.get(code, 0), b=mb.get(code, 0))
        for code in sorted(set(ma) | set(mb))
        if ma.get(code, 0) != mb.get(code, 0)
    ]
    modes.sort(key=lambda m: (-abs(m.b - m.a), m.code))
    return ReviewDiff(
        a=a.quarter,
        b=b.quarter,
        a_frozen=a.frozen,
        b_frozen=b.frozen,
        numbers=[NumberChange(metric=k, a=ha[k], b=hb[k]) for k in ha],
        verdicts=verdicts,
        projects_added=sorted(set(vb) - set(va)),
        projects_removed=sorted(set(va) - set(vb)),
        modes=modes,
        decisions_a=a.decisions,
        decisions_b=b.decisions,
    )
