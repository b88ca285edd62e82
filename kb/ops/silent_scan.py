"""The silent-failure scan over one sqlite3 connection: the detector's snapshots read, then judged.

Written once for every way in: the full service (`KB.silent_scan`, `silent_scan_pair`,
`silent_snapshots`, which the TUI calls) passes its own connection, the review a connection of its
own (kb.ops.review, in a child process when it forks), and `kb silent` the read path's
(kb.ops.reads.Reader), so the command imports neither sqlite-utils nor the domain models to print
the same verdicts."""

from __future__ import annotations

import json
import os
import sqlite3
from bisect import bisect_left
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from kb.timeutil import as_utc, instant, stamp

if TYPE_CHECKING:
    from kb.parallel import Runner
    from kb.silent.config import SilentConfig
    from kb.silent.detector import ActionDebt, FlagFact, Snapshot, Verdict

_ONE_DAY = timedelta(days=1)


def scan_dates(
    conn: sqlite3.Connection,
    as_ofs: list[date],
    project: str | None = None,
    config_path: str | os.PathLike[str] | None = None,
    brief: bool = False,
) -> list[list[Verdict]]:
    """Every project's verdicts (or one's) at each date, worst first, from one read of the store
    (`brief`: see `snapshots`)."""
    from kb.parallel import leave_to_exit
    from kb.perf import gc_paused
    from kb.silent.config import load_config
    from kb.silent.detector import scan

    cfg = load_config(os.fspath(config_path) if config_path is not None else None)
    with gc_paused():  # see snapshots; the verdicts are acyclic too
        snaps = snapshots(conn, as_ofs, project, cfg, brief)
        judged = [scan(snap, cfg) for snap in snaps]
        leave_to_exit(snaps)  # in a child process, never freed (kb.parallel)
        return judged


def scan_pair(
    conn: sqlite3.Connection,
    as_of: date,
    before: date,
    runner: Runner | None = None,
    config_path: str | os.PathLike[str] | None = None,
    brief: bool = False,
) -> tuple[list[Verdict], dict[str, str]]:
    """The verdicts at `as_of`, and each project's verdict word at `before` (a review's two quarter ends).

    One read of the store serves both dates. The scan at `before` runs as `runner` decides
    (kb.parallel; default: here), on the snapshot already in memory, and only the words come back
    (a whole verdict list would cost more to send than to compute). `brief`: see `snapshots`.
    """
    from kb.parallel import SERIAL, leave_to_exit
    from kb.perf import gc_paused
    from kb.silent.config import load_config
    from kb.silent.detector import scan

    cfg = load_config(os.fspath(config_path) if config_path is not None else None)
    with gc_paused():
        now, then = snapshots(conn, [as_of, before], None, cfg, brief)

        def words() -> dict[str, str]:
            judged = scan(then, cfg)
            leave_to_exit(judged)
            return {v.project: v.verdict for v in judged}

        earlier = (runner or SERIAL).start(words)
        try:
            current = scan(now, cfg)
        except BaseException:
            earlier.cancel()
            raise
        leave_to_exit(now, then)  # in a child process (the review's), never freed: kb.parallel
        return current, earlier.result()


def snapshots(
    conn: sqlite3.Connection,
    as_ofs: list[date],
    project: str | None = None,
    cfg: SilentConfig | None = None,
    brief: bool = False,
) -> list[Snapshot]:
    """One snapshot per date: the rows up to the latest date are read once, then cut at each date.

    Each cut keeps exactly what the store's own comparisons would (flag events before the end of
    the day, health periods ended by then, incidents known by then, actions due before as_of).
    With `cfg`, a snapshot holds only the flag events and incidents a detector with that config can
    look at: changes to a whole environment in production or in none (kb.silent.detector.judged_change;
    a quarter of a portfolio's events are staging's or development's), and incidents near them or
    recent (see `_incident_rows`): most of a long history is neither recent nor near a flag switched off.
    `brief` snapshots count each project's overdue actions and keep the oldest instead of listing
    them (kb.silent.detector.ActionDebt): for a reader of the verdicts' evidence, not their data.
    A project named but not stored is NotFound.
    """
    from kb.perf import gc_paused
    from kb.store.mapped import mapped
    from kb.store.queries.graph import snapshot

    if not as_ofs:
        return []
    # some 200,000 small objects at 100,000 incidents, none of them cyclic; seven queries, one state
    with gc_paused(), mapped(conn), snapshot(conn):
        return _snapshots(conn, as_ofs, project, cfg, brief)


