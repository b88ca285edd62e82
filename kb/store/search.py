"""Full-text search over incidents: titles, summaries, cause statements and action titles.

User text never reaches FTS5's query syntax: each word is quoted (sqlite-utils' quote_fts), so
`AND`, `*`, quotes and unbalanced parentheses are searched for as words, never parsed.
"""

from __future__ import annotations

import re
from typing import Any

from sqlite_utils import Database

from kb.models import SearchHit
from kb.timeutil import Moment, to_text

HIT_OPEN, HIT_CLOSE = "\x02", "\x03"  # markers the faces turn into highlighting


def fts_query(db: Database, text: str) -> str | None:
    """A safe FTS5 expression for user text, or None when it holds no word to look for."""
    words = re.findall(r"[\w]+(?:['’][\w]+)*", text, flags=re.UNICODE)
    if not words:
        return None
    return db.quote_fts(" ".join(words))


def search(
    db: Database,
    text: str,
    *,
    project: str | None = None,
    mode: str | None = None,
    kind: str | None = None,
    since: Moment | None = None,
    limit: int = 20,
    include_duplicates: bool = True,
) -> list[SearchHit]:
    q = fts_query(db, text)
    if q is None:
        return []
    where = ["incident_text_fts MATCH ?"]
    params: list[Any] = [q]
    if project:
        where.append("i.project = ?")
        params.append(project)
    if kind:
        where.append("i.kind = ?")
        params.append(kind)
    if since is not None:
        where.append("i.started_at >= ?")
        params.append(to_text(since))
    if mode:
        where.append(
            "(i.id IN (SELECT incident_id FROM classifications WHERE code = ?)"
            " OR i.id IN (SELECT incident_id FROM causes WHERE mode = ?))"
        )
        params += [mode, mode]
    if not include_duplicates:
        where.append("i.duplicate_of IS NULL")
    sql = f"""
        SELECT i.id, i.project, i.title, i.kind, i.started_at, i.duplicate_of,
               bm25(incident_text_fts, 10.0, 4.0, 3.0, 1.0) AS score,
               snippet(incident_text_fts, -1, '{HIT_OPEN}', '{HIT_CLOSE}', '…', 14) AS snippet
        FROM incident_text_fts
        JOIN incident_text t ON t.rowid = incident_text_fts.rowid
        JOIN incidents i ON i.id = t.incident_id
        WHERE {" AND ".join(where)}
        ORDER BY score, i.id
        LIMIT ?
    """
    params.append(int(limit))
    return [
        SearchHit(
            id=r["id"],
            project=r["project"],
            title=r["title"],
            kind=r["kind"],
            started_at=r["started_at"],
            score=round(-float(r["score"]), 4),
            snippet=" ".join(str(r["snippet"]).split()),
            duplicate_of=r["duplicate_of"],
        )
        for r in db.query(sql, params)
    ]
