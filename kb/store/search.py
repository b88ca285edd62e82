"""Full-text search over everything an incident records, and the listing its filters make alone.

The index (kb.store.repo.search_text) holds the title, summary, cause statements, action titles,
the modes (codes and names), the details (classification evidence, tags, timeline, links, lessons,
impact) and the project's words (name, team, vendor, decision, notes).
User text never reaches FTS5's query syntax: it is cut into words (letters, digits, inner
apostrophes) and each word is quoted as sqlite-utils' quote_fts quotes it (tests/test_search_bounded.py
proves them equal), so `AND`, `*`, quotes and unbalanced parentheses are searched for as words, never
parsed. Plain sqlite3 and slotted hits: `kb search` imports neither sqlite-utils nor pydantic.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from kb.store.queries.sql import incident_time_since, touches_modes
from kb.timeutil import to_text

MAX_TERMS = 32  # words of a query searched for; more only narrow an AND further
HIT_OPEN, HIT_CLOSE = "\x02", "\x03"  # markers the faces turn into highlighting
# bm25 weights of title, summary, cause statements, action titles, modes, details, project
WEIGHTS = "10.0, 4.0, 3.0, 1.0, 3.0, 2.0, 1.0"
LISTING_SNIPPET_WORDS = 14


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One incident a search found, with the snippet that shows why (HIT_OPEN/HIT_CLOSE around matches)."""

    id: str
    project: str
    title: str
    kind: str
    started_at: str | None
    score: float
    snippet: str
    duplicate_of: str | None = None


def fts_query(text: str) -> str | None:
    """A safe FTS5 expression for user text, or None when it holds no word to look for."""
    found = re.findall(r"[\w]+(?:['’][\w]+)*", text, flags=re.UNICODE)
    # each distinct word once, at most MAX_TERMS of them: FTS5's snippet() costs (terms x text), so
    # 8,000 repeats of one word took 91 s; the index folds case, so folding here loses nothing
    words = list(dict.fromkeys(w.casefold() for w in found))[:MAX_TERMS]
    if not words:
        return None
    return " ".join(f'"{w}"' for w in words)  # a word never holds a double quote or a space


def _filters(
    project: str | None,
    modes: Sequence[str] | None,
    kind: str | None,
    since: date | datetime | None,
    include_duplicates: bool,
) -> tuple[list[str], list[Any]]:
    """WHERE fragments over `incidents i` for the filters given, with their parameters."""
    where: list[str] = []
    params: list[Any] = []
    if project:
        where.append("i.project = ?")
        params.append(project)
    if kind:
        where.append("i.kind = ?")
        params.append(kind)
    if since is not None:
        where.append(incident_time_since("i."))  # started, else detected (kb.rules.incident_time)
        params += [to_text(since)] * 2
    if modes is not None:
        codes = json.dumps(list(modes))
        where.append(touches_modes("i."))
        params += [codes, codes]
    if not include_duplicates:
        where.append("i.duplicate_of IS NULL")
    return where, params


def search(
    conn: sqlite3.Connection,
    text: str,
    *,
    project: str | None = None,
    modes: Sequence[str] | None = None,
    kind: str | None = None,
    since: date | datetime | None = None,
    limit: int = 20,
    include_duplicates: bool = True,
) -> list[SearchHit]:
    """Incidents matching every word of `text` (best first) within the filters.

    With no word to look for, the filters alone list their incidents, newest first; with neither,
    nothing. `modes` is the set of codes an incident must be classified under or name in a cause.
    """
    where, params = _filters(project, modes, kind, since, include_duplicates)
    q = fts_query(text)
    if q is None:
        filtered = bool(project or kind or since is not None or modes is not None)
        return _listing(conn, where, params, limit) if filtered else []
    # Two steps: rank every match (bm25 only, joining incidents only when a filter needs them), then
    # fetch rows and snippets for the top few. Snippets and joins for thousands of matches of a common
    # word were most of a search's time at 100,000 incidents.
    joins = (
        "JOIN incident_text t ON t.rowid = incident_text_fts.rowid JOIN incidents i ON i.id = t.incident_id"
        if where
        else ""
    )
    ranked = conn.execute(
        f"""
        SELECT incident_text_fts.rowid, bm25(incident_text_fts, {WEIGHTS}) AS score
        FROM incident_text_fts {joins}
        WHERE {" AND ".join(["incident_text_fts MATCH ?", *where])}
        ORDER BY score, incident_text_fts.rowid
        LIMIT ?
        """,
        [q, *params, int(limit)],
    ).fetchall()
    if not ranked:
        return []
    cur = conn.cursor()
    cur.row_factory = sqlite3.Row
    rows = {
        r["rowid"]: r
        for r in cur.execute(
            f"""
            SELECT incident_text_fts.rowid AS rowid, i.id, i.project, i.title, i.kind, i.started_at, i.duplicate_of,
                   snippet(incident_text_fts, -1, '{HIT_OPEN}', '{HIT_CLOSE}', '…', 14) AS snippet,
                   {", ".join(_prose_snippets())}
            FROM incident_text_fts
            JOIN incident_text t ON t.rowid = incident_text_fts.rowid
            JOIN incidents i ON i.id = t.incident_id
            WHERE incident_text_fts MATCH ? AND incident_text_fts.rowid IN (SELECT value FROM json_each(?))
            """,
            [q, json.dumps([rowid for rowid, _ in ranked])],
        )
    }
    return [
        SearchHit(
            id=r["id"],
            project=r["project"],
            title=r["title"],
            kind=r["kind"],
            started_at=r["started_at"],
            score=round(-float(score), 4),
            snippet=" ".join(_best_snippet(r).split()),
            duplicate_of=r["duplicate_of"],
        )
        for rowid, score in ranked
        if (r := rows.get(rowid)) is not None
    ]


PROSE_COLUMNS = 4  # title, summary, cause statements, action titles: what a person wrote about the incident


def _prose_snippets() -> list[str]:
    return [
        f"snippet(incident_text_fts, {n}, '{HIT_OPEN}', '{HIT_CLOSE}', '…', 14) AS prose{n}"
        for n in range(PROSE_COLUMNS)
    ]


def _best_snippet(row: sqlite3.Row) -> str:
    """FTS5's own pick of column, unless it picked a list of codes or labels while a sentence someone
    wrote also matches: then that sentence (title, summary, causes, actions, in that order)."""
    best = str(row["snippet"])
    prose = [str(row[f"prose{n}"]) for n in range(PROSE_COLUMNS)]
    if best in prose:
        return best
    return next((p for p in prose if HIT_OPEN in p), best)


def _listing(conn: sqlite3.Connection, where: list[str], params: list[Any], limit: int) -> list[SearchHit]:
    """The incidents the filters select, newest first (undated last), with the summary's start as snippet."""
    cur = conn.cursor()
    cur.row_factory = sqlite3.Row
    rows = cur.execute(
        f"""
        SELECT i.id, i.project, i.title, i.kind, i.started_at, i.duplicate_of, i.summary
        FROM incidents i WHERE {" AND ".join(where)}
        ORDER BY i.started_at IS NULL, i.started_at DESC, i.id DESC
        LIMIT ?
        """,
        [*params, int(limit)],
    )
    return [
        SearchHit(
            id=r["id"],
            project=r["project"],
            title=r["title"],
            kind=r["kind"],
            started_at=r["started_at"],
            score=0.0,
            snippet=" ".join(str(r["summary"]).split()[:LISTING_SNIPPET_WORDS]),
            duplicate_of=r["duplicate_of"],
        )
        for r in rows
    ]
