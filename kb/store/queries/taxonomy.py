"""Which incidents touch which taxonomy mode: `kb taxonomy list` and `kb taxonomy show`.

The rule is kb.taxonomy.incidents_by_mode's (tests/test_read_taxonomy.py proves them equal on a
synthetic portfolio): a live incident touches a mode when it is classified under it or one of its
causes names it, codes counted under the live code they resolve to (`codes` maps every code a record
may carry, live or retired, to its live code and category; unknown codes count nowhere); its role is
primary if a classification says so, else contributing if classified, else cause.

Counts read each live incident's packed codes from `incident_chains` (m011); the incidents under one
mode are found through the code indexes. At 100,000 incidents this is about the time of a bare
`GROUP BY` over the child tables, where joining 600,000 rows to their codes took ten times longer.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime

from kb.approxdate import with_written
from kb.store.queries.graph import SEP, packed_chains, snapshot
from kb.timeutil import from_text

ROLES = ("primary", "contributing", "cause")

# the live incidents touching one live code and how (0 primary, 1 contributing, 2 a cause names it),
# found through the code indexes: `kb taxonomy show` reads only them
_TOUCHING = """
    WITH raws(code) AS (SELECT value FROM json_each(:raws)),
    touch(incident_id, rank) AS (
        SELECT incident_id, CASE role WHEN 'primary' THEN 0 ELSE 1 END FROM classifications
        WHERE code IN (SELECT code FROM raws)
        UNION ALL SELECT incident_id, 2 FROM causes WHERE mode IN (SELECT code FROM raws)
    )
"""
# each distinct pair of packed texts (the causes' modes, the classification codes) of the live
# incidents with a chain row, and how many incidents have it (m011; kb.store.chains)
_LIVE_TEXTS = (
    "SELECT c.modes, c.codes, count(*) FROM incidents i JOIN incident_chains c ON c.incident_id = i.id"
    " WHERE +i.duplicate_of IS NULL GROUP BY c.modes, c.codes"
)
_LIVE_UNPACKED = (
    "SELECT id FROM incidents i WHERE +duplicate_of IS NULL"
    " AND NOT EXISTS (SELECT 1 FROM incident_chains c WHERE c.incident_id = i.id)"
)


def _raws(codes: dict[str, tuple[str, str]], current: str) -> str:
    """Every code a record may carry that counts under `current`, as a JSON list."""
    return json.dumps(sorted(code for code, (target, _category) in codes.items() if target == current))


def _texts(conn: sqlite3.Connection, ids: list[str] | None) -> list[tuple[str, str, int]]:
    """(modes text, codes text, incidents) for these incidents (every live one when None), from their
    `incident_chains` rows, or packed from their child rows where a row is missing."""
    if ids is None:
        found = conn.execute(_LIVE_TEXTS).fetchall()
        missing = [i for (i,) in conn.execute(_LIVE_UNPACKED)]
    else:
        found, seen = [], set()
        for iid, modes, packed in conn.execute(
            "SELECT incident_id, modes, codes FROM incident_chains"
            " WHERE incident_id IN (SELECT value FROM json_each(?))",
            [json.dumps(ids)],
        ):
            seen.add(iid)
            found.append((modes, packed, 1))
        missing = [i for i in ids if i not in seen]
    if missing:
        rows = packed_chains(conn, missing)
        assert rows.codes is not None
        found.extend((rows.modes.get(i, ""), rows.codes.get(i, ""), 1) for i in missing)
    return found


def _touched(codes: dict[str, tuple[str, str]], modes: str, packed: str) -> set[tuple[str, str]]:
    """The (live code, category) pairs an incident with these texts touches; unknown codes touch nothing."""
    found = set()
    for text in (modes, packed):
        if text:
            for code in text.split(SEP):
                hit = codes.get(code)
                if hit is not None:
                    found.add(hit)
    return found


def usage_counts(conn: sqlite3.Connection, codes: dict[str, tuple[str, str]]) -> tuple[dict[str, int], dict[str, int]]:
    """(live code -> incidents touching it, category -> incidents touching any of its modes).

    Counted over the distinct packed texts of `incident_chains` (a few thousand at 100,000
    incidents), each taken apart once: a scan of one narrow table instead of joining 600,000
    classification and cause rows to their codes and their incidents."""
    by_mode: dict[str, int] = {}
    by_category: dict[str, int] = {}
    with snapshot(conn):
        texts = _texts(conn, None)
    for modes, packed, n in texts:
        touched = _touched(codes, modes, packed)
        for current, _category in touched:
            by_mode[current] = by_mode.get(current, 0) + n
        for category in {category for _current, category in touched}:
            by_category[category] = by_category.get(category, 0) + n
    return by_mode, by_category


@dataclass(frozen=True, slots=True)
class ModeIncident:
    """An incident under a mode, with how it touches it (primary, contributing, cause)."""

    id: str
    project: str
    title: str
    kind: str
    started_at: date | datetime | None
    role: str


def mode_incidents(conn: sqlite3.Connection, codes: dict[str, tuple[str, str]], current: str) -> list[ModeIncident]:
    """The live incidents touching one live code, primary ones first, then by id."""
    rows = conn.execute(
        _TOUCHING + "SELECT i.id, i.project, i.title, i.kind, i.started_at, i.approx_dates, min(t.rank) AS rank "
        "FROM touch t JOIN incidents i ON i.id = t.incident_id WHERE i.duplicate_of IS NULL "
        "GROUP BY i.id ORDER BY rank, i.id",
        {"raws": _raws(codes, current)},
    )
    out = []
    for incident_id, project, title, kind, started, approx, rank in rows:
        written = json.loads(approx or "{}").get("started_at")
        out.append(
            ModeIncident(incident_id, project, title, kind, with_written(from_text(started), written), ROLES[rank])
        )
    return out


def co_occurring(
    conn: sqlite3.Connection, codes: dict[str, tuple[str, str]], current: str, n: int = 5
) -> list[tuple[str, int]]:
    """Modes that most often appear in the same live incidents as `current`, most frequent first."""
    with snapshot(conn):
        ids = [
            i
            for (i,) in conn.execute(
                _TOUCHING + "SELECT DISTINCT i.id FROM touch t JOIN incidents i ON i.id = t.incident_id"
                " WHERE i.duplicate_of IS NULL",
                {"raws": _raws(codes, current)},
            )
        ]
        texts = _texts(conn, ids) if ids else []
    counts: dict[str, int] = {}
    for modes, packed, k in texts:
        for other, _category in _touched(codes, modes, packed):
            if other != current:
                counts[other] = counts.get(other, 0) + k
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]


__all__ = ["ROLES", "ModeIncident", "co_occurring", "mode_incidents", "usage_counts"]