def _snapshots(
    conn: sqlite3.Connection, as_ofs: list[date], project: str | None, cfg: SilentConfig | None, brief: bool
) -> list[Snapshot]:
    from kb.errors import NotFound
    from kb.silent.detector import (
        ActionDebt,
        ActionFact,
        FlagFact,
        IncidentFact,
        ProjectFacts,
        Retirement,
        Snapshot,
        judged_change,
        utc_day,
    )
    from kb.store import silent as store
    from kb.store.queries.projects import project_exists

    if project and not project_exists(conn, project):
        raise NotFound(f"no project {project!r}", where="project")
    last = max(as_ofs)
    last_end = stamp(as_utc(last) + _ONE_DAY)
    last_end_day = (last + _ONE_DAY).isoformat()
    projects = [
        ProjectFacts(
            slug=r[0],
            owner=r[1],
            stage=r[2],
            monitoring=r[3],
            baseline=r[4],
            outcome_lag_days=r[5],
            launched_on=date.fromisoformat(r[6][:10]) if r[6] else None,
        )
        for r in store.detector_projects(conn, project)
    ]
    # (project, stored text, fact), in time order
    events = [
        (
            r[0],
            r[5],
            FlagFact(
                r[1],
                r[2],
                r[3],
                r[4],
                instant(r[5]),  # type: ignore[arg-type]
                r[6],
                r[7],
                r[8],
                r[9],
                json.loads(r[10]) if r[10] else None,
                r[11],
            ),
        )
        for r in store.detector_events(conn, last_end, project, None if cfg is None else sorted(cfg.production))
    ]
    if cfg is not None:  # the store kept a few more than these (see kb.store.silent.detector_events)
        events = [e for e in events if judged_change(e[2], cfg)]
    retirements = [  # review decisions to retire or pause: a shutdown near one was meant
        (r[0], Retirement(r[1], r[2], instant(r[3])))  # type: ignore[arg-type]
        for r in store.detector_retirements(conn, last_end, project)
    ]
    health: dict[str, list[dict[str, Any]]] = defaultdict(list)  # per project, in time order
    for row in store.detector_health(conn, last_end_day, project):
        health[row["project"]].append(row)
    # per project, in time order, with the UTC day each became known (None: always known)
    incidents: dict[str, list[tuple[str | None, IncidentFact]]] = defaultdict(list)
    seen = ""
    read, recent = _incident_rows(conn, as_ofs, project, cfg, events)
    for r in read:
        if r[0] == seen:  # read twice (recent and near a disable): the copies are adjacent
            continue
        seen = r[0]
        known = r[3] or r[2] or r[5]  # detected, else started, else the flag change
        incidents[r[1]].append((utc_day(known) if known else None, IncidentFact(r[0], r[2], r[3], r[4], r[5])))
    if brief:
        debts = _action_debts(conn, project, as_ofs)
    else:
        # open actions past due, mapped to projects in Python (so merged duplicates and other projects
        # drop out without a join); per project by due date, then as written
        project_of = store.live_incident_projects(conn, project)
        actions: dict[str, tuple[list[str], list[ActionFact]]] = {}
        for incident_id, title, owner, due in store.overdue_action_rows(conn, last.isoformat()):
            slug = project_of.get(incident_id)
            if slug is not None:
                dues, facts = actions.get(slug) or actions.setdefault(slug, ([], []))
                dues.append(due)
                facts.append(ActionFact(incident_id, title, owner, due[:10]))
        del project_of
    by_event: dict[str, tuple[list[str], list[FlagFact]]] = {}
    for slug, at, fact in events:
        ats, flag_facts = by_event.get(slug) or by_event.setdefault(slug, ([], []))
        ats.append(at)
        flag_facts.append(fact)
    # the latest day a project's rows reach: most projects are cut at an as_of as a whole
    health_to = {slug: max(r["period_end"] for r in rows) for slug, rows in health.items()}
    known_to = {slug: max("" if d is None else d for d, _ in rows) for slug, rows in incidents.items()}
    out = []
    for as_of, recent_at in zip(as_ofs, recent, strict=True):
        end = stamp(as_utc(as_of) + _ONE_DAY)
        end_day = (as_of + _ONE_DAY).isoformat()
        day_text = as_of.isoformat()
        snap = Snapshot(as_of=as_of, projects=projects, recent=recent_at)
        # each list is in time order (events by when, actions by due date), so a cut is a prefix
        snap.events = {slug: facts[:n] for slug, (ats, facts) in by_event.items() if (n := bisect_left(ats, end)) > 0}
        snap.health = {}
        for slug, rows in health.items():
            kept = rows[:] if health_to[slug] <= end_day else [r for r in rows if r["period_end"] <= end_day]
            if kept:
                snap.health[slug] = kept
        snap.incidents = {}
        for slug, known in incidents.items():
            if known_to[slug] < end_day:  # all of them known before the end of as_of (a midnight)
                snap.incidents[slug] = [i for _, i in known]
            else:
                kept_i = [i for day, i in known if day is None or day < end_day]
                if kept_i:
                    snap.incidents[slug] = kept_i
        if brief:
            snap.actions = debts[day_text]
        else:
            snap.actions = {
                slug: ActionDebt(n, facts[0], facts[:n])
                for slug, (dues, facts) in actions.items()
                if (n := bisect_left(dues, day_text)) > 0
            }
        by_retirement: dict[str, list[Retirement]] = defaultdict(list)
        for slug, ret in retirements:
            if ret.at < as_utc(as_of) + _ONE_DAY:
                by_retirement[slug].append(ret)
        snap.retirements = dict(by_retirement)
        out.append(snap)
    return out


