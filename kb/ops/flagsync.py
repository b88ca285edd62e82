"""Service operations for live pulls from flag systems and flag files kept in git (issue 15)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from kb.errors import KBError
from kb.ops.base import Service

if TYPE_CHECKING:
    from kb.flagsync.pull import Progress
    from kb.flagsync.settings import PullSettings
    from kb.ops.base import Session
    from kb.ops.silent import SilentService


class PullReport(BaseModel):
    vendor: str
    base_url: str
    project: str = ""
    environment: str = ""
    pages: int = 0
    requests: int = 0
    fetched: int = 0  # new entries read from the API
    added: int = 0  # flag events stored
    duplicates: int = 0
    skipped: int = 0  # entries not about a flag
    mapped: int = 0
    unmapped: int = 0
    cursor: Any = None
    notes: list[str] = Field(default_factory=list)


class GitImportReport(BaseModel):
    repo: str
    path: str
    environment: str = ""
    read: int = 0
    added: int = 0
    duplicates: int = 0
    mapped: int = 0
    unmapped: int = 0


class FlagSyncService(Service):
    """Flag logs fetched from a vendor's API or a git repository, stored through the silent service's import."""

    def __init__(self, session: Session, silent: SilentService) -> None:
        super().__init__(session)
        self.silent = silent

    def pull_flags(self, settings: PullSettings, *, retries: int = 3, progress: Progress | None = None) -> PullReport:
        """Every entry newer than this source's cursor, imported in one transaction with the new cursor.

        Pages are fetched first (into a spool file, each entry checked by the vendor's parser); a page
        that fails leaves the database untouched. Then the spool is imported like a file.
        """
        from kb.flagsync.pull import fetch
        from kb.store import changelog, flag_sources

        start = flag_sources.cursor(self.db, settings.source_key)
        report = PullReport(
            vendor=settings.vendor,
            base_url=settings.base_url,
            project=settings.project,
            environment=settings.environment,
        )
        with tempfile.TemporaryDirectory(prefix="kb-pull-") as tmp:
            spool = Path(tmp) / f"{settings.vendor}.ndjson"
            with spool.open("w", encoding="utf-8") as fh:
                got = fetch(settings, start, fh, retries=retries, progress=progress)
            report.pages, report.requests, report.fetched = got.pages, got.requests, got.entries
            report.notes, report.cursor = got.notes, got.cursor
            with self.transaction():
                if got.entries:
                    try:
                        imported = self.silent.import_flags(spool, settings.vendor)
                    except KBError as exc:
                        raise KBError(f"nothing stored: {exc.message}", f"{settings.vendor} pull") from None
                    report.added, report.duplicates, report.skipped = (
                        imported.added,
                        imported.duplicates,
                        imported.skipped,
                    )
                    report.mapped, report.unmapped = imported.mapped, imported.unmapped
                flag_sources.save_cursor(
                    self.db,
                    settings.source_key,
                    settings.vendor,
                    settings.base_url,
                    settings.project,
                    settings.environment,
                    got.cursor,
                    report.added,
                )
                changelog.record(
                    self.db,
                    self.actor,
                    "flag_source",
                    settings.source_key,
                    "pull",
                    {"pages": report.pages, "fetched": report.fetched, "added": report.added, "cursor": got.cursor},
                )
        return report

    def import_git_flags(self, repo: str | os.PathLike[str], path: str, environment: str = "") -> GitImportReport:
        """A flagd file's history from git, in one transaction; re-running it adds nothing."""
        from kb.flagsync.gitflags import history
        from kb.store import changelog

        events = list(history(repo, path, environment))  # every version parsed before anything is written
        report = GitImportReport(repo=str(Path(repo).expanduser()), path=path, environment=environment)
        with self.transaction():
            stored = self.silent.ingest_flag_events("git", ((n, [e]) for n, e in enumerate(events)))
            report.read, report.added, report.duplicates = stored.read, stored.added, stored.duplicates
            report.mapped, report.unmapped = stored.mapped, stored.unmapped
            changelog.record(
                self.db,
                self.actor,
                "flag_source",
                f"git|{report.repo}|{path}",
                "import-git",
                {"events": report.read, "added": report.added, "environment": environment},
            )
        return report

    def flag_sources(self) -> list[dict[str, Any]]:
        from kb.store import flag_sources

        return flag_sources.sources(self.db)
