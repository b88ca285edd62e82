"""The portfolio's first rows without the rest of kb: the fast read-only entry point the faces may call.

`kb.service` imports pydantic, kb.models and sqlite-utils (which pulls in numpy): about 0.8 s before
any row is read. This module needs only the standard library, so a face can draw the portfolio
(rows and header counts) while the full service is still being imported elsewhere:

    got = kb.portfolio.first_rows(path)   # None: not a current kb database, use kb.service.KB instead

It opens the file read-only (a `mode=ro` URI, parameterised SQL) and answers only when the file is a
kb database whose applied schema steps are exactly the ones this kb knows; anything else (no file yet,
an older schema to migrate, a newer one to refuse, not SQLite at all) returns None so that the caller
opens `kb.service.KB`, which creates, migrates or refuses with the usual error. It never writes.
`KB.project_rows` and `KB.counts` take their SQL from here too; first_rows reads the incidents once
(per-project aggregate, summed for the counts) and tests/test_tui_portfolio_light.py checks both agree.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

# kb.store.schema's migrations in order (tests/test_tui_portfolio_light.py checks they agree); a schema
# step this list does not name makes first_rows() step aside for the full service.
KNOWN_MIGRATIONS = (
    "m001_initial",
    "m002_foreign_key_indexes",
    "m003_search_text_written_once",
    "m004_covering_indexes",
    "m005_record_format_2",
    "m010_flag_sources",
    "m008_no_duplicate_cycles",
    "m006_flag_event_scope_and_serving",
    "m009_search_everything",
    "m007_views_for_common_questions",
)
MIGRATION_SET = "kb"
BUSY_TIMEOUT_S = 30.0

COUNTS_SQL: dict[str, str] = {
    "projects": "SELECT count(*) FROM projects",
    "incidents": "SELECT count(*) FROM incidents WHERE duplicate_of IS NULL",
    "open_incidents": "SELECT count(*) FROM incidents WHERE duplicate_of IS NULL AND status = 'open'",
}


@dataclass(frozen=True, slots=True)
class PortfolioRow:
    """One project line, the same fields as `kb.service.ProjectRow` (which is a pydantic model)."""

    slug: str
    name: str
    team: str
    owner: str
    stage: str
    monitoring: str
    incidents: int
    open_incidents: int
    last_incident: str | None


FIELDS = tuple(PortfolioRow.__dataclass_fields__)


def project_rows_sql(stage: str | None = None, team: str | None = None) -> tuple[str, list[str]]:
    """Every project with its incident counts and last incident date, ordered by slug."""
    where, params = [], []
    if stage:
        where.append("p.stage = ?")
        params.append(stage)
    if team:
        where.append("p.team = ?")
        params.append(team)
    # incidents are aggregated once, then joined: about 2.5x faster than a per-project join at 100,000
    sql = f"""
        SELECT p.slug, p.name, p.team, p.owner, p.stage, p.monitoring,
               coalesce(a.incidents, 0) AS incidents,
               coalesce(a.open_incidents, 0) AS open_incidents,
               a.last_incident AS last_incident
        FROM projects p LEFT JOIN (
            SELECT project, count(*) AS incidents, sum(status = 'open') AS open_incidents,
                   max(started_at) AS last_incident
            FROM incidents WHERE duplicate_of IS NULL GROUP BY project
        ) a ON a.project = p.slug
        {("WHERE " + " AND ".join(where)) if where else ""}
        ORDER BY p.slug
    """
    return sql, params


# first_rows' two reads: the incidents aggregated per project once (also summed for the header
# counts, which saves two more passes over the incidents), then the projects, joined in Python
INCIDENTS_BY_PROJECT_SQL = """
    SELECT project, count(*) AS incidents, sum(status = 'open') AS open_incidents, max(started_at) AS last_incident
    FROM incidents WHERE duplicate_of IS NULL GROUP BY project
