"""The team repository: export everything a team shares, import it back, and sync a directory both ways.

The directory (kept in git) is the shared truth; the change log stays local. `sync` compares each
file with what it held at this database's last sync (content hashes kept in the database): a file
changed only in the directory is imported, a record changed only in the database is written, and
a record changed on both sides is a conflict, reported by name, with neither side overwritten.
Flag events are facts, so a month changed on both sides is united instead.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from kb.errors import KBError
from kb.ops.base import Service

if TYPE_CHECKING:
    from kb.ops.base import Session
    from kb.ops.records import ImportReport, RecordService
    from kb.ops.silent import SilentService

Progress = Callable[[int], None]


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class ExportReport:
    counts: dict[str, int] = field(default_factory=dict)
    written: int = 0


@dataclass
class SyncReport:
    imported: list[str] = field(default_factory=list)
    exported: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    removed_in_directory: list[str] = field(default_factory=list)


def _inside(root: Path, relpath: str) -> Path:
    """The file for `relpath` under `root`, or an error: a hostile name (`..`, an absolute path, a
    symlinked folder or file) must not make kb write anywhere else."""
    from kb.teamdir import kind_of

    base = root.resolve()
    parts = PurePosixPath(relpath).parts
    target = base.joinpath(*parts)
    if kind_of(relpath) is None or ".." in parts or target.resolve() != target:
        raise KBError(f"refusing to write outside the export directory: {relpath!r}", str(root))
    return target


def write_if_changed(target: Path, text: str) -> bool:
    """Atomic replace (kb.fsio: temp file + rename, owner-only), skipped when the bytes are already there."""
    from kb.fsio import atomic_write, private_dir

    data = text.encode("utf-8")
    if target.exists() and target.read_bytes() == data:
        return False
    private_dir(target.parent)
    atomic_write(target, data)
    return True


def team_layout(path: Path) -> bool:
    """A directory `kb export` wrote: it has a folder beyond projects/ and incidents/."""
    from kb.teamdir import TEAM_DIRS

    return path.is_dir() and any((path / d).is_dir() for d in TEAM_DIRS)


def directory_files(root: Path) -> dict[str, Path]:
    """Every record file under `root`, by its path relative to it (other files are not kb's)."""
    from kb.teamdir import kind_of

    out = {}
    if root.is_dir():
        for p in root.rglob("*"):
            rel = p.relative_to(root).as_posix()
            if p.is_file() and not p.name.startswith(".") and kind_of(rel):
                out[rel] = p
    return out


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise KBError("not UTF-8 text", str(path)) from None
    except OSError as exc:
        raise KBError(exc.strerror or "cannot read", str(path)) from None


class TeamService(Service):
    """The team repository: the database as one file per record, and back (import, export, sync)."""

    def __init__(self, session: Session, records: RecordService, silent: SilentService) -> None:
        super().__init__(session)
        self.records = records
        self.silent = silent

    # --- the database as files -----------------------------------------------------------------

    def team_files(self) -> Iterator[tuple[str, str]]:
        """Every file of the team repository, as (relative path, text); the same data, the same bytes."""
        from kb import teamdir
        from kb.store import repo, team
        from kb.yamldoc import document, to_yaml

        for p in repo.iter_projects(self.db):
            yield f"projects/{p.slug}.yaml", to_yaml(document(p))
        for i in repo.iter_incidents(self.db):
            yield f"incidents/{i.id}.yaml", to_yaml(document(i))
        yield from teamdir.render_decisions(team.decision_rows(self.db))
        for row in team.frozen_rows(self.db):
            yield teamdir.render_review(row)
        yield from teamdir.render_flags(team.flag_rows(self.db))
        yield from teamdir.render_health(team.health_rows(self.db))

    def export_team(self, directory: str | os.PathLike[str], progress: Progress | None = None) -> ExportReport:
        """Write the team repository into `directory`; only files whose bytes change are rewritten."""
        from kb.fsio import private_dir
        from kb.store.retry import read_snapshot
        from kb.teamdir import kind_of

        root = private_dir(directory)
        report = ExportReport(
            counts={k: 0 for k in ("projects", "incidents", "decisions", "reviews", "flags", "health")}
        )
        with read_snapshot(self.db):
            for rel, text in self.team_files():
                target = _inside(root, rel)
                report.counts[kind_of(rel) or ""] += 1
                if write_if_changed(target, text):
                    report.written += 1
                if progress:
                    progress(1)
        return report

    def export_size(self) -> int:
        """Roughly how many files an export writes (for a progress bar)."""
        from kb.store.repo import record_count

        return record_count(self.db)

    # --- files into the database ---------------------------------------------------------------

    def _import_record(self, kind: str, path: Path, known: set[str]) -> None:
        """One file of the team layout into the database (inside the caller's transaction)."""
        from kb import teamdir
        from kb.store import team

        where = str(path)
        if kind in ("projects", "incidents"):
            self.records.import_paths([where])
        elif kind == "decisions":
            for row in teamdir.parse_decisions(_read(path), where):
                if row["project"] not in known:
                    raise KBError(f"decision for unknown project {row['project']!r}", where)
                if not team.has_decision(self.db, row):
                    team.insert_decision(self.db, row)
        elif kind == "reviews":
            import json

            row = teamdir.parse_review(_read(path), where)
            stored = team.frozen_body(self.db, row["quarter"])
            if stored is None:
                team.insert_frozen(self.db, row)
            elif json.loads(stored) != json.loads(row["body"]):
                raise KBError(
                    f"differs from the frozen review of {row['quarter']} here; a frozen review never changes", where
                )
        elif kind == "flags":
            team.insert_flag_events(self.db, teamdir.parse_flags(_read(path), where))
        elif kind == "health":
            self.silent.import_health(path)

    def import_team(self, directory: str | os.PathLike[str], progress: Progress | None = None) -> dict[str, int]:
        """The rest of a team repository (decisions, reviews, flags, health), after its projects and
        incidents (which `import_paths` reads); the caller holds the transaction. Returns files per kind."""
        from kb.store import team
        from kb.teamdir import TEAM_DIRS, kind_of

        root = Path(directory).expanduser()
        files = directory_files(root)
        counts = dict.fromkeys(TEAM_DIRS, 0)
        with self.transaction():
            known = team.project_slugs(self.db)
            for kind in TEAM_DIRS:
                for rel in sorted(r for r in files if kind_of(r) == kind):
                    self._import_record(kind, files[rel], known)
                    counts[kind] += 1
                    if progress:
                        progress(1)
        return counts

    def import_paths(
        self, paths: list[str], progress: Callable[[int], None] | None = None, *, add_only: bool = False
    ) -> ImportReport:
        """Import YAML documents and team repositories (a directory `kb export` wrote), in one transaction.

        A team repository's projects/ and incidents/ are read as documents (RecordService.import_paths),
        the rest by `import_team`.
        """
        teams = [Path(p) for p in paths if p != "-" and team_layout(Path(p))]
        if not teams:
            return self.records.import_paths(paths, progress, add_only=add_only)
        from kb.ops.records import ImportReport

        docs = [p for p in paths if p == "-" or Path(p) not in teams]
        docs += [str(t / sub) for t in teams for sub in ("projects", "incidents") if (t / sub).is_dir()]
        with self.transaction():
            report = self.records.import_paths(docs, progress, add_only=add_only) if docs else ImportReport()
            for t in teams:
                for kind, n in self.import_team(t, progress).items():
                    report.files[kind] = report.files.get(kind, 0) + n
        return report

    # --- both ways -----------------------------------------------------------------------------

    def sync(self, directory: str | os.PathLike[str]) -> SyncReport:
        """Import what changed in `directory` since the last sync, then export what changed here."""
        from kb import teamdir
        from kb.fsio import private_dir
        from kb.store import team

        root = private_dir(directory)
        key = str(root.resolve())
        report = SyncReport()
        with self.transaction():
            base = team.sync_base(self.db, key)
            disk_hash = {rel: _hash(_read(p)) for rel, p in directory_files(root).items()}
            mine = {rel: _hash(t) for rel, t in self.team_files()}
            order = {k: n for n, k in enumerate(teamdir.KINDS)}
            for rel in sorted(set(disk_hash) | set(base), key=lambda r: (order.get(teamdir.kind_of(r) or "", 99), r)):
                d, b, m = disk_hash.get(rel), base.get(rel), mine.get(rel)
                if d is None:
                    if b is not None and m == b:
                        report.removed_in_directory.append(rel)  # kept here: nothing is deleted
                    continue
                if d in (b, m):
                    continue  # the directory did not change this file, or both agree already
                if m is not None and m != b:
                    if teamdir.kind_of(rel) == "flags":
                        report.merged.append(rel)
                    else:
                        report.conflicts.append(rel)
                        continue
                known = team.project_slugs(self.db)
                self._import_record(teamdir.kind_of(rel) or "", root / rel, known)
                report.imported.append(rel)
            conflicts = set(report.conflicts)
            hashes = {}
            for rel, text in self.team_files():
                if rel in conflicts:
                    continue
                if rel in report.removed_in_directory:
                    hashes[rel] = base[rel]
                    continue
                if write_if_changed(_inside(root, rel), text) and rel not in report.imported:
                    report.exported.append(rel)
                hashes[rel] = _hash(text)
            for rel in conflicts:
                if rel in base:
                    hashes[rel] = base[rel]  # still unresolved: the next sync sees both sides changed again
            team.set_sync_base(self.db, key, hashes)
        return report
