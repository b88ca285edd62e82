"""Were last quarter's decisions carried out? Judged from the change log, not from anyone's word.

- stage then = the project's stage in the change log at the moment the decision was recorded;
- `retire` is carried out when the project is now retired (paused or disabled counts as partly);
- `pause` is carried out when the project is now paused, disabled or retired;
- `fix` is carried out when actions on the project's incidents were done since the decision and
  none is left open (partly when some are still open);
- `continue` is carried out while the project stays where it was (or goes from pilot to production);
- a decision contradicted by a later stage change says so; one where nothing happened yet but whose
  due date is on or after this review's quarter end is `pending`, otherwise `nothing-happened`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from kb.humanize import plural
from kb.review.model import AT_RISK, Decision, FollowStatus, FollowUp
from kb.timeutil import Period

if TYPE_CHECKING:
    from kb.store.review import DecisionFacts

STOPPED = frozenset({"paused", "disabled", "retired"})


def _actions(facts: DecisionFacts) -> tuple[int, int]:
    """(actions done since the decision, actions still open) on the project's incidents."""
    done_since = sum(
        max(0, counts["done"] - facts.done_then.get(incident, 0)) for incident, counts in facts.actions_now.items()
    )
    still_open = sum(c["open"] for c in facts.actions_now.values())
    return done_since, still_open


def judge(d: Decision, stage_then: str, stage_now: str, done_since: int, still_open: int) -> tuple[FollowStatus, str]:
    """The follow-up status and its evidence, from the facts alone (pure, so tests can reason about it)."""
    moved = f"stage {stage_then} → {stage_now}" if stage_then != stage_now else f"stage unchanged ({stage_now})"
    work = f"{plural(done_since, 'action')} done since the decision, {still_open} open"
    status: FollowStatus = "nothing-happened"
    if d.decision == "retire":
        if stage_now == "retired":
            status = "carried-out"
        elif stage_now in STOPPED:
            status = "partly"
        elif stage_now != stage_then:
            status = "contradicted"
        return status, moved
    if d.decision == "pause":
        if stage_now in STOPPED:
            status = "carried-out"
        elif stage_now != stage_then:
            status = "contradicted"
        return status, moved
    if d.decision == "fix":
        if stage_now != stage_then and stage_now in STOPPED:
            return "contradicted", f"{moved}; {work}"
        if done_since and not still_open:
            status = "carried-out"
        elif done_since:
            status = "partly"
        return status, f"{work}; {moved}"
    # continue
    if stage_now == stage_then or (stage_then, stage_now) == ("pilot", "production"):
        return "carried-out", moved
    return "contradicted", moved


def follow_ups(
    decisions: list[Decision], facts: dict[int, DecisionFacts], period: Period, stages: dict[str, str]
) -> list[FollowUp]:
    """Follow up each decision against the data as it is now; `period` is the reviewing quarter.

    `facts`: each decision's record in the change log and its project's actions (kb.store.review).
    """
    out = []
    for d in decisions:
        stage_now = stages.get(d.project, "")
        fact = facts[d.id]
        stage_then = fact.stage_then if fact.stage_then is not None else stage_now
        done_since, still_open = _actions(fact) if d.decision == "fix" else (0, 0)
        status, evidence = judge(d, stage_then, stage_now, done_since, still_open)
        if status == "nothing-happened" and d.due is not None and d.due >= period.end:
            status = "pending"
            evidence += f"; due {d.due.isoformat()}"
        out.append(
            FollowUp(
                decision=d,
                status=status,
                evidence=evidence,
                stage_then=stage_then,
                stage_now=stage_now,
                actions_done_since=done_since,
                actions_open=still_open,
            )
        )
    return out


def undecided_twice(
    current: Mapping[str, str | None],
    previous: Mapping[str, str | None],
    decided: set[str],
) -> list[str]:
    """Projects at risk (watch or silent-failure) in this review and the previous one, with no decision
    recorded for either quarter: the failure that persists because no single event forces a decision."""
    return sorted(
        slug
        for slug, verdict in current.items()
        if verdict in AT_RISK and previous.get(slug) in AT_RISK and slug not in decided
    )