"""
PROJECTS_SQL = "SELECT slug, name, team, owner, stage, monitoring FROM projects ORDER BY slug"


def connect_readonly(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """A read-only connection (SQLite refuses any write through it); raises FileNotFoundError if absent."""
    p = Path(path).expanduser().resolve()
    if not p.is_file():
        raise FileNotFoundError(p)
    conn = sqlite3.connect(f"{p.as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
    conn.execute("PRAGMA query_only = ON")
    return conn


def schema_is_current(conn: sqlite3.Connection) -> bool:
    """True when the applied schema steps are exactly the known ones (nothing to migrate, nothing newer)."""
    try:
        names = [
            n
            for (n,) in conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY id", [MIGRATION_SET]
            )
        ]
        others = conn.execute("SELECT count(*) FROM _sqlite_migrations WHERE migration_set != ?", [MIGRATION_SET])
    except sqlite3.Error:
        return False
    return tuple(names) == KNOWN_MIGRATIONS and others.fetchone()[0] == 0


def is_current(path: str | os.PathLike[str] | None) -> bool:
    """The file exists and is a kb database of this kb's schema: opening it would change nothing."""
    try:
        conn = connect_readonly(_resolve(path))
    except (OSError, sqlite3.Error):
        return False
    try:
        return schema_is_current(conn)
    finally:
        conn.close()


Rows = tuple[list[PortfolioRow], dict[str, int]]
_prefetched: dict[Path, tuple[tuple[object, ...], Future[Rows | None]]] = {}
_prefetch_lock = threading.Lock()


def prefetch(path: str | os.PathLike[str] | None) -> None:
    """Start first_rows(path) on a side thread now (say, while the face imports its toolkit); the next
    first_rows(path) takes that result if nothing was committed to the file since the read began.
    The thread opens and closes its own read-only connection; SQLite releases the GIL while it reads."""
    p = _resolve(path)
    future: Future[Rows | None] = Future()
    with _prefetch_lock:
        if p in _prefetched:
            return
        _prefetched[p] = (_stamp(p), future)

    def run() -> None:
        try:
            future.set_result(_read(p))
        except BaseException as exc:  # handed to the caller of first_rows
            future.set_exception(exc)

    threading.Thread(target=run, name="kb-portfolio-prefetch", daemon=True).start()


def first_rows(path: str | os.PathLike[str] | None) -> Rows | None:
    """The portfolio's rows (ordered by slug) and header counts, or None to use kb.service.KB instead."""
    p = _resolve(path)
    with _prefetch_lock:
        pending = _prefetched.pop(p, None)
    if pending is not None:
        stamp, future = pending
        got = future.result()
        if stamp == _stamp(p):  # no commit since the prefetch began: its snapshot is still the latest
            return got
    return _read(p)


def _stamp(p: Path) -> tuple[object, ...]:
    """Size and mtime of the file and its WAL: a commit changes one of them (WAL: the -wal file grows
    or is rewritten; a checkpoint or a rollback-journal commit writes the file itself)."""
    out: list[object] = []
    for f in (p, p.with_name(p.name + "-wal")):
        try:
            st = f.stat()
            out.append((st.st_size, st.st_mtime_ns))
        except OSError:
            out.append(None)
    return tuple(out)


def _read(p: Path) -> Rows | None:
    try:
        conn = connect_readonly(p)
    except (OSError, sqlite3.Error):
        return None
    try:
        if not schema_is_current(conn):
            return None
        conn.execute("BEGIN")  # one read snapshot: the counts agree with the rows
        by_project = {slug: (n, o, last) for slug, n, o, last in conn.execute(INCIDENTS_BY_PROJECT_SQL)}
        projects = conn.execute(PROJECTS_SQL).fetchall()
        conn.execute("COMMIT")
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    none = (0, 0, None)
    rows = [PortfolioRow(*proj, *by_project.get(proj[0], none)) for proj in projects]
    counts = {  # what COUNTS_SQL gives, summed over every project's incidents
        "projects": len(projects),
        "incidents": sum(n for n, _, _ in by_project.values()),
        "open_incidents": sum(o for _, o, _ in by_project.values()),
    }
    return rows, counts


def _resolve(path: str | os.PathLike[str] | None) -> Path:
    from kb.config import resolve_db_path  # platformdirs only

    return resolve_db_path(path)
