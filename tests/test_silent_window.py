"""The scan reads only the incidents a signal can look at: old incidents near an old disable still count.

`KB.silent_scan` leaves out incidents that are neither recent (within the stale or undetected
windows) nor near a flag switched off without a comment. These cases sit far outside the recent
windows, so only the near-a-disable rule keeps them in; each expected verdict is worked out from
the 14-day rule (defaults.toml `incident_window_days`).
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from kb.models import Incident, Project
from kb.service import KB
from kb.silent.config import load_config
from kb.silent.detector import scan

AS_OF = date(2026, 6, 30)
DISABLE = "p-on,production,disabled,2024-03-01,bob,"  # midnight UTC, never re-enabled, no comment


def _project(kb: KB, tmp_path: Path) -> None:
    kb.add_project(
        Project(slug="p", feature_flags=["p-on"], owner="ann", stage="production", monitoring="outcomes", baseline="x")
    )
    (tmp_path / "f.csv").write_text("flag,environment,action,at,actor,comment\n" + DISABLE + "\n")
    kb.import_flags(tmp_path / "f.csv")


@pytest.mark.parametrize(
    ("started", "explained"),
    [
        ("2024-03-14", True),  # 13 days after the disable
        ("2024-03-15", True),  # exactly 14 days: within the window
        ("2024-03-16", False),  # 15 days
        ("2024-02-16", True),  # 14 days before
        ("2024-02-15", False),  # 15 days before
        ("2024-03-14T20:00:00-05:00", False),  # 03-15 01:00 UTC: 14 days and an hour after
        ("2024-02-15T23:00:00-02:00", True),  # 02-16 01:00 UTC: 13 days 23 hours before
    ],
)
def test_an_old_incident_near_an_old_disable_still_explains_it(
    kb: KB, tmp_path: Path, started: str, explained: bool
) -> None:
    _project(kb, tmp_path)
    kb.add_incident(Incident(project="p", title="t", started_at=started, detected_at=started, detected_by="monitoring"))
    codes = [s.code for s in kb.silent_scan(AS_OF, project="p")[0].signals]
    assert ("quiet-shutdown" in codes) is not explained


def test_an_incident_known_only_after_as_of_explains_nothing_yet(kb: KB, tmp_path: Path) -> None:
    _project(kb, tmp_path)
    # it started near the disable but was detected after as_of: at as_of nobody knew of it
    kb.add_incident(
        Incident(project="p", title="t", started_at="2024-03-05", detected_at="2026-07-02", detected_by="review")
    )
    assert "quiet-shutdown" in [s.code for s in kb.silent_scan(AS_OF, project="p")[0].signals]
    assert "quiet-shutdown" not in [s.code for s in kb.silent_scan(date(2026, 7, 2), project="p")[0].signals]


def test_an_old_incident_near_only_a_staging_disable_is_not_read(kb: KB, tmp_path: Path) -> None:
    """Only a change in production (or in no environment) can be a quiet shutdown, so an old incident
    near nothing but a staging or development disable is left out of the narrow read; the verdicts
    are the full read's."""
    kb.add_project(
        Project(slug="p", feature_flags=["p-on"], owner="ann", stage="production", monitoring="outcomes", baseline="x")
    )
    rows = [DISABLE, "p-on,staging,disabled,2023-06-01,bob,", "p-on,development,disabled,2023-09-01,bob,"]
    (tmp_path / "f.csv").write_text("flag,environment,action,at,actor,comment\n" + "\n".join(rows) + "\n")
    kb.import_flags(tmp_path / "f.csv")
    near = {
        day: kb.add_incident(
            Incident(project="p", title=day, started_at=day, detected_at=day, detected_by="monitoring")
        ).id
        for day in ("2023-06-05", "2023-09-10", "2024-03-10")  # 4 and 9 days after each disable
    }
    cfg = load_config(None)
    (narrow,) = kb.silent_snapshots([AS_OF], project="p", cfg=cfg)
    (full,) = kb.silent_snapshots([AS_OF], project="p")
    assert [i.id for i in full.incidents["p"]] == list(near.values())
    assert [i.id for i in narrow.incidents["p"]] == [near["2024-03-10"]]  # the production disable's
    assert [v.document() for v in scan(narrow, cfg)] == [v.document() for v in scan(full, cfg)]
    assert "quiet-shutdown" not in [s.code for s in scan(narrow, cfg)[0].signals]  # explained by its incident


