"""Which incidents touch which taxonomy mode, counted in SQL: `kb taxonomy list` and `kb taxonomy show`.

The rule is kb.taxonomy.incidents_by_mode's (tests/test_read_taxonomy.py proves them equal on a
synthetic portfolio): a live incident touches a mode when it is classified under it or one of its
causes names it, codes counted under the live code they resolve to (`codes` maps every code a record
may carry, live or retired, to its live code and category; unknown codes count nowhere); its role is
primary if a classification says so, else contributing if classified, else cause.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime

from kb.approxdate import with_written
from kb.timeutil import from_text

ROLES = ("primary", "contributing", "cause")

_CODES = """
    WITH codes(code, current, category) AS (
        SELECT key, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(:codes)
    ),"""
# the incidents touching one live code, found through the code indexes (kb taxonomy show reads only them)
_MINE = """
    mine(incident_id) AS (
        SELECT incident_id FROM classifications WHERE code IN (SELECT code FROM codes WHERE current = :current)
        UNION SELECT incident_id FROM causes WHERE mode IN (SELECT code FROM codes WHERE current = :current)
    ),"""
_USES_OF = """
    uses(incident_id, current, category, rank) AS (
        SELECT c.incident_id, codes.current, codes.category, CASE c.role WHEN 'primary' THEN 0 ELSE 1 END
        FROM classifications c JOIN codes ON codes.code = c.code {only}
        UNION ALL
        SELECT k.incident_id, codes.current, codes.category, 2
        FROM causes k JOIN codes ON codes.code = k.mode {only_causes}
    ),
    live AS (
        SELECT uses.incident_id, uses.current, uses.category, min(uses.rank) AS rank
        FROM uses JOIN incidents i ON i.id = uses.incident_id
        WHERE i.duplicate_of IS NULL GROUP BY uses.incident_id, uses.current
    )
"""
_USES = _CODES + _USES_OF.format(only="", only_causes="")
_USES_NEAR = (
    _CODES
    + _MINE
    + _USES_OF.format(
        only="WHERE c.incident_id IN (SELECT incident_id FROM mine)",
        only_causes="WHERE k.incident_id IN (SELECT incident_id FROM mine)",
    )
)


def _codes(codes: dict[str, tuple[str, str]]) -> str:
    return json.dumps({code: list(target) for code, target in codes.items()})


def usage_counts(conn: sqlite3.Connection, codes: dict[str, tuple[str, str]]) -> tuple[dict[str, int], dict[str, int]]:
    """(live code -> incidents touching it, category -> incidents touching any of its modes)."""
    params = {"codes": _codes(codes)}
    by_mode = dict(conn.execute(_USES + "SELECT current, count(*) FROM live GROUP BY current", params).fetchall())
    by_category = dict(
        conn.execute(_USES + "SELECT category, count(DISTINCT incident_id) FROM live GROUP BY category", params)
    )
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
        _USES_NEAR + "SELECT i.id, i.project, i.title, i.kind, i.started_at, i.approx_dates, live.rank "
        "FROM live JOIN incidents i ON i.id = live.incident_id WHERE live.current = :current "
        "ORDER BY live.rank, i.id",
        {"codes": _codes(codes), "current": current},
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
    sql = (
        _USES_NEAR + "SELECT current, count(*) AS n FROM live WHERE current != :current AND incident_id IN "
        "(SELECT incident_id FROM live WHERE current = :current) GROUP BY current ORDER BY n DESC, current LIMIT :n"
    )
    return [(c, k) for c, k in conn.execute(sql, {"codes": _codes(codes), "current": current, "n": n})]


__all__ = ["ROLES", "ModeIncident", "co_occurring", "mode_incidents", "usage_counts"]
