"""Silent-failure commands: flags, health, silent, log-shutdown."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from kb.commands._common import common_options, console, emit_json, json_option, open_kb, open_reader
from kb.errors import KBError

FORMATS = ("unleash", "launchdarkly", "flagsmith", "growthbook", "csv")
VERDICT_STYLE = {"silent-failure": "bold red", "watch": "yellow", "healthy": "green"}


def _date(text: str | None, option: str) -> Any:
    from kb.timeutil import from_text

    if text is None:
        return None
    try:
        return from_text(text)
    except ValueError as exc:
        raise KBError(str(exc), option) from None


# --- flags -------------------------------------------------------------------------------------


@click.group()
def flags() -> None:
    """Import feature-flag audit logs; list events and the ones no project claims."""


@flags.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help="Flag system (default: detect).")
@common_options
@json_option
def flags_import(file: str, fmt: str | None, as_json: bool) -> None:
    """Import a flag log (JSON, NDJSON or CSV; - reads standard input). Idempotent; all or nothing."""
    kb = open_kb()
    with _file_progress(file) as on_read:
        report = kb.import_flags(file, fmt, on_read=on_read)
    if as_json:
        emit_json(report)
        return
    from kb.humanize import plural

    click.echo(
        f"{report.detected or report.format}: read {plural(report.read, 'event')}, added {report.added:,}, "
        f"{report.duplicates:,} already known; "
        f"{report.mapped:,} map to projects, {report.unmapped:,} unmapped"
        + (f"; {plural(report.overrides, 'override')} for one identity, segment or rule" if report.overrides else "")
        + (f"; skipped {plural(report.skipped, 'record')} not about a flag" if report.skipped else "")
        + (f"; corrected {plural(report.reread, 'event')} read better than before" if report.reread else "")
    )
    if report.conflicts:
        named = ", ".join(report.conflicting_keys) + (" ..." if report.conflicts > len(report.conflicting_keys) else "")
        share = "shares" if report.conflicts == 1 else "share"
        click.echo(
            f"{plural(report.conflicts, 'event')} {share} an id with a different stored event; both kept (the new "
            f"one as <id>!<hash>): {named}",
            err=True,
        )


@contextmanager
def _file_progress(file: str) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr while a file is read, only when stderr is a terminal (never in pipes or CI)."""
    import os

    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    total = None if file == "-" else (os.path.getsize(file) if os.path.isfile(file) else None)
    columns = [TextColumn("importing"), BarColumn(), DownloadColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("import", total=total)
        yield lambda n: bar.advance(task, n)


def _print_events(events: list[Any], empty: str) -> None:
    from kb.commands._table import print_table

    headers = ("at", "flag", "env", "action", "from→to", "actor", "project", "comment")
    print_table(headers, _events_table(events), keys=("flag", "project"), empty=empty)


def _events_table(events: list[Any]) -> list[tuple[str, ...]]:
    from kb.humanize import when

    rows: list[tuple[str, ...]] = []
    for e in events:
        arrow = f"{e.state_from or '?'}→{e.state_to}" if e.state_to else ""
        project = e.project or "(unmapped)"
        rows.append(
            tuple(
                str(x or "")
                for x in (when(e.at), e.flag_key, e.environment, e.action, arrow, e.actor, project, e.comment)
            )
        )
    return rows


@flags.command("list")
@click.option("--project", default=None, help="Only this project's flags.")
@click.option("--flag", default=None, help="Only this flag key.")
@click.option("--since", default=None, help="Only events on or after this date.")
@common_options
@json_option
def flags_list(project: str | None, flag: str | None, since: str | None, as_json: bool) -> None:
    """Flag events in time order, with the project each maps to."""
    events = open_reader().flag_events(project=project, flag=flag, since=_date(since, "--since"))
    if as_json:
        emit_json(events)
        return
    _print_events(events, "no flag events")


@flags.command("unmapped")
@common_options
@json_option
def flags_unmapped(as_json: bool) -> None:
    """Events whose flag no project lists (add the flag to a project to claim them)."""
    events = open_reader().unmapped_flag_events()
    if as_json:
        emit_json(events)
        return
    _print_events(events, "every flag event maps to a project")


@flags.command("pull")
@click.argument("vendor", type=click.Choice(["unleash", "launchdarkly", "flagsmith", "growthbook"]))
@click.option(
    "--url", default=None, help="API base URL (default: $KB_<VENDOR>_URL, the config file, the vendor's cloud)."
)
@click.option("--project", default=None, help="Only this project (key, or numeric id for Flagsmith).")
@click.option("--environment", "--env", "environment", default=None, help="Only this environment.")
@click.option(
    "--token",
    default=None,
    help="API token (prefer $KB_<VENDOR>_TOKEN: a command line is visible to other users). Never stored or printed.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="A TOML file of [<vendor>] tables, read above kb's config.toml (docs/settings.md).",
)
@click.option("--retries", type=click.IntRange(0, 10), default=3, show_default=True, help="Retries per request.")
@click.option("--log", "log_path", type=click.Path(dir_okay=False), default=None, help="Append a request log here.")
@common_options
@json_option
def flags_pull(
    vendor: str,
    url: str | None,
    project: str | None,
    environment: str | None,
    token: str | None,
    config_path: str | None,
    retries: int,
    log_path: str | None,
    as_json: bool,
) -> None:
    """Pull new audit-log entries from a flag system's API and import them (incremental, all or nothing).

    \b
    unleash       GET /api/admin/search/events (older servers: /api/admin/events, latest events only)
    launchdarkly  GET /api/v2/auditlog, each flag entry read again from /api/v2/auditlog/{id}
    flagsmith     GET /api/v1/audit/ (--project and --environment are numeric ids)
    growthbook    GET /v1/audits?entityType=feature (no project or environment filter exists)

    Each pull resumes after the newest entry the last one stored; a failed page stores nothing.
    """
    from kb.flagsync.settings import resolve

    settings = resolve(vendor, url=url, project=project, environment=environment, token=token, config_path=config_path)
    with _request_log(log_path, settings.token), _progress(vendor) as progress:
        report = open_kb().pull_flags(settings, retries=retries, progress=progress)
    if as_json:
        emit_json(report)
        return
    where = " ".join(x for x in (report.project and f"project {report.project}", report.environment) if x)
    from kb.humanize import plural

    click.echo(
        f"{vendor}{f' ({where})' if where else ''}: {plural(report.pages, 'page')}, "
        f"{plural(report.fetched, 'new entry', 'new entries')}; "
        f"added {plural(report.added, 'event')}, {report.duplicates:,} already known"
        + (f", skipped {report.skipped:,} not about a flag" if report.skipped else "")
    )
    for note in report.notes:
        click.echo(f"note: {note}")


@contextmanager
def _progress(vendor: str) -> Iterator[Any]:
    """A live line on stderr while pages arrive, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

    with Progress(
        SpinnerColumn(),
        TextColumn(f"pulling {vendor}: page {{task.fields[page]}}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("pull", total=None, page=0)

        def update(pages: int, entries: int, total: int | None) -> None:
            bar.update(task, completed=entries, total=total, page=pages)

        yield update


@contextmanager
def _request_log(path: str | None, token: Any) -> Iterator[None]:
    """Requests, retries and waits appended to PATH (URLs only: headers, and so the token, never reach it)."""
    if path is None:
        yield
        return
    import logging

    from kb.flagsync.http import mask

    class _Mask(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            record.msg, record.args = mask(record.getMessage(), token), None
            return True

    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    handler.addFilter(_Mask())
    loggers = [logging.getLogger(n) for n in ("kb", "httpx")]
    saved = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        for lg, level in zip(loggers, saved, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)
        handler.close()


@flags.command("import-git")
@click.argument("repo", type=click.Path(file_okay=False))
@click.option("--path", "path", required=True, help="The flagd JSON file, relative to the repository root.")
@click.option(
    "--env",
    "environment",
    default="",
    help="The environment this file configures (default: none named, i.e. every environment).",
)
@common_options
@json_option
def flags_import_git(repo: str, path: str, environment: str, as_json: bool) -> None:
    """Import an OpenFeature flagd file's git history: each change of state or default variant is an event.

    Reads the first-parent history of the checked-out branch; the commit's author is the actor, its
    time the event's time and its message the comment. Idempotent; all or nothing.
    """
    report = open_kb().import_git_flags(repo, path, environment)
    if as_json:
        emit_json(report)
        return
    from kb.humanize import plural

    click.echo(
        f"git {path}: read {plural(report.read, 'event')}, added {report.added:,}, "
        f"{report.duplicates:,} already known; {report.mapped:,} map to projects, {report.unmapped:,} unmapped"
    )


@flags.command("sources")
@common_options
@json_option
def flags_sources(as_json: bool) -> None:
    """The flag systems pulled so far: where each stopped, when, and how many events it gave."""
    rows = open_kb().flag_sources()
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no pulls yet: `kb flags pull unleash|launchdarkly|flagsmith|growthbook`")
        return
    from rich.markup import escape
    from rich.table import Table

    t = Table("vendor", "url", "project", "env", "pulled at", "pulls", "events", "cursor", box=None)
    for r in rows:
        t.add_row(
            r["vendor"],
            escape(r["base_url"]),
            escape(r["project"]),
            escape(r["environment"]),
            r["pulled_at"] or "",
            str(r["pulls"]),
            str(r["events"]),
            escape(r["cursor"] or ""),
        )
    console().print(t)


# --- health ------------------------------------------------------------------------------------


@click.group()
def health() -> None:
    """Import and show health metrics per period."""


@health.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@common_options
@json_option
def health_import(file: str, as_json: bool) -> None:
    """Import FILE.csv, or - for standard input (project,period,predictions,acted_on,overrides,quality,...)."""
    report = open_kb().import_health(file)
    if as_json:
        emit_json(report)
        return
    from kb.humanize import plural

    click.echo(
        f"imported {plural(report.rows, 'row')} for {plural(report.projects, 'project')} "
        f"({report.added} new periods, {report.replaced} replaced)"
    )


@health.command("show")
@click.argument("slug")
@common_options
@json_option
def health_show(slug: str, as_json: bool) -> None:
    """A project's health series, period by period, with adoption and override rate."""
    points = open_reader().health_series(slug)
    if as_json:
        emit_json(points)
        return
    from kb.commands._table import Cell, print_table, styled
    from kb.humanize import number, percent

    def num(v: float | None, pct: bool = False) -> str:
        if v is None:
            return "—"
        return percent(v) if pct else number(v)

    def yn(v: bool | None) -> Cell:
        return "—" if v is None else ("yes" if v else styled("no", "red"))

    print_table(
        ("period", "preds", "acted", "adopt", "overr", "ovr%", "quality", "p95ms", "cost", "value", "owner", "flag"),
        (
            (
                p.period,
                num(p.predictions),
                num(p.acted_on),
                num(p.adoption, True),
                num(p.overrides),
                num(p.override_rate, True),
                num(p.quality),
                num(p.latency_p95_ms),
                num(p.cost),
                num(p.value),
                yn(p.owner_confirmed),
                yn(p.flag_on),
            )
            for p in points
        ),
        keys=("period",),
        empty=f"no health data for {slug}: `kb health import FILE.csv`",
    )


# --- silent ------------------------------------------------------------------------------------


@click.command()
@click.option("--as-of", default=None, help="Judge from what was known on this date (default: today).")
@click.option("--project", default=None, help="Only this project.")
@click.option(
    "--fail-on",
    type=click.Choice(["watch", "silent-failure"]),
    default=None,
    help="Exit 2 when any project's verdict is this bad or worse (for CI and cron).",
)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None, help="A TOML override file.")
@common_options
@json_option
def silent(as_of: str | None, project: str | None, fail_on: str | None, config_path: str | None, as_json: bool) -> None:
    """Flag projects that look like silent failures, each verdict with its evidence."""
    from datetime import date, datetime

    when = _date(as_of, "--as-of")
    if isinstance(when, datetime):
        when = when.date()
    assert when is None or isinstance(when, date)
    verdicts = open_reader().silent_scan(as_of=when, project=project, config_path=config_path)
    if as_json:
        emit_json([v.document() for v in verdicts])
    else:
        _print_verdicts(verdicts)
    if fail_on:
        worst = {"watch": ("watch", "silent-failure"), "silent-failure": ("silent-failure",)}[fail_on]
        if any(v.verdict in worst for v in verdicts):
            sys.exit(2)


