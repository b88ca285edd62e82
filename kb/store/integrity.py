"""Consistency checks over one kb database: what `kb check` runs.

Each check returns the problems it found (empty when all is well), so a report can say which
guarantee broke: SQLite's own page check, declared foreign keys, the search index against the
rows it indexes, causes and their links, and the triggers that keep history append-only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from sqlite_utils import Database

# triggers whose absence silently breaks a guarantee: history, frozen reviews, the search index
REQUIRED_TRIGGERS: dict[str, str] = {
    "changelog_no_update": "the change log is append-only",
    "changelog_no_delete": "the change log is append-only",
    "frozen_reviews_no_update": "a frozen review never changes",
    "frozen_reviews_no_delete": "a frozen review never changes",
    "incident_text_ai": "the search index follows its table",
    "incident_text_ad": "the search index follows its table",
    "incident_text_au": "the search index follows its table",
    **{
        f"{table}_chain_{op}": "the packed chains follow their causes, links and classifications"
        for table in ("causes", "cause_links", "classifications")
        for op in ("ai", "ad", "au")
    },
}

FTS_TABLE = "incident_text_fts"


def _scalar(db: Database, sql: str) -> int:
    return int(db.execute(sql).fetchone()[0])


def integrity(db: Database) -> list[str]:
    rows = [r[0] for r in db.execute("PRAGMA integrity_check").fetchall()]
    return [] if rows == ["ok"] else [f"integrity_check: {r}" for r in rows]


def foreign_keys(db: Database) -> list[str]:
    out = []
    for table, rowid, parent, _fk in db.execute("PRAGMA foreign_key_check").fetchall():
        out.append(f"foreign key: {table} row {rowid} points at a missing {parent} row")
    return out


def search_index(db: Database) -> list[str]:
    """The FTS5 index agrees with incident_text, and incident_text with incidents."""
    out = []
    conn = db.conn
    try:
        # rank = 1 also compares the index with its external content table (FTS5 'integrity-check')
        conn.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES('integrity-check', 1)")
    except sqlite3.DatabaseError as exc:
        code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
        if code == sqlite3.SQLITE_READONLY or "readonly" in str(exc):
            # FTS5 runs its check as a write: on a read-only file it cannot run, which is no damage
            out.append("search index: not checked, the database is read-only (FTS5 checks need write access)")
        else:
            out.append(f"search index: FTS5 integrity-check failed ({exc})")
    finally:
        if conn.in_transaction:
            conn.rollback()
    incidents = _scalar(db, "SELECT count(*) FROM incidents")
    texts = _scalar(db, "SELECT count(*) FROM incident_text")
    indexed = _scalar(db, f"SELECT count(*) FROM {FTS_TABLE}_docsize")
    if texts != incidents:
        out.append(f"search index: {texts} search rows for {incidents} incidents")
    if indexed != texts:
        out.append(f"search index: {indexed} indexed documents for {texts} search rows")
    missing = _scalar(db, "SELECT count(*) FROM incidents WHERE id NOT IN (SELECT incident_id FROM incident_text)")
    if missing:
        out.append(f"search index: {missing} incident(s) have no search row")
    stale = _scalar(db, STALE_TEXT_SQL)
    if stale:
        out.append(f"search index: {stale} search row(s) disagree with their incident, causes or actions")
    return out


# the search row must say what the store writes (kb.store.repo.search_text), recomputed from the rows
STALE_TEXT_SQL = """
    SELECT count(*) FROM incidents i JOIN incident_text t ON t.incident_id = i.id
    WHERE t.title IS NOT i.title OR t.summary IS NOT i.summary
       OR t.causes IS NOT coalesce((SELECT group_concat(statement, char(10)) FROM
              (SELECT statement FROM causes c WHERE c.incident_id = i.id ORDER BY pos)), '')
       OR t.actions IS NOT coalesce((SELECT group_concat(title, char(10)) FROM
              (SELECT title FROM actions a WHERE a.incident_id = i.id ORDER BY pos)), '')
"""


def causes(db: Database) -> list[str]:
    """Causes of missing incidents, and links from or to causes that do not exist."""
    out = []
    orphan = _scalar(db, "SELECT count(*) FROM causes WHERE incident_id NOT IN (SELECT id FROM incidents)")
    if orphan:
        out.append(f"causes: {orphan} cause(s) belong to a missing incident")
    for column in ("cause_id", "because_id"):
        n = _scalar(
            db,
            f"SELECT count(*) FROM cause_links l WHERE NOT EXISTS (SELECT 1 FROM causes c "
            f"WHERE c.incident_id = l.incident_id AND c.cause_id = l.{column})",
        )
        if n:
            out.append(f"causes: {n} cause link(s) whose {column} names a missing cause")
    return out


def chains(db: Database) -> list[str]:
    """The packed chains the portfolio analyses read (incident_chains, m011) say what the child rows do."""
    from kb.store.chains import stale_chains

    stale = stale_chains(db.conn)
    if not stale:
        return []
    shown = ", ".join(stale[:5]) + (", ..." if len(stale) > 5 else "")
    return [f"chains: {len(stale)} packed chain row(s) disagree with their causes ({shown})"]


def triggers(db: Database) -> list[str]:
    present = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()}
    return [f"trigger {name} is missing ({why})" for name, why in REQUIRED_TRIGGERS.items() if name not in present]


CHECKS: dict[str, Callable[[Database], list[str]]] = {
    "integrity": integrity,
    "foreign_keys": foreign_keys,
    "search_index": search_index,
    "causes": causes,
    "chains": chains,
    "triggers": triggers,
}


def run_checks(db: Database) -> dict[str, list[str]]:
    """Every check by name; a check that cannot run at all reports why instead of raising."""
    results: dict[str, list[str]] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check(db)
        except sqlite3.DatabaseError as exc:
            results[name] = [f"{name}: could not run ({exc})"]
    return results


__all__ = ["CHECKS", "REQUIRED_TRIGGERS", "run_checks"]