def test_the_narrow_read_keeps_the_flag_events_of_production_however_it_is_written(kb: KB, tmp_path: Path) -> None:
    """The narrow snapshot keeps only changes in a production environment (compared casefolded) or in
    none: "Produktion-ß" and "PRODUKTION-SS" both name the configured "Produktion-ß"; staging's goes."""
    kb.add_project(Project(slug="p", feature_flags=["p-on"], owner="ann", stage="production", baseline="x"))
    rows = [
        "p-on,staging,disabled,2024-01-01,bob,",
        "p-on,Produktion-ß,disabled,2024-02-01,bob,",
        "p-on,PRODUKTION-SS,enabled,2024-03-01,bob,",
        "p-on,,archived,2024-04-01,bob,",
    ]
    (tmp_path / "f.csv").write_text("flag,environment,action,at,actor,comment\n" + "\n".join(rows) + "\n")
    kb.import_flags(tmp_path / "f.csv")
    (tmp_path / "silent.toml").write_text('[flags]\nproduction_environments = ["Produktion-ß"]\n')
    cfg = load_config(tmp_path / "silent.toml")
    (narrow,) = kb.silent_snapshots([AS_OF], project="p", cfg=cfg)
    (full,) = kb.silent_snapshots([AS_OF], project="p")
    assert [e.environment for e in full.events["p"]] == ["staging", "Produktion-ß", "PRODUKTION-SS", ""]
    assert [e.environment for e in narrow.events["p"]] == ["Produktion-ß", "PRODUKTION-SS", ""]
    assert [v.document() for v in scan(narrow, cfg)] == [v.document() for v in scan(full, cfg)]


def test_the_narrow_read_gives_the_verdicts_of_the_full_one(tmp_path: Path) -> None:
    """On a synthetic portfolio (3 years of incidents), narrow and full snapshots judge alike at several dates."""
    from kb.synth import SynthSpec, generate
    from kb.synth.write import write_portfolio

    spec = SynthSpec(projects=30, incidents=900, periods=8, flag_events=600, seed=3)
    with KB(tmp_path / "kb.sqlite", actor="t") as handle:
        write_portfolio(handle, generate(spec), tmp_path / "src")
        cfg = load_config(None)
        dates = [date(2025, 12, 31), date(2026, 6, 30), date(2026, 9, 30)]
        full = [scan(s, cfg) for s in handle.silent_snapshots(dates)]
        narrow = [scan(s, cfg) for s in handle.silent_snapshots(dates, cfg=cfg)]
        kept = sum(len(v) for v in handle.silent_snapshots(dates[:1], cfg=cfg)[0].incidents.values())
        every = sum(len(v) for v in handle.silent_snapshots(dates[:1])[0].incidents.values())
    assert kept < every  # the narrow read does leave incidents out ...
    for a, b in zip(full, narrow, strict=True):  # ... and no verdict, score or evidence changes
        assert [v.document() for v in a] == [v.document() for v in b]
    fired = {s.code for verdicts in full for v in verdicts for s in v.signals}
    assert {"quiet-shutdown", "undetected", "stale-record"} <= fired  # the signals that read incidents


# (started, detected, detected by, late?) inside the undetected window (365 days before 2026-07-01) but
# before the stale window (182 days): read only as possible undetected incidents. Late means found by
# nobody or a review, or more than 30 whole days after the start (defaults.toml `undetected_ttd_days`).
LATE_CASES = [
    ("2025-08-01", "2025-08-02", "nobody", True),
    ("2025-08-05", "2025-08-06", "review", True),
    ("2025-08-10", "2025-08-11", "monitoring", False),
    ("2025-09-01", "2025-10-02", "monitoring", True),  # 31 days
    ("2025-09-03", "2025-10-03", "monitoring", False),  # 30 days
    ("2025-09-05T12:00:00Z", "2025-10-06T11:00:00Z", "monitoring", False),  # 30 days 23 hours
    ("2025-09-07T23:00:00-05:00", "2025-10-09T05:00:00Z", "monitoring", True),  # 09-08 04:00 UTC: 31 days 1 hour
    ("2025-09-10", None, "monitoring", False),  # never detected: no time to detect
]


def test_an_older_incident_is_read_when_it_may_have_been_found_late(tmp_path: Path) -> None:
    with KB(tmp_path / "kb.sqlite", actor="t") as handle:
        handle.add_project(Project(slug="p", owner="ann", stage="production", monitoring="outcomes", baseline="x"))
        ids = [
            handle.add_incident(
                Incident(project="p", title=f"case {n}", started_at=s, detected_at=d, detected_by=by)
            ).id
            for n, (s, d, by, _late) in enumerate(LATE_CASES)
        ]
        cfg = load_config(None)
        (full,) = [scan(s, cfg) for s in handle.silent_snapshots([AS_OF])]
        (narrow,) = [scan(s, cfg) for s in handle.silent_snapshots([AS_OF], cfg=cfg)]
    assert [v.document() for v in narrow] == [v.document() for v in full]
    (undetected,) = [s for s in narrow[0].signals if s.code == "undetected"]
    late = [(i, c[2]) for i, c in zip(ids, LATE_CASES, strict=True) if c[3]]
    assert [(x["incident"], x["detected_by"]) for x in undetected.data["incidents"]] == late
    assert [x["ttd_days"] for x in undetected.data["incidents"]] == [1, 1, 31, 31]


