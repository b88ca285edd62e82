"""The service layer: every operation the CLI and the TUI offer, in one place, so both behave alike.

`KB` is a façade over the domain services of kb/ops (records, editing, silent failures, flag sync,
the causal graph, reviews, the team repository, maintenance, the seed). It builds each one with the
services it depends on and delegates every operation explicitly, by the names callers have always used.

Each public method that writes runs in one transaction. A KB object owns one SQLite connection and
must be used from the thread that created it (the TUI opens one per worker thread).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from kb import config
from kb.errors import NotFound
from kb.models import ChangeRecord, Incident, Project
from kb.ops.base import Session, load_taxonomy_or_error
from kb.ops.edit import EditService
from kb.ops.flagsync import FlagSyncService
from kb.ops.graph import GraphService
from kb.ops.maint import MaintService
from kb.ops.records import ImportReport, RecordService
from kb.ops.review import ReviewService
from kb.ops.seed import SeedService
from kb.ops.silent import SilentService
from kb.ops.team import TeamService
from kb.store.db import open_db
from kb.store.queries.incidents import IncidentRow
from kb.store.queries.projects import ProjectRow
from kb.timeutil import Moment

if TYPE_CHECKING:
    import networkx as nx

    from kb.flagsync.pull import Progress
    from kb.flagsync.settings import PullSettings
    from kb.graph.results import Chain, Keystone, RecurringChain, RootCauseReport, Similar, WhySuggestion
    from kb.models import Action, Cause, Link
    from kb.ops.flagsync import GitImportReport, PullReport
    from kb.ops.graph import GraphPatterns
    from kb.ops.maint import CheckReport
    from kb.ops.team import ExportReport, SyncReport
    from kb.ops.team import Progress as TeamProgress
    from kb.parallel import Runner
    from kb.review.model import Decision, FrozenReviewInfo, Review, ReviewDiff
    from kb.silent.config import SilentConfig
    from kb.silent.detector import Snapshot, Verdict
    from kb.silent.events import FlagEvent, FlagImportReport
    from kb.silent.health import HealthImportReport, HealthPoint
    from kb.store.search import SearchHit
    from kb.taxonomy import Taxonomy


class KB:
    """A handle on one knowledge base file."""

    runner: Runner | None = None  # how a review's parts run (kb.parallel); None: kb.parallel.default_runner

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        actor: str | None = None,
        *,
        create: bool = True,
        migrate: bool = True,
        runner: Runner | None = None,
    ) -> None:
        self.path = config.resolve_db_path(path)
        self.actor = config.resolve_actor(actor)
        self.db: Database = open_db(self.path, create=create, migrate=migrate)
        self.runner = runner

    # --- plumbing ------------------------------------------------------------------------------

    @cached_property
    def taxonomy(self) -> Taxonomy:
        return load_taxonomy_or_error()

    @cached_property
    def session(self) -> Session:
        return Session(self.path, self.actor, self.db, lambda: self.taxonomy)

    @cached_property
    def records_service(self) -> RecordService:
        return RecordService(self.session)

    @cached_property
    def edit_service(self) -> EditService:
        return EditService(self.session)

    @cached_property
    def silent_service(self) -> SilentService:
        return SilentService(self.session, self.records_service)

    @cached_property
    def flagsync_service(self) -> FlagSyncService:
        return FlagSyncService(self.session, self.silent_service)

    @cached_property
    def maint_service(self) -> MaintService:
        return MaintService(self.session)

    @cached_property
    def team_service(self) -> TeamService:
        return TeamService(self.session, self.records_service, self.silent_service)

    @cached_property
    def seed_service(self) -> SeedService:
        return SeedService(self.session, self.records_service, self.silent_service)

    @cached_property
    def graph_service(self) -> GraphService:
        return GraphService(self.session)

    @cached_property
    def review_service(self) -> ReviewService:
        return ReviewService(self.session, self.graph_service, self.runner)

    def close(self) -> None:
        self.db.close()

    @property
    def on_disk(self) -> bool:
        """False for an in-memory database, which no second connection can see."""
        return self.session.on_disk

    def __enter__(self) -> KB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def transaction(self) -> AbstractContextManager[Database]:
        """All or nothing: the unit of work of one command (BEGIN IMMEDIATE, see kb.store.retry)."""
        return self.session.transaction()

    def require_code(self, code: str, where: str, prefix: str = "") -> str:
        """The current code for `code` (aliases followed), or an error suggesting the closest codes."""
        return self.session.require_code(code, where, prefix)

    def check_codes(self, inc: Incident, where: str = "") -> None:
        """Reject taxonomy codes that do not exist, suggesting the closest ones."""
        self.session.check_codes(inc, where)

    # --- RecordService ---
    def get_project(self, slug: str) -> Project:
        return self.records_service.get_project(slug)

    def projects(self) -> list[Project]:
        return self.records_service.projects()

    def project_rows(self, *, stage: str | None = None, team: str | None = None) -> list[ProjectRow]:
        return self.records_service.project_rows(stage=stage, team=team)

    def add_project(self, project: Project) -> Project:
        return self.records_service.add_project(project)

    def edit_project(self, slug: str, changes: dict[str, Any]) -> Project:
        return self.records_service.edit_project(slug, changes)

    def save_project(self, project: Project) -> str:
        return self.records_service.save_project(project)

    def get_incident(self, incident_id: str) -> Incident:
        return self.records_service.get_incident(incident_id)

    def resolve_incident(self, incident_id: str) -> Incident:
        return self.records_service.resolve_incident(incident_id)

    def incidents(self, where: str = "", params: list[Any] | None = None) -> Iterator[Incident]:
        return self.records_service.incidents(where, params)

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
        return self.records_service.incident_rows(
            project=project,
            kind=kind,
            status=status,
            since=since,
            include_duplicates=include_duplicates,
            limit=limit,
            mode=mode,
        )

    def add_incident(self, incident: Incident) -> Incident:
        return self.records_service.add_incident(incident)

    def save_incident(self, incident: Incident) -> Incident:
        return self.records_service.save_incident(incident)

    def edit_incident(self, incident_id: str, changes: dict[str, Any]) -> Incident:
        return self.records_service.edit_incident(incident_id, changes)

    def merge_incident(self, dup_id: str, into_id: str) -> Incident:
        return self.records_service.merge_incident(dup_id, into_id)

    def history(self, entity: str, entity_id: str) -> list[ChangeRecord]:
        return self.records_service.history(entity, entity_id)

    def import_paths(
        self, paths: list[str], progress: Callable[[int], None] | None = None, *, add_only: bool = False
    ) -> ImportReport:
        return self.team_service.import_paths(paths, progress, add_only=add_only)

    def export_dir(self, directory: str | os.PathLike[str]) -> dict[str, int]:
        return self.records_service.export_dir(directory)

    def search(
        self,
        text: str,
        *,
        project: str | None = None,
        mode: str | None = None,
        kind: str | None = None,
        since: Moment | None = None,
        limit: int = 20,
    ) -> list[SearchHit]:
        return self.records_service.search(text, project=project, mode=mode, kind=kind, since=since, limit=limit)

    def codes_under(self, code: str, where: str) -> list[str]:
        return self.records_service.codes_under(code, where)

    def backup(self, target: str | os.PathLike[str]) -> Path:
        return self.records_service.backup(target)

    def counts(self) -> dict[str, int]:
        return self.records_service.counts()

    def mode_counts(self) -> dict[str, int]:
        return self.records_service.mode_counts()

    def usage_counts(self) -> tuple[dict[str, int], dict[str, int]]:
        return self.records_service.usage_counts()

    def overdue_actions(self, as_of: date | None = None) -> int:
        return self.records_service.overdue_actions(as_of)

    # --- EditService ---
    def incident_as_yaml(self, incident_id: str) -> str:
        return self.edit_service.incident_as_yaml(incident_id)

    def save_incident_yaml(self, incident_id: str, text: str, source: str = "edited incident") -> tuple[Incident, bool]:
        return self.edit_service.save_incident_yaml(incident_id, text, source)

    def add_cause(self, incident_id: str, cause: dict[str, Any]) -> Cause:
        return self.edit_service.add_cause(incident_id, cause)

    def add_action(self, incident_id: str, action: dict[str, Any]) -> Action:
        return self.edit_service.add_action(incident_id, action)

    def add_link(self, incident_id: str, link: dict[str, Any]) -> Link:
        return self.edit_service.add_link(incident_id, link)

    # --- SilentService ---
    def import_flags(
        self, path: str | os.PathLike[str], fmt: str | None = None, on_read: Callable[[int], None] | None = None
    ) -> FlagImportReport:
        return self.silent_service.import_flags(path, fmt, on_read)

    def ingest_flag_events(
        self, fmt: str, stream: Iterable[tuple[int, list[FlagEvent]]], detected: str = ""
    ) -> FlagImportReport:
        return self.silent_service.ingest_flag_events(fmt, stream, detected)

    def flag_events(
        self, project: str | None = None, flag: str | None = None, since: date | datetime | None = None
    ) -> list[FlagEvent]:
        return self.silent_service.flag_events(project, flag, since)

    def unmapped_flag_events(self) -> list[FlagEvent]:
        return self.silent_service.unmapped_flag_events()

    def import_health(self, path: str | os.PathLike[str]) -> HealthImportReport:
        return self.silent_service.import_health(path)

    def health_series(self, slug: str) -> list[HealthPoint]:
        return self.silent_service.health_series(slug)

    def silent_scan(
        self, as_of: date | None = None, project: str | None = None, config_path: str | os.PathLike[str] | None = None
    ) -> list[Verdict]:
        return self.silent_service.silent_scan(as_of, project, config_path)

    def silent_scan_many(
        self, as_ofs: list[date], project: str | None = None, config_path: str | os.PathLike[str] | None = None
    ) -> list[list[Verdict]]:
        return self.silent_service.silent_scan_many(as_ofs, project, config_path)

    def silent_scan_pair(
        self, as_of: date, before: date, runner: Runner | None = None, config_path: str | os.PathLike[str] | None = None
    ) -> tuple[list[Verdict], dict[str, str]]:
        return self.silent_service.silent_scan_pair(as_of, before, runner, config_path)

    def silent_snapshots(
        self, as_ofs: list[date], project: str | None = None, cfg: SilentConfig | None = None
    ) -> list[Snapshot]:
        return self.silent_service.silent_snapshots(as_ofs, project, cfg)

    def log_shutdown(
        self,
        slug: str,
        flag: str,
        at: date | datetime | None = None,
        reason: str = "",
        announced: bool = False,
        environment: str = "production",
        detected_by: str = "audit",
        add_flag: bool = False,
    ) -> Incident:
        return self.silent_service.log_shutdown(slug, flag, at, reason, announced, environment, detected_by, add_flag)

    # --- FlagSyncService ---
    def pull_flags(self, settings: PullSettings, *, retries: int = 3, progress: Progress | None = None) -> PullReport:
        return self.flagsync_service.pull_flags(settings, retries=retries, progress=progress)

    def import_git_flags(self, repo: str | os.PathLike[str], path: str, environment: str = "") -> GitImportReport:
        return self.flagsync_service.import_git_flags(repo, path, environment)

    def flag_sources(self) -> list[dict[str, Any]]:
        return self.flagsync_service.flag_sources()

    # --- MaintService ---
    def check(self) -> CheckReport:
        return self.maint_service.check()

    # --- TeamService ---
    def team_files(self) -> Iterator[tuple[str, str]]:
        return self.team_service.team_files()

    def export_team(self, directory: str | os.PathLike[str], progress: TeamProgress | None = None) -> ExportReport:
        return self.team_service.export_team(directory, progress)

    def export_size(self) -> int:
        return self.team_service.export_size()

    def import_team(self, directory: str | os.PathLike[str], progress: TeamProgress | None = None) -> dict[str, int]:
        return self.team_service.import_team(directory, progress)

    def sync(self, directory: str | os.PathLike[str]) -> SyncReport:
        return self.team_service.sync(directory)

    # --- SeedService ---
    def seed(self, public: bool = False) -> ImportReport:
        return self.seed_service.seed(public)

    # --- ReviewService ---
    def review(self, quarter: str | None = None, live: bool = False, parallel: bool | None = None) -> Review:
        return self.review_service.review(quarter, live, parallel)

    def frozen_reviews(self) -> list[FrozenReviewInfo]:
        return self.review_service.frozen_reviews()

    def review_diff(self, q1: str, q2: str) -> ReviewDiff:
        return self.review_service.review_diff(q1, q2)

    def decide(
        self, quarter: str, slug: str, decision: str, owner: str, due: date | str | None = None, note: str = ""
    ) -> Decision:
        return self.review_service.decide(quarter, slug, decision, owner, due, note)

    def freeze_review(self, quarter: str) -> Review:
        return self.review_service.freeze_review(quarter)

    # --- GraphService ---
    def graph(self, project: str | None = None, incident: str | None = None) -> nx.MultiDiGraph:
        return self.graph_service.graph(project, incident)

    def graph_patterns(
        self,
        since: date | None = None,
        until: date | None = None,
        quarter: str | None = None,
        min_count: int = 2,
        limit: int = 10,
    ) -> GraphPatterns:
        return self.graph_service.graph_patterns(since, until, quarter, min_count, limit)

    def chain(self, incident_id: str) -> Chain:
        return self.graph_service.chain(incident_id)

    def root_causes(
        self, since: date | None = None, until: date | None = None, quarter: str | None = None
    ) -> RootCauseReport:
        return self.graph_service.root_causes(since, until, quarter)

    def triggers(
        self, since: date | None = None, until: date | None = None, quarter: str | None = None
    ) -> RootCauseReport:
        return self.graph_service.triggers(since, until, quarter)

    def keystones(
        self, since: date | None = None, until: date | None = None, quarter: str | None = None, limit: int = 10
    ) -> list[Keystone]:
        return self.graph_service.keystones(since, until, quarter, limit)

    def recurring_chains(
        self, min_count: int = 2, since: date | None = None, until: date | None = None, quarter: str | None = None
    ) -> list[RecurringChain]:
        return self.graph_service.recurring_chains(min_count, since, until, quarter)

    def similar(self, incident_id: str, limit: int = 10) -> list[Similar]:
        return self.graph_service.similar(incident_id, limit)

    def why(self, codes: list[str], limit: int = 10) -> list[WhySuggestion]:
        return self.graph_service.why(codes, limit)

    def mode_cycles(self, max_length: int = 6) -> list[list[str]]:
        return self.graph_service.mode_cycles(max_length)

    def export_graph(
        self,
        fmt: str,
        out: str | os.PathLike[str] | None = None,
        incident: str | None = None,
        project: str | None = None,
    ) -> str | bytes:
        return self.graph_service.export_graph(fmt, out, incident, project)


__all__ = ["KB", "ImportReport", "IncidentRow", "NotFound", "ProjectRow"]
