"""`incident_chains` (m011): each incident's causal chain kept packed in one narrow row.

The portfolio analyses (root causes, keystones, recurring chains, a review's patterns) read every
live incident's chain. Packing 300,000 causes, links and classifications per call cost most of
their time at 100,000 incidents; one row per incident, written when the incident is saved, is a
plain table scan. The texts are exactly what kb.store.queries.graph.packed_chains makes from the
child rows (its SQL is the one definition of the packing).

Triggers (m011) drop an incident's row whenever one of its causes, links or classifications is
inserted, changed or deleted, by kb or by hand; `put_incident` writes it again after its children,
and a reader packs any incident without a row from its child rows. So a row is never stale: at
worst absent, which only costs time.
"""

from __future__ import annotations

import sqlite3

from kb.store.queries.graph import ChainRows, packed_chains

CHILD_TABLES = ("causes", "cause_links", "classifications")


def write_chains(conn: sqlite3.Connection, ids: list[str] | None = None) -> int:
    """(Re)write the packed chains of these incidents (every incident's when None); how many were written.

    An incident with no causes, links or classifications gets empty texts, so a missing row always
    means "not written since its children changed".
    """
    packed = packed_chains(conn, ids)
    if ids is None:
        ids = [r[0] for r in conn.execute("SELECT id FROM incidents")]
    rows = [(iid, *_texts(packed, iid)) for iid in ids]
    conn.executemany(
        "INSERT OR REPLACE INTO incident_chains (incident_id, causes, modes, links, codes) VALUES (?, ?, ?, ?, ?)",
        rows,
    )
    return len(rows)


def missing_chains(conn: sqlite3.Connection) -> int:
    """Incidents without a packed chain row (slower analyses until the incident is saved again)."""
    return int(
        conn.execute(
            "SELECT count(*) FROM incidents i WHERE NOT EXISTS "
            "(SELECT 1 FROM incident_chains c WHERE c.incident_id = i.id)"
        ).fetchone()[0]
    )


def stale_chains(conn: sqlite3.Connection) -> list[str]:
    """Ids of incidents whose packed chain row differs from what their child rows pack to (never
    expected: the triggers drop a row before it can differ)."""
    packed = packed_chains(conn, None)
    return [
        row[0]
        for row in conn.execute(
            "SELECT incident_id, causes, modes, links, codes FROM incident_chains ORDER BY incident_id"
        )
        if row[1:] != _texts(packed, row[0])
    ]


def _texts(packed: ChainRows, iid: str) -> tuple[str, str, str, str]:
    """An incident's four packed texts as `incident_chains` holds them ("" where it has none)."""
    assert packed.codes is not None  # packed_chains reads codes unless told not to
    return (
        packed.causes.get(iid, ""),
        packed.modes.get(iid, ""),
        packed.links.get(iid, ""),
        packed.codes.get(iid, ""),
    )
