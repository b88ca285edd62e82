"""Service operations for the flag logs, health metrics and the silent-failure detector (issue 5)."""

from __future__ import annotations

import contextlib
import csv
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.errors import KBError, UnknownFlag
from kb.ops.base import Service
from kb.timeutil import as_utc, instant, now_utc, stamp

if TYPE_CHECKING:
    from kb.models import Incident
    from kb.ops.base import Session
    from kb.ops.records import RecordService
    from kb.parallel import Runner
    from kb.silent.config import SilentConfig
    from kb.silent.detector import Snapshot, Verdict
    from kb.silent.events import FlagEvent, FlagImportReport
    from kb.silent.health import HealthImportReport, HealthPoint


def _open_text(path: Path) -> Any:
    try:
        # utf-8-sig: a byte-order mark (Excel and PowerShell write one) is not part of the text
        return path.open("r", encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise KBError(f"cannot read the file ({exc.strerror})", str(path)) from None


class SilentService(Service):
    """Flag logs, health metrics and the silent-failure detector; logging a shutdown records an incident."""

    def __init__(self, session: Session, records: RecordService) -> None:
        super().__init__(session)
        self.records = records

    # --- flag events ---------------------------------------------------------------------------

    def import_flags(
        self,
        path: str | os.PathLike[str],
        fmt: str | None = None,
        on_read: Callable[[int], None] | None = None,
    ) -> FlagImportReport:
        """Stream a flag log (a file, or `-` for standard input) into flag_events; a bad event anywhere imports nothing.

        `on_read(n)` is told of every n characters read (the CLI's progress bar).
        """
        from kb.silent.formats.detect import read_events

        name = str(path)
        if name == "-":
            import io
            import sys

            # not closed afterwards: standard input belongs to the process
            fh: Any = contextlib.nullcontext(io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline=""))
            where = "<stdin>"
        else:
            p = Path(path).expanduser()
            fh, where = _open_text(p), str(p)
        with fh as fh:
            try:
                fmt_name, saw, stream = read_events(fh, fmt, on_read)
                return self.ingest_flag_events(fmt_name, stream, detected=saw)
            except KBError as exc:
                raise KBError(f"{exc.where}: {exc.message}" if exc.where else exc.message, where) from None
            except UnicodeDecodeError as exc:
                raise KBError(f"not UTF-8 text (byte {exc.start})", where) from None
            except csv.Error as exc:  # a cell over the csv module's 128 kB limit, a stray NUL
                raise KBError(f"not valid CSV ({exc})", where) from None

    def ingest_flag_events(
        self, fmt: str, stream: Iterable[tuple[int, list[FlagEvent]]], detected: str = ""
    ) -> FlagImportReport:
        """Store a stream of (record index, normalised events) in one transaction (nested: a savepoint).

        The one write path for flag events, from files and from vendor APIs alike: identity,
        repeats, duplicates and conflicts as kb.store.flag_events describes.
        """
        from kb.silent.events import FlagImportReport
        from kb.store.flag_events import Ingest

        with self.transaction():
            report = FlagImportReport(format=fmt, detected=detected)
            ingest = Ingest(self.db, report)
            ingest.feed(stream)
            ingest.finish()
            return report

    def flag_events(
        self, project: str | None = None, flag: str | None = None, since: date | datetime | None = None
    ) -> list[FlagEvent]:
        """Events in time order; an event whose flag belongs to two projects is listed once per project."""
        from kb.store.queries import flags

        return self._events(flags.flag_events(self.db.conn, project=project, flag=flag, since=since))

    def unmapped_flag_events(self) -> list[FlagEvent]:
        """Events whose flag no project lists: kept, never dropped, until a project claims the flag."""
        from kb.store.queries import flags

        return self._events(flags.unmapped_flag_events(self.db.conn))

    def _events(self, rows: list[Any]) -> list[FlagEvent]:
        from kb.silent.events import FlagEvent

        return [FlagEvent.model_validate(r.document()) for r in rows]

    # --- health metrics ------------------------------------------------------------------------

    def import_health(self, path: str | os.PathLike[str]) -> HealthImportReport:
        """Validate the whole CSV, then write it in one transaction; a period already there is replaced."""
        from kb.silent.health import COLUMNS, HealthImportReport, read_rows
        from kb.store import changelog
        from kb.store.silent import health_periods, project_slugs, put_health

        stdin = str(path) == "-"
        p = Path("<stdin>") if stdin else Path(path).expanduser()
        projects = project_slugs(self.db)
        with nullcontext(sys.stdin) if stdin else _open_text(p) as fh:
            try:
                rows = list(read_rows(fh, projects))
            except KBError as exc:
                raise KBError(f"{exc.where}: {exc.message}", str(p)) from None
            except UnicodeDecodeError as exc:
                raise KBError(f"not UTF-8 text (byte {exc.start})", str(p)) from None
            except csv.Error as exc:  # a cell over the csv module's 128 kB limit, a stray NUL
                raise KBError(f"not valid CSV ({exc})", str(p)) from None
        report = HealthImportReport(rows=len(rows), projects=len({r.project for r in rows}))
        cols = (*COLUMNS[:2], "period_start", "period_end", *COLUMNS[2:])  # the CSV's columns plus the bounds
        with self.transaction():
            kinds: dict[str, set[str]] = defaultdict(set)
            existing: set[tuple[str, str]] = set()
            for slug, period in health_periods(self.db):
                existing.add((slug, period))
                kinds[slug].add(_kind(period))
            for r in rows:
                kinds[r.project].add(r.period_kind)
                if len(kinds[r.project]) > 1:
                    raise KBError(
                        f"period: {r.project} would mix {' and '.join(sorted(kinds[r.project]))} periods "
                        "(a trend needs one kind of period per project)",
                        f"{p}: line {r.line}",
                    )
                if (r.project, r.period) in existing:
                    report.replaced += 1
                else:
                    report.added += 1
            put_health(
                self.db,
                cols,
                [tuple((int(v) if isinstance(v, bool) else v) for v in (getattr(r, c) for c in cols)) for r in rows],
            )
            changelog.record(
                self.db,
                self.actor,
                "health",
                p.name,
                "import",
                {
                    "rows": report.rows,
                    "added": report.added,
                    "replaced": report.replaced,
                    "projects": sorted({r.project for r in rows}),
                },
            )
        return report

    def health_series(self, slug: str) -> list[HealthPoint]:
        from dataclasses import asdict

        from kb.silent.health import HealthPoint
        from kb.store import repo
        from kb.store.queries import health

        repo.require_project(self.db, slug)
        return [HealthPoint(**asdict(r)) for r in health.health_series(self.db.conn, slug)]

    # --- the detector --------------------------------------------------------------------------

    def silent_scan(
        self,
        as_of: date | None = None,
        project: str | None = None,
        config_path: str | os.PathLike[str] | None = None,
    ) -> list[Verdict]:
        """Verdicts for every project that is not retired (or one), worst first, from what was known at as_of."""
        return self.silent_scan_many([as_of or now_utc().date()], project, config_path)[0]

    def silent_scan_many(
        self,
        as_ofs: list[date],
        project: str | None = None,
        config_path: str | os.PathLike[str] | None = None,
    ) -> list[list[Verdict]]:
        """`silent_scan` at each date, from one read of the store (a review scans its quarter and the one before)."""
        from kb.ops.silent_scan import scan_dates

        return scan_dates(self.db.conn, as_ofs, project, config_path)

    def silent_scan_pair(
        self,
        as_of: date,
        before: date,
        runner: Runner | None = None,
        config_path: str | os.PathLike[str] | None = None,
    ) -> tuple[list[Verdict], dict[str, str]]:
        """The verdicts at `as_of`, and each project's verdict word at `before` (a review's two quarter ends).

        One read of the store serves both dates (kb.ops.silent_scan.scan_pair); the scan at `before`
        runs as `runner` decides.
        """
        from kb.ops.silent_scan import scan_pair

        return scan_pair(self.db.conn, as_of, before, runner, config_path)

    def silent_snapshots(
        self, as_ofs: list[date], project: str | None = None, cfg: SilentConfig | None = None
    ) -> list[Snapshot]:
        """One snapshot per date, from one read of the store (kb.ops.silent_scan.snapshots)."""
        from kb.ops.silent_scan import snapshots

        return snapshots(self.db.conn, as_ofs, project, cfg)

    # --- recording a shutdown ------------------------------------------------------------------

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
        """Record a quiet shutdown in one step: the incident and the flag's switch-off, together.

        Without `at`, the latest disable of that flag in that environment found in the flag log is
        used (its time and actor); failing that, today. When the log holds no switch-off of the flag
        on that day, one is recorded (source `kb`), so the detector and the flag history see the flag
        as off at once. A flag the project does not list is refused with the flags it does list,
        unless `add_flag` says the user confirmed adding it to the project.
        """
        from kb.models import Classification, FlagChange, Incident
        from kb.store import flag_log, repo

        project = repo.require_project(self.db, slug)
        if at is not None and as_utc(at) > now_utc():
            raise KBError(f"{at} is in the future", "--at")
        if flag not in project.feature_flags and not add_flag:
            raise UnknownFlag(slug, flag, project.feature_flags)
        actor = ""
        from_log = False
        if at is None:
            found = flag_log.latest_disable(self.db, flag, environment)
            if found:
                at, actor, from_log = instant(found[0]), found[1], True
        now = now_utc()
        when = at if at is not None else now.date()
        if as_utc(when) > now:
            raise KBError(f"{when} is in the future", "--at")
        evidence = f"flag {flag} switched off in {environment} on {as_utc(when):%Y-%m-%d}"
        evidence += f" by {actor}" if actor else ""
        evidence += f"; reason given: {reason}" if reason else "; no reason given"
        inc = Incident(
            project=slug,
            title=f"{flag} switched off in {environment}",
            kind="quiet-shutdown",
            status="open",
            started_at=when,
            detected_at=now,
            detected_by=detected_by,  # type: ignore[arg-type]
            announced=announced,
            postmortem="none",
            flag=FlagChange.model_validate(
                {"key": flag, "environment": environment, "from": "on", "to": "off", "at": when, "actor": actor}
            ),
            summary=reason or "Recorded with kb log-shutdown; no reason was given for the shutdown.",
            modes=[
                Classification(code="silent.quiet-shutdown", role="primary", confidence="potential", evidence=evidence)
            ],
        )
        with self.transaction():
            if flag not in project.feature_flags:
                self.records.edit_project(slug, {"feature_flags": [*project.feature_flags, flag]})
            inc = self.records.add_incident(inc)
            at_text = stamp(as_utc(when))
            if not from_log and not flag_log.disable_on_day(self.db, flag, environment, at_text[:10]):
                flag_log.record_disable(
                    self.db,
                    incident_id=inc.id or "",
                    flag=flag,
                    environment=environment,
                    at=at_text,
                    actor=actor,
                    imported_at=stamp(now),
                    raw={"logged_by": self.actor, "incident": inc.id, "reason": reason, "announced": announced},
                )
        return inc


def _kind(label: str) -> str:
    from kb.timeutil import parse_period

    return parse_period(label).kind
