"""Projects and incidents: create, edit, merge, import and export as YAML documents, search, counts."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kb.errors import KBError, validation_message
from kb.models import ChangeRecord, Incident, Project
from kb.ops.base import Service
from kb.store import changelog, repo
from kb.store import search as fts
from kb.store.db import backup_to
from kb.store.queries import incidents as incident_queries
from kb.store.queries import projects as project_queries
from kb.store.queries.incidents import IncidentRow
from kb.store.queries.projects import ProjectRow
from kb.timeutil import Moment, now_utc


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=lambda: {"projects": 0, "incidents": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"projects": 0, "incidents": 0})
    unchanged: dict[str, int] = field(default_factory=lambda: {"projects": 0, "incidents": 0})
    ids: list[str] = field(default_factory=list)
    # (kind, id or slug, {field: [old, new]}) for every record an import changed
    changes: list[tuple[str, str, dict[str, list[Any]]]] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)  # a team repository's other files, by kind

    def count(self, kind: str, result: str) -> None:
        {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}[result][kind] += 1

    def change_lines(self) -> list[str]:
        """One line per updated record naming each field it changed, old -> new (clipped)."""
        from kb.timeutil import clip

        def show(v: Any) -> str:
            if isinstance(v, list | dict):
                return f"{len(v)} item{'s' if len(v) != 1 else ''}"
            return "(none)" if v is None else clip(v, 40)

        return [
            f"  {kind[:-1]} {key}: " + "; ".join(f"{f} {show(o)} -> {show(n)}" for f, (o, n) in fields.items())
            for kind, key, fields in self.changes
        ]

    def summary(self) -> str:
        parts = []
        for kind in ("projects", "incidents"):
            c, u, n = self.created[kind], self.updated[kind], self.unchanged[kind]
            parts.append(f"{kind}: {c} created, {u} updated, {n} unchanged")
        parts += [f"{kind}: {n} files" for kind, n in self.files.items() if n]
        return "; ".join(parts)


class RecordService(Service):
    """The records themselves: projects and incidents, their files, their search."""

    # --- projects ------------------------------------------------------------------------------

    def get_project(self, slug: str) -> Project:
        return repo.require_project(self.db, slug)

    def projects(self) -> list[Project]:
        return list(repo.iter_projects(self.db))

    def project_rows(self, *, stage: str | None = None, team: str | None = None) -> list[ProjectRow]:
        return project_queries.project_rows(self.db.conn, stage=stage, team=team)

    def add_project(self, project: Project) -> Project:
        project = _revalidate(project)
        with self.transaction():
            if repo.get_project(self.db, project.slug) is not None:
                raise KBError(f"project {project.slug!r} already exists (use `kb project edit`)", "slug")
            repo.put_project(self.db, project, self.actor)
        return project

    def edit_project(self, slug: str, changes: dict[str, Any]) -> Project:
        with self.transaction():
            current = repo.require_project(self.db, slug)
            updated = _apply(Project, current, changes, f"project {slug}")
            if updated.slug != slug:
                raise KBError("a project's slug cannot change (it is its permanent id)", "slug")
            repo.put_project(self.db, updated, self.actor)
        return updated

    def save_project(self, project: Project) -> str:
        project = _revalidate(project)
        with self.transaction():
            return repo.put_project(self.db, project, self.actor)

    # --- incidents -----------------------------------------------------------------------------

    def get_incident(self, incident_id: str) -> Incident:
        return repo.require_incident(self.db, incident_id)

    def resolve_incident(self, incident_id: str) -> Incident:
        """The surviving record for an id, following merges."""
        return repo.require_incident(self.db, repo.resolve_incident_id(self.db, incident_id))

    def incidents(self, where: str = "", params: list[Any] | None = None) -> Iterator[Incident]:
        return repo.iter_incidents(self.db, where, params)

    def incident_rows(
        self,
        *,
        project: str | None = None,
        kind: str | None = None,
        status: str | None = None,
        since: Moment | None = None,
        include_duplicates: bool = False,
        limit: int | None = None,
        mode: str | None = None,
    ) -> list[IncidentRow]:
        return incident_queries.incident_rows(
            self.db.conn,
            project=project,
            kind=kind,
            status=status,
            since=since,
            include_duplicates=include_duplicates,
            limit=limit,
            # a mode means its aliases too, which older records may carry (as in search)
            mode=self.codes_under(mode, "mode") if mode else None,
        )

    def add_incident(self, incident: Incident) -> Incident:
        incident = _revalidate(incident)
        with self.transaction():
            if incident.id is not None and repo.get_incident(self.db, incident.id) is not None:
                raise KBError(f"incident {incident.id} already exists (use `kb incident edit`)", "id")
            self.session.check_codes(incident)
            if incident.id is None:
                incident = incident.model_copy(update={"id": repo.next_incident_id(self.db)})
            repo.put_incident(self.db, incident, self.actor)
        return incident

    def save_incident(self, incident: Incident) -> Incident:
        """Create or replace a whole incident (the TUI's editor saves this way)."""
        incident = _revalidate(incident)
        with self.transaction():
            self.session.check_codes(incident)
            if incident.id is None:
                incident = incident.model_copy(update={"id": repo.next_incident_id(self.db)})
            repo.put_incident(self.db, incident, self.actor)
        return incident

    def edit_incident(self, incident_id: str, changes: dict[str, Any]) -> Incident:
        with self.transaction():
            current = repo.require_incident(self.db, incident_id)
            updated = _apply(Incident, current, changes, incident_id)
            if updated.id != incident_id:
                raise KBError("an incident's id cannot change (ids are permanent)", "id")
            self.session.check_codes(updated)
            repo.put_incident(self.db, updated, self.actor)
        return updated

    def merge_incident(self, dup_id: str, into_id: str) -> Incident:
        with self.transaction():
            return repo.merge_incident(self.db, dup_id, into_id, self.actor)

    def history(self, entity: str, entity_id: str) -> list[ChangeRecord]:
        return changelog.history(self.db, entity, entity_id)

    # --- files ---------------------------------------------------------------------------------

    def import_paths(
        self, paths: list[str], progress: Callable[[int], None] | None = None, *, add_only: bool = False
    ) -> ImportReport:
        """Import YAML documents; the whole set lands in one transaction or not at all.

        Files are read and written one at a time (memory stays flat at 100,000 files); an incident
        whose project or duplicate target comes in a later file waits until the end. With
        `add_only` (`kb incident add --file`, `kb project add --file`) a record that already exists
        is refused: adding never silently replaces what is stored; `kb import` is the update path.
        """
        from kb.perf import gc_paused
        from kb.yamldoc import iter_bundles

        report = ImportReport()
        known = repo.project_slugs(self.db)
        waiting: list[tuple[Incident, str]] = []

        def refuse_existing(kind: str, key: str, where: str) -> None:
            raise KBError(f"{kind} {key} already exists; adding never updates (use `kb import` to update it)", where)

        def put(inc: Incident, where: str) -> None:
            if add_only and inc.id and repo.get_incident(self.db, inc.id) is not None:
                refuse_existing("incident", inc.id, where)
            try:
                self.session.check_codes(inc, where)
                result = repo.put_incident(self.db, inc, self.actor, op="import" if inc.id else None)
            except KBError as exc:
                raise KBError(exc.message if exc.where == where else str(exc), where) from None
            report.count("incidents", result)
            if result == "updated" and inc.id:
                report.changes.append(("incidents", inc.id, changelog.last_changes(self.db, "incident", inc.id)))
            if inc.id:
                report.ids.append(inc.id)

        def ready(inc: Incident) -> bool:
            if inc.project not in known:
                return False
            dup = inc.duplicate_of
            return dup is None or repo.incident_exists(self.db, dup)

        with gc_paused(), self.transaction():
            for bundle in iter_bundles(paths):
                if progress:
                    progress(1)
                for project, where in bundle.projects:
                    if add_only and (project.slug in known or repo.get_project(self.db, project.slug) is not None):
                        refuse_existing("project", project.slug, where)
                    try:
                        result = repo.put_project(self.db, project, self.actor, op="import")
                    except KBError as exc:
                        raise KBError(str(exc), where) from None
                    report.count("projects", result)
                    if result == "updated":
                        report.changes.append(
                            ("projects", project.slug, changelog.last_changes(self.db, "project", project.slug))
                        )
                    known.add(project.slug)
                for inc, where in bundle.incidents:
                    if ready(inc):
                        put(inc, where)
                    else:
                        waiting.append((inc, where))
            # a duplicate's target must exist before the duplicate that points at it
            for inc, where in sorted(waiting, key=lambda pair: pair[0].duplicate_of is not None):
                put(inc, where)
        return report

    def export_dir(self, directory: str | os.PathLike[str]) -> dict[str, int]:
        """Write one file per project and per incident; the same data always gives the same bytes."""
        from kb.fsio import private_dir
        from kb.yamldoc import document, to_yaml

        root = private_dir(directory)
        counts = {"projects": 0, "incidents": 0, "written": 0}
        for sub, items in (
            ("projects", ((p.slug, p) for p in repo.iter_projects(self.db))),
            ("incidents", ((i.id, i) for i in repo.iter_incidents(self.db))),
        ):
            for name, model in items:
                target = _confined(root, sub, f"{name}.yaml")
                if _write_if_changed(target, to_yaml(document(model))):
                    counts["written"] += 1
                counts[sub] += 1
        return counts

    # --- search --------------------------------------------------------------------------------

    def search(
        self,
        text: str,
        *,
        project: str | None = None,
        mode: str | None = None,
        kind: str | None = None,
        since: Moment | None = None,
        limit: int = 20,
    ) -> list[fts.SearchHit]:
        modes = self.codes_under(mode, "--mode") if mode else None
        return fts.search(self.db.conn, text, project=project, modes=modes, kind=kind, since=since, limit=limit)

    def codes_under(self, code: str, where: str) -> list[str]:
        """Every code a filter on `code` means: a category's modes, or one mode; with their aliases,
        which older records may still carry. An unknown code is an error suggesting close ones."""
        from kb.taxonomy_index import codes_under

        codes = codes_under(self.taxonomy, code)
        if codes is None:
            raise KBError(self.taxonomy.unknown_code(code), where)
        return codes

    # --- maintenance ---------------------------------------------------------------------------

    def backup(self, target: str | os.PathLike[str]) -> Path:
        return backup_to(self.db, Path(target))

    def counts(self) -> dict[str, int]:
        return project_queries.counts(self.db.conn)

    def usage_counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """(current code -> live incidents touching it, category -> live incidents touching any of its modes):
        the store query `kb taxonomy list` runs, so the browser and the CLI cannot count apart."""
        from kb.store.queries import taxonomy
        from kb.taxonomy_index import current_codes

        return taxonomy.usage_counts(self.db.conn, current_codes(self.taxonomy))

    def mode_counts(self) -> dict[str, int]:
        """Incidents per current taxonomy code (only codes with some), as `kb taxonomy list` counts them."""
        return {code: n for code, n in self.usage_counts()[0].items() if n}

    def overdue_actions(self, as_of: date | None = None) -> int:
        """Open action items whose due date is before `as_of` (default today), duplicates excluded."""
        day = (as_of or now_utc().date()).isoformat()
        return repo.overdue_action_count(self.db, day)


def _revalidate(model: Any) -> Any:
    """Models built with model_copy(update=...) skip validation; nothing unvalidated is stored."""
    try:
        return type(model).model_validate(model.model_dump(mode="python", by_alias=True, warnings=False))
    except ValidationError as exc:
        raise KBError(validation_message(exc), str(getattr(model, "id", None) or getattr(model, "slug", ""))) from None


def _apply(model: type[Project] | type[Incident], current: Any, changes: dict[str, Any], where: str) -> Any:
    data = current.model_dump(mode="python", by_alias=True, exclude_none=True)
    data.update(changes)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise KBError(validation_message(exc), where) from None


def _confined(root: Path, sub: str, name: str) -> Path:
    """A path inside `root`, or an error: a hostile id must not write elsewhere."""
    base = root.resolve()
    target = (base / sub / name).resolve()
    if not target.is_relative_to(base) or target.parent != (base / sub).resolve():
        raise KBError(f"refusing to write outside the export directory: {name!r}", str(root))
    from kb.fsio import private_dir

    private_dir(target.parent)
    return target


def _write_if_changed(target: Path, text: str) -> bool:
    """Atomic replace (temp file + rename), owner-only, skipped when the bytes are already there."""
    from kb.fsio import atomic_write, fs_error

    data = text.encode("utf-8")
    try:
        if target.is_file() and target.read_bytes() == data:
            return False
    except OSError as exc:
        raise fs_error(exc, target, "read") from None
    atomic_write(target, data)
    return True