def _action_debts(
    conn: sqlite3.Connection, project: str | None, as_ofs: list[date]
) -> dict[str, dict[str, ActionDebt]]:
    """Per as_of day: each project's open actions due before it, counted, with the oldest.

    The rows are in due order, so a day's overdue actions are a prefix of them, counted per
    project in one pass; a project's oldest at any day is its first row (if it has an action due
    before that day, its first one is due before it too). Only the oldest are read in full.
    """
    from kb.silent.detector import ActionDebt, ActionFact
    from kb.store import silent as store

    keys = store.overdue_action_keys(conn, max(as_ofs).isoformat(), project)
    slugs = [k[0] for k in keys]
    dues = [k[1] for k in keys]
    first = dict(zip(reversed(slugs), reversed(keys), strict=True))  # the last written wins: the first row
    full = store.actions_by_rowid(conn, [key[2] for key in first.values()])
    oldest = {}
    for slug, key in first.items():
        incident_id, title, owner, due = full[key[2]]
        oldest[slug] = ActionFact(incident_id, title, owner, due[:10])
    out: dict[str, dict[str, ActionDebt]] = {}
    for as_of in as_ofs:
        day = as_of.isoformat()
        counts = Counter(slugs[: bisect_left(dues, day)])
        out[day] = {slug: ActionDebt(n, oldest[slug]) for slug, n in counts.items()}
    return out


def _incident_rows(
    conn: sqlite3.Connection,
    as_ofs: list[date],
    project: str | None,
    cfg: SilentConfig | None,
    events: list[tuple[str, str, FlagFact]],
) -> tuple[list[tuple[Any, ...]], list[frozenset[str]]]:
    """(id, project, started_at, detected_at, detected_by, flag_at, at) of the incidents a scan can look at,
    and per as_of the projects known to have an incident in its stale window (`Snapshot.recent`).

    In time order (`at`: started, else detected), then id; an incident may come twice in a row.

    Without a config, every incident that is not a merged duplicate. With one, only those the
    detector reads (kb.silent.detector): an incident counts for `stale-record` when one of its
    days lies within `stale_days` of an as_of, for `undetected` when it started (or was detected)
    within `undetected_window_days` and either nobody or a review found it or it may have taken
    longer than `undetected_ttd_days` to find (the older part of a long window holds mostly
    incidents found in time, which no signal reads), and for `quiet-shutdown` when one of its
    times lies within `incident_window_days` of a change that may have switched a flag's model off
    (in production or in no environment: the only changes the detector judges, `judged_change`).
    Stored text is compared with day bounds widened by two days (kb writes UTC, but a stamp written
    with an offset would sort by its local day), and time to detect is bounded half a day short
    (kb.store.silent.detector_incidents); the detector then makes the exact comparisons on what is
    read, so the verdicts are the same as from a full read (tests/test_silent_window.py).

    `stale-record` only asks whether a project has an incident in the window, so a project with one
    well inside it at every as_of (`stale_witnesses`) has none of its recent rows read for that
    signal: most projects of a large portfolio, a third of the rows.
    """
    from kb.silent.detector import judged_change
    from kb.store.silent import detector_incidents, stale_witnesses

    if cfg is None:
        return detector_incidents(conn, project), [frozenset()] * len(as_ofs)
    t = cfg.thresholds
    margin = timedelta(days=2)
    # an incident whose known day (detected, else started, else the flag change) as written lies
    # two days inside an as_of's window is in it and known by then, whatever its stamp's offset
    found = stale_witnesses(
        conn,
        project,
        [
            (
                (as_of + _ONE_DAY - timedelta(days=t.stale_days) + margin).isoformat(),
                (as_of + _ONE_DAY - margin).isoformat(),
            )
            for as_of in as_ofs
        ],
    )
    since = min(as_ofs) + _ONE_DAY - margin
    stale = (since - timedelta(days=t.stale_days)).isoformat()
    late = (since - timedelta(days=t.undetected_window_days)).isoformat()
    near = timedelta(days=cfg.flags.incident_window_days) + margin
    offs = {
        (slug, (fact.at.date() - near).isoformat(), (fact.at.date() + near + _ONE_DAY).isoformat())
        for slug, _at, fact in events
        if fact.may_shut_down and judged_change(fact, cfg)  # half the disables of a portfolio are staging's
    }
    everywhere = sorted(frozenset.intersection(*found))
    rows = detector_incidents(
        conn, project, (stale, late, t.undetected_ttd_days), json.dumps(sorted(offs)), json.dumps(everywhere)
    )
    return rows, found


__all__ = ["scan_dates", "scan_pair", "snapshots"]
