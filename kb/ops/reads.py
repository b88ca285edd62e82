"""The read-only service the everyday read commands use: kb.store.queries on one stdlib connection.

`kb.service.KB` imports pydantic, sqlite-utils and numpy (about 0.5 s on a quiet machine) before it
reads a row; `kb incident show` needs none of them. `Reader` opens the file with the same guards
(a newer schema refused, WAL, busy timeout; a missing or older file created or upgraded through
kb.store.db) and answers with the query layer's dataclasses. KB answers the same questions by
calling the same query functions on its own connection.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from kb import config
from kb.errors import NotFound
from kb.store.queries.connection import open_reader

if TYPE_CHECKING:  # each command imports only the query module it reads
    from kb.silent.detector import Verdict
    from kb.store.queries.flags import FlagEventRow
    from kb.store.queries.health import HealthRow
    from kb.store.queries.incidents import Change, IncidentRow, IncidentView
    from kb.store.queries.projects import ProjectRow
    from kb.store.queries.taxonomy import ModeIncident
    from kb.store.search import SearchHit
    from kb.taxonomy_index import TaxonomyIndex


class Reader:
    """A read-only handle on one knowledge base file (one connection, for the thread that made it)."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, create: bool = True) -> None:
        self.path = config.resolve_db_path(path)
        self.conn: sqlite3.Connection = open_reader(self.path, create=create)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- projects ------------------------------------------------------------------------------

    def project_rows(self, *, stage: str | None = None, team: str | None = None) -> list[ProjectRow]:
        from kb.store.queries import projects

        return projects.project_rows(self.conn, stage=stage, team=team)

    def counts(self) -> dict[str, int]:
        from kb.store.queries import projects

        return projects.counts(self.conn)

    def require_project(self, slug: str) -> None:
        from kb.store.queries import projects

        if not projects.project_exists(self.conn, slug):
            raise NotFound(f"no project {slug!r}", where="project")

    # --- incidents -----------------------------------------------------------------------------

    def incident_rows(self, **filters: Any) -> list[IncidentRow]:
        from kb.store.queries import incidents

        return incidents.incident_rows(self.conn, **filters)

    def require_incident(self, incident_id: str) -> None:
        from kb.store.queries import incidents

        if not incidents.incident_exists(self.conn, incident_id):
            raise NotFound(f"no incident {incident_id!r}", where="incident")

    def incident(self, incident_id: str) -> IncidentView:
        """The whole stored incident (not following merges, as `KB.get_incident`); NotFound otherwise."""
        from kb.store.queries import incidents

        view = incidents.incident_view(self.conn, incident_id)
        if view is None:
            raise NotFound(f"no incident {incident_id!r}", where="incident")
        return view

    def history(self, entity: str, entity_id: str) -> list[Change]:
        """The change log of a project or an incident that exists (NotFound otherwise)."""
        (self.require_project if entity == "project" else self.require_incident)(entity_id)
        from kb.store.queries import incidents

        return incidents.history(self.conn, entity, entity_id)

    # --- flags and health ----------------------------------------------------------------------

    def flag_events(
        self, *, project: str | None = None, flag: str | None = None, since: date | datetime | None = None
    ) -> list[FlagEventRow]:
        """Events in time order with the project each maps to; a named project must exist."""
        from kb.store.queries import flags

        if project:
            self.require_project(project)
        return flags.flag_events(self.conn, project=project, flag=flag, since=since)

    def unmapped_flag_events(self) -> list[FlagEventRow]:
        from kb.store.queries import flags

        return flags.unmapped_flag_events(self.conn)

    def health_series(self, slug: str) -> list[HealthRow]:
        from kb.store.queries import health

        self.require_project(slug)
        return health.health_series(self.conn, slug)

    # --- the silent-failure scan ----------------------------------------------------------------

    def silent_scan(
        self,
        as_of: date | None = None,
        project: str | None = None,
        config_path: str | os.PathLike[str] | None = None,
    ) -> list[Verdict]:
        """`KB.silent_scan` on this connection: the same snapshot and detector (kb.ops.silent_scan)."""
        from kb.ops.silent_scan import scan_dates
        from kb.timeutil import now_utc

        return scan_dates(self.conn, [as_of or now_utc().date()], project, config_path)[0]

    # --- the taxonomy's use ---------------------------------------------------------------------

    @property
    def taxonomy(self) -> TaxonomyIndex:
        """The packaged taxonomy, read without pydantic (kb.taxonomy_index)."""
        from kb.taxonomy_index import packaged

        return packaged()

    def mode_counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """(live code -> live incidents touching it, category -> live incidents touching any of its modes)."""
        from kb.store.queries import taxonomy

        return taxonomy.usage_counts(self.conn, self.taxonomy.current_codes())

    def mode_incidents(self, current: str) -> list[ModeIncident]:
        from kb.store.queries import taxonomy

        return taxonomy.mode_incidents(self.conn, self.taxonomy.current_codes(), current)

    def co_occurring(self, current: str, n: int = 5) -> list[tuple[str, int]]:
        from kb.store.queries import taxonomy

        return taxonomy.co_occurring(self.conn, self.taxonomy.current_codes(), current, n)

    # --- search --------------------------------------------------------------------------------

    def search(
        self,
        text: str,
        *,
        project: str | None = None,
        mode: str | None = None,
        kind: str | None = None,
        since: date | datetime | None = None,
        limit: int = 20,
    ) -> list[SearchHit]:
        """`KB.search` on this connection: the same kb.store.search query, the mode filter through the same
        codes_under over the packaged taxonomy's view."""
        from kb.store import search as fts
        from kb.taxonomy_index import codes_under, unknown_code

        modes = None
        if mode:
            modes = codes_under(self.taxonomy, mode)
            if modes is None:
                raise unknown_code(mode, "--mode")
        return fts.search(self.conn, text, project=project, modes=modes, kind=kind, since=since, limit=limit)


__all__ = ["Reader"]