def _print_verdicts(verdicts: list[Any]) -> None:
    """Each verdict, its signals' evidence and what was not judged, then the counts: a document of lines
    drawn as every read command's is (kb.commands._doc.emit): whole lines in a pipe, coloured at a
    terminal."""
    from kb.commands._doc import Doc, Line, emit
    from kb.humanize import evidence, number, score

    lines: list[Line] = []
    if not verdicts:
        lines.append(Line(("no projects to judge (retired projects are skipped)",)))
    for v in verdicts:
        lines.append(
            Line(
                ((f"{v.verdict:<14}", VERDICT_STYLE[v.verdict]), " ", (v.project, "bold"), f"  score {score(v.score)}")
            )
        )
        for s in v.signals:
            plain, stats = evidence(s)
            lines.append(Line(("    ", (f"{s.code} (+{number(s.weight)})", "dim"), f" {plain}")))
            if stats:
                lines.append(Line(("      ", (stats, "dim"))))
        for n in v.notes:
            lines.append(Line(("    ", (f"not judged: {n}", "dim"))))
    if verdicts:
        counts = {w: sum(v.verdict == w for v in verdicts) for w in VERDICT_STYLE}
        lines.append(
            Line((f"{counts['silent-failure']} silent-failure, {counts['watch']} watch, {counts['healthy']} healthy",))
        )
    emit(Doc(None, lines))