# (started = detected, witnessed at June 30, stale at June 30, witnessed at Sept 30, stale at Sept 30), one
# project each, no health sheet. June 30's stale window is [2025-12-31, 2026-07-01) (182 days); a witness is an
# incident whose known day as written lies two days inside it, [2026-01-02, 2026-06-29), and so in it and known
# by then whatever its offset. Sept 30's: [2026-04-01, 2026-10-01), witnesses in [2026-04-03, 2026-09-29).
# kb writes UTC; the stamps with an offset are written into the file by hand, as an edited database holds them.
WITNESS_CASES = [
    ("2026-03-01", True, False, False, True),
    ("2026-01-02", True, False, False, True),  # the first day two days inside
    ("2026-01-01", False, False, False, True),  # in the window, but near its start: read, then judged
    ("2025-12-31", False, False, False, True),  # the window's first day
    ("2025-12-30", False, True, False, True),  # the day before it
    ("2025-12-30T20:00:00-05:00", False, False, False, True),  # 12-31 01:00 UTC: in
    ("2025-12-31T01:00:00+05:00", False, True, False, True),  # 12-30 20:00 UTC: out
    ("2026-06-28", True, False, True, False),  # the last day two days inside June's window
    ("2026-06-29", False, False, True, False),
    ("2026-06-30", False, False, True, False),  # as_of itself
    ("2026-06-30T22:00:00-05:00", False, True, True, False),  # 07-01 03:00 UTC: after June 30
]


def test_a_project_with_an_incident_well_inside_the_stale_window_is_not_read_for_it(tmp_path: Path) -> None:
    sept = date(2026, 9, 30)
    with KB(tmp_path / "kb.sqlite", actor="t") as handle:
        for n, (at, *_) in enumerate(WITNESS_CASES):
            handle.add_project(Project(slug=f"p{n:02}", owner="ann", stage="production", baseline="x"))
            handle.add_incident(
                Incident(project=f"p{n:02}", title="t", started_at=at, detected_at=at, detected_by="monitoring")
            )
        # known by Sept 30 only: detected after June 30
        handle.add_incident(
            Incident(
                project="p00",
                title="found late",
                started_at="2026-03-05",
                detected_at="2026-07-01",
                detected_by="monitoring",
            )
        )
        handle.add_project(Project(slug="quiet", owner="ann", stage="production", baseline="x"))  # no incident
        with sqlite3.connect(tmp_path / "kb.sqlite") as conn:
            for n, (at, *_) in enumerate(WITNESS_CASES):
                conn.execute(
                    "UPDATE incidents SET started_at = ?, detected_at = ? WHERE project = ? AND title = 't'",
                    [at, at, f"p{n:02}"],
                )
            stored = conn.execute("SELECT started_at FROM incidents WHERE title = 't' ORDER BY project").fetchall()
        assert [r[0] for r in stored] == [case[0] for case in WITNESS_CASES]
        cfg = load_config(None)
        narrow = handle.silent_snapshots([AS_OF, sept], cfg=cfg)
        full = handle.silent_snapshots([AS_OF, sept])
    verdicts = [scan(s, cfg) for s in narrow]
    assert [[v.document() for v in found] for found in verdicts] == [[v.document() for v in scan(s, cfg)] for s in full]
    slugs = [f"p{n:02}" for n in range(len(WITNESS_CASES))]
    # p00's second incident, detected on July 1, is two days inside Sept 30's window and known by then
    late = [set(), {"p00"}]
    for k, snap in enumerate(narrow):
        stale = {v.project for v in verdicts[k] if "stale-record" in [s.code for s in v.signals]}
        witnessed = {slug for slug, case in zip(slugs, WITNESS_CASES, strict=True) if case[1 + 2 * k]}
        assert snap.recent == witnessed | late[k]
        expected = {slug for slug, case in zip(slugs, WITNESS_CASES, strict=True) if case[2 + 2 * k]}
        assert stale == (expected - late[k]) | {"quiet"}
    # witnessed at both dates (p07, 2026-06-28): its incident is read for no signal; the others are read
    assert "p07" not in narrow[1].incidents
    assert {"p00", "p01", "p02", "p03", "p05", "p08", "p09", "p10"} <= set(narrow[1].incidents)
