"""A project's stage at a past time, from its dated stage changes: "what stage was it in 2021Q3".

Reviews of a past quarter must judge a project by the stage it was in then, not by today's; this is
the one place that answers it, for the review, the CLI and the TUI alike.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from kb.approxdate import earliest, latest, parse_when
from kb.models import Project
from kb.timeutil import Period, as_utc, parse_period

__all__ = ["stage_changes", "stage_in"]


def stage_changes(project: Project) -> list[tuple[date | datetime, str]]:
    """The project's dated stage changes in order: its lifecycle, plus launched_on (production) and
    retired_on (retired) when the lifecycle does not already record a change to that stage."""
    changes: list[tuple[date | datetime, str]] = [(c.at, c.stage) for c in project.lifecycle]
    stages = {s for _, s in changes}
    if project.launched_on is not None and "production" not in stages:
        changes.append((project.launched_on, "production"))
    if project.retired_on is not None and "retired" not in stages:
        changes.append((project.retired_on, "retired"))
    changes.sort(key=lambda c: (earliest(c[0]), latest(c[0])))
    return changes


def stage_in(project: Project, when: Period | date | datetime | str) -> str | None:
    """The stage in force at the end of `when` (a period like `2021Q3`, a date, or a year/quarter/month).

    The last recorded change that began before the end of `when` wins. With no dated change at all, the
    current stage is all kb knows; with dated changes all after `when`, None: the project had not started.
    """
    changes = stage_changes(project)
    if not changes:
        return project.stage
    end = _end(when)
    current: str | None = None
    for on, stage in changes:
        if earliest(on) < end:
            current = stage
    return current


def _end(when: Period | date | datetime | str) -> datetime:
    """The exclusive end of `when` as a UTC instant."""
    if isinstance(when, str):
        try:
            when = parse_period(when)
        except ValueError:
            when = parse_when(when)
    if isinstance(when, Period):
        return as_utc(when.end)

    return latest(when) + timedelta(microseconds=1)