# --- log-shutdown ------------------------------------------------------------------------------


@click.command("log-shutdown")
@click.argument("slug")
@click.option("--flag", "flag_key", required=True, help="The flag that was switched off.")
@click.option("--at", default=None, help="When (default: the latest disable in the flag log, else today).")
@click.option("--reason", default="", help="Why, if anyone said.")
@click.option("--announced", is_flag=True, help="The shutdown was announced.")
@click.option("--env", "environment", default="production", show_default=True, help="Environment.")
@click.option("--add-flag", is_flag=True, help="The flag is not one of the project's yet: add it.")
@common_options
@json_option
def log_shutdown(
    slug: str,
    flag_key: str,
    at: str | None,
    reason: str,
    announced: bool,
    environment: str,
    add_flag: bool,
    as_json: bool,
) -> None:
    """Record a quiet shutdown in one step: the incident (kind quiet-shutdown, postmortem none) and,
    unless the flag log already has it, the flag's switch-off, so the verdict sees it at once."""
    from kb.errors import UnknownFlag

    try:
        inc = open_kb().log_shutdown(
            slug,
            flag_key,
            at=_date(at, "--at"),
            reason=reason,
            announced=announced,
            environment=environment,
            add_flag=add_flag,
        )
    except UnknownFlag as exc:
        raise KBError(f"{exc.message}; --add-flag adds it to the project", "--flag") from None
    if as_json:
        emit_json(inc)
    else:
        click.echo(f"recorded {inc.id}: {inc.title}")
