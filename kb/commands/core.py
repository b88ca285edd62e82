"""Core commands: init, project, incident, import, export, search."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from kb.commands._common import common_options, emit_json, json_option, open_kb, open_reader
from kb.errors import KBError
from kb.vocab import (
    ACTION_KINDS,
    ACTION_STATUSES,
    AUTOMATION_LEVELS,
    DETECTED_BY,
    INCIDENT_KINDS,
    MONITORING_LEVELS,
    POSTMORTEM_SOURCES,
    POSTMORTEMS,
    STAGES,
    STATUSES,
)

# (option name, model field, click type, help) — shared by `add` and `edit` so both accept the same words
PROJECT_OPTIONS: list[tuple[str, str, Any, str]] = [
    ("--name", "name", str, "Human-readable name."),
    ("--team", "team", str, "Owning team."),
    ("--owner", "owner", str, "The person who wakes up when it drifts."),
    ("--business-owner", "business_owner", str, "Who owns the decision the model serves."),
    ("--stage", "stage", click.Choice(STAGES), "Lifecycle stage."),
    ("--decision", "decision", str, "The business decision its output is meant to change."),
    ("--success-metric", "success_metric", str, "How success is measured."),
    ("--baseline", "baseline", str, "The counterfactual: what happens if we do nothing."),
    ("--monitoring", "monitoring", click.Choice(MONITORING_LEVELS), "What is monitored in production."),
    ("--outcome-lag-days", "outcome_lag_days", click.IntRange(min=0), "Days before outcomes are observable."),
    ("--vendor", "vendor", str, "External provider, if any."),
    ("--launched-on", "launched_on", str, "Launch date (YYYY-MM-DD, or 2021, 2021Q3, 2021-11)."),
    ("--retired-on", "retired_on", str, "Retirement date (YYYY-MM-DD, or 2021, 2021Q3, 2021-11)."),
    ("--automation", "automation", click.Choice(AUTOMATION_LEVELS), "How much the model decides."),
    ("--notes", "notes", str, "Free text."),
]

INCIDENT_OPTIONS: list[tuple[str, str, Any, str]] = [
    ("--project", "project", str, "Project slug."),
    ("--title", "title", str, "One-line title."),
    ("--kind", "kind", click.Choice(INCIDENT_KINDS), "What kind of failure."),
    ("--severity", "severity", click.IntRange(1, 5), "1 (worst) to 5."),
    ("--status", "status", click.Choice(STATUSES), "open, mitigated or resolved."),
    ("--started-at", "started_at", str, "When impact began (ISO 8601, or 2021, 2021Q3, 2021-11)."),
    ("--detected-at", "detected_at", str, "When someone noticed (ISO 8601, or a year/quarter/month)."),
    ("--resolved-at", "resolved_at", str, "When impact ended (ISO 8601, or a year/quarter/month)."),
    ("--detected-by", "detected_by", click.Choice(DETECTED_BY), "Who or what noticed."),
    ("--made-public-at", "made_public_at", str, "When the failure became public."),
    ("--postmortem", "postmortem", click.Choice(POSTMORTEMS), "State of the written postmortem."),
    ("--postmortem-source", "postmortem_source", click.Choice(POSTMORTEM_SOURCES), "Who wrote the postmortem."),
    ("--postmortem-link", "postmortem_link", str, "Where the postmortem is."),
    ("--summary", "summary", str, "What happened, in a few sentences."),
]


def _field_options(spec: list[tuple[str, str, Any, str]]) -> Callable[[Any], Any]:
    def deco(f: Any) -> Any:
        for opt, field, typ, help_ in reversed(spec):
            f = click.option(opt, field, type=typ, default=None, help=help_)(f)
        return f

    return deco


def _given(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and v != ()}


@click.command()
@common_options
def init() -> None:
    """Create the database (idempotent)."""
    kb = open_kb()
    c = kb.counts()
    from kb.humanize import plural

    counts = f"{plural(c['projects'], 'project')}, {plural(c['incidents'], 'incident')}"
    click.echo(f"kb database ready at {kb.path} ({counts})")


# --- projects ----------------------------------------------------------------------------------


@click.group()
def project() -> None:
    """Add, edit, list and show ML projects."""


@project.command("add")
@click.argument("slug", required=False)
@_field_options(PROJECT_OPTIONS)
@click.option("--flag", "feature_flags", multiple=True, help="A feature-flag key that switches it (repeatable).")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--retraining-owner", default=None, help="Who retrains it.")
@click.option("--retraining-cadence-days", type=click.IntRange(min=1), default=None, help="Retraining cadence.")
@click.option("--file", "file_", type=click.Path(dir_okay=False, allow_dash=True), help="A YAML project document.")
@common_options
@json_option
def project_add(slug: str | None, file_: str | None, as_json: bool, **values: Any) -> None:
    """Add a project, from options or from a YAML file."""
    from kb.models import Project

    kb = open_kb()
    if file_:
        _report(kb.import_paths([file_], add_only=True), as_json)
        return
    if not slug:
        raise click.UsageError("give a SLUG or --file")
    data = _given(values)
    retraining = {
        k: v
        for k, v in (
            ("owner", data.pop("retraining_owner", None)),
            ("cadence_days", data.pop("retraining_cadence_days", None)),
        )
        if v is not None
    }
    if retraining:
        data["retraining"] = retraining
    p = kb.add_project(_validated(Project, {"slug": slug, **data}))
    if as_json:
        emit_json(p)
    else:
        click.echo(f"added project {p.slug}")


@project.command("edit")
@click.argument("slug")
@_field_options(PROJECT_OPTIONS)
@click.option("--flag", "feature_flags", multiple=True, help="Replace the feature-flag keys (repeatable).")
@click.option("--tag", "tags", multiple=True, help="Replace the tags (repeatable).")
@common_options
@json_option
def project_edit(slug: str, as_json: bool, **values: Any) -> None:
    """Change some fields of a project; the change log keeps the old values."""
    kb = open_kb()
    changes = _given(values)
    if not changes:
        raise click.UsageError("nothing to change: give at least one field option")
    p = kb.edit_project(slug, changes)
    emit_json(p) if as_json else click.echo(f"updated project {p.slug}")


@project.command("list")
@click.option("--stage", type=click.Choice(STAGES), default=None)
@click.option("--team", default=None)
@common_options
@json_option
def project_list(stage: str | None, team: str | None, as_json: bool) -> None:
    """List projects with their incident counts."""
    rows = open_reader().project_rows(stage=stage, team=team)
    if as_json:
        emit_json(rows)
        return
    from kb.commands._table import print_table, styled
    from kb.humanize import day

    print_table(
        ("slug", "stage", "owner", "team", "monitoring", "incidents", "open", "last incident"),
        (
            (
                r.slug,
                r.stage,
                r.owner or styled("(none)", "red"),
                r.team,
                r.monitoring,
                str(r.incidents),
                str(r.open_incidents),
                day(r.last_incident),
            )
            for r in rows
        ),
        keys=("slug",),
        empty="no projects yet: `kb project add SLUG` or `kb seed`",
    )


@project.command("show")
@click.argument("slug")
@common_options
@json_option
def project_show(slug: str, as_json: bool) -> None:
    """Everything kb knows about a project."""
    from kb.commands._doc import emit
    from kb.commands.render import project_doc

    kb = open_kb()
    p = kb.get_project(slug)
    rows = kb.incident_rows(project=slug)
    if as_json:
        emit_json({**p.model_dump(mode="json"), "incidents": rows})
        return
    emit(project_doc(p, rows))


@project.command("history")
@click.argument("slug")
@common_options
@json_option
def project_history(slug: str, as_json: bool) -> None:
    """Who changed this project, when, and what."""
    _history("project", slug, as_json)


# --- incidents ---------------------------------------------------------------------------------


@click.group()
def incident() -> None:
    """Record, edit, list, show and merge incidents."""


@incident.command("add")
@_field_options(INCIDENT_OPTIONS)
@click.option("--announced/--not-announced", default=None, help="Was the shutdown or failure announced?")
@click.option("--mode", "modes", multiple=True, help="Taxonomy code (repeatable; the first is primary).")
@click.option("--flag-key", default=None, help="Feature flag that was flipped.")
@click.option("--flag-env", default="production", show_default=True, help="Its environment.")
@click.option("--flag-at", default=None, help="When it was flipped.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--file", "file_", type=click.Path(dir_okay=False, allow_dash=True), help="A YAML incident document.")
@common_options
@json_option
def incident_add(
    modes: tuple[str, ...],
    flag_key: str | None,
    flag_env: str,
    flag_at: str | None,
    file_: str | None,
    as_json: bool,
    **values: Any,
) -> None:
    """Record an incident, from options or from a YAML file."""
    from kb.models import Incident

    kb = open_kb()
    if file_:
        _report(kb.import_paths([file_], add_only=True), as_json)
        return
    data = _given(values)
    for required in ("project", "title"):
        if required not in data:
            raise click.UsageError(f"--{required} is required (or use --file)")
    if modes:
        data["modes"] = [{"code": c, "role": "primary" if n == 0 else "contributing"} for n, c in enumerate(modes)]
    if flag_key:
        data["flag"] = {"key": flag_key, "environment": flag_env, "at": flag_at}
    inc = kb.add_incident(_validated(Incident, data))
    emit_json(inc) if as_json else click.echo(f"recorded {inc.id}: {inc.title}")


@incident.command("edit")
@click.argument("incident_id")
@_field_options(INCIDENT_OPTIONS[1:])
@click.option("--announced/--not-announced", default=None)
@common_options
@json_option
def incident_edit(incident_id: str, as_json: bool, **values: Any) -> None:
    """Change an incident: with no options, the whole document in $EDITOR; with options, those fields.

    In the editor, a document that does not validate reopens with the error on top; nothing is
    written until it is valid, and closing it unchanged (or empty) cancels.
    """
    kb = open_kb()
    changes = _given(values)
    if not changes:
        inc = _edit_in_editor(kb, kb.resolve_incident(incident_id).id or incident_id)
        if inc is not None:
            emit_json(inc) if as_json else click.echo(f"updated {inc.id}")
        return
    inc = kb.edit_incident(incident_id, changes)
    emit_json(inc) if as_json else click.echo(f"updated {inc.id}")


def _edit_in_editor(kb: Any, incident_id: str) -> Any:
    """The `kubectl edit` loop: open, validate on save, reopen with the error until valid or abandoned."""
    from kb.ops.edit import strip_header, with_error

    text = kb.incident_as_yaml(incident_id)
    error: KBError | None = None
    while True:
        edited = click.edit(text, extension=".yaml", require_save=False)
        if edited is None or edited == text or not strip_header(edited).strip():
            if error is not None:
                raise KBError(f"edit abandoned, nothing written (last error: {error})", incident_id)
            click.echo(f"edit cancelled, {incident_id} unchanged")
            return None
        try:
            inc, changed = kb.save_incident_yaml(incident_id, edited)
        except KBError as exc:
            error = exc
            text = with_error(edited, str(exc))
            continue
        if not changed:
            click.echo(f"no changes, {incident_id} unchanged")
            return None
        return inc


@incident.group("cause")
def incident_cause() -> None:
    """Add a cause to an incident's chain (for scripts)."""


@incident_cause.command("add")
@click.argument("incident_id")
@click.argument("statement")
@click.option("--id", "cause_id", default=None, help="Cause id (default: the next free cN).")
@click.option("--mode", default=None, help="Taxonomy code of the cause.")
@click.option("--trigger", is_flag=True, help="This cause is the trigger.")
@click.option("--because", multiple=True, help="Id of a cause behind this one (repeatable).")
@common_options
@json_option
def incident_cause_add(
    incident_id: str,
    statement: str,
    cause_id: str | None,
    mode: str | None,
    trigger: bool,
    because: tuple[str, ...],
    as_json: bool,
) -> None:
    """Append STATEMENT as a cause of INCIDENT_ID."""
    kb = open_kb()
    data: dict[str, Any] = {"statement": statement, "trigger": trigger, "because": list(because)}
    if cause_id:
        data["id"] = cause_id
    if mode:
        data["mode"] = kb.require_code(mode, "--mode")
    cause = kb.add_cause(incident_id, data)
    emit_json(cause) if as_json else click.echo(f"{incident_id}: added cause {cause.id}")


@incident.group("action")
def incident_action() -> None:
    """Add an action item to an incident (for scripts)."""


@incident_action.command("add")
@click.argument("incident_id")
@click.argument("title")
@click.option("--owner", default=None)
@click.option("--due", default=None, help="Due date (YYYY-MM-DD).")
@click.option("--kind", type=click.Choice(ACTION_KINDS), default=None, help="Default: prevent.")
@click.option("--status", type=click.Choice(ACTION_STATUSES), default=None, help="Default: open.")
@common_options
@json_option
def incident_action_add(incident_id: str, title: str, as_json: bool, **values: Any) -> None:
    """Append an action titled TITLE to INCIDENT_ID."""
    action = open_kb().add_action(incident_id, {"title": title, **_given(values)})
    emit_json(action) if as_json else click.echo(f"{incident_id}: added action {action.title!r}")


@incident.group("link")
def incident_link() -> None:
    """Add a link (a source, a report) to an incident (for scripts)."""


@incident_link.command("add")
@click.argument("incident_id")
@click.argument("url", required=False)
@click.option("--title", default=None)
@click.option("--document", default=None, help="A taxonomy document title, for a quote from an essay.")
@click.option("--quote", default=None, help="An exact quote supporting the incident.")
@common_options
@json_option
def incident_link_add(incident_id: str, url: str | None, as_json: bool, **values: Any) -> None:
    """Append a link (URL, or --document with --quote) to INCIDENT_ID."""
    data = _given({"url": url, **values})
    link = open_kb().add_link(incident_id, data)
    emit_json(link) if as_json else click.echo(f"{incident_id}: added link {link.url or link.document}")


@incident.command("list")
@click.option("--project", default=None)
@click.option("--kind", type=click.Choice(INCIDENT_KINDS), default=None)
@click.option("--status", type=click.Choice(STATUSES), default=None)
@click.option("--since", default=None, help="Only incidents that started on or after this date.")
@click.option("--all", "include_duplicates", is_flag=True, help="Include merged duplicates.")
@click.option("--limit", type=click.IntRange(min=1), default=None)
@common_options
@json_option
def incident_list(as_json: bool, since: str | None, **filters: Any) -> None:
    """List incidents, newest first."""
    from kb.timeutil import from_text

    try:
        since_v = from_text(since) if since else None
    except ValueError as exc:
        raise KBError(str(exc), "--since") from None
    rows = open_reader().incident_rows(since=since_v, **filters)
    if as_json:
        emit_json(rows)
        return
    from kb.commands._table import Styled, print_table
    from kb.humanize import day

    def _tail(r: Any) -> tuple[str, str, Styled]:
        return r.detected_by, r.postmortem, title(r)

    def title(r: Any) -> Styled:
        duplicate = ((f" (duplicate of {r.duplicate_of})", "dim"),) if r.duplicate_of else ()
        return Styled(((r.title, ""), *duplicate))

    print_table(
        ("id", "project", "kind", "sev", "status", "started", "detected by", "postmortem", "title"),
        ((r.id, r.project, r.kind, str(r.severity), r.status, day(r.started_at), *_tail(r)) for r in rows),
        keys=("id", "project"),
        empty="no incidents match",
    )


@incident.command("show")
@click.argument("incident_id")
@common_options
@json_option
def incident_show(incident_id: str, as_json: bool) -> None:
    """A whole postmortem: fields, durations, modes, causal chain, actions, timeline."""
    inc = open_reader().incident(incident_id)
    if as_json:
        emit_json(inc)
        return
    from kb.commands._doc import emit
    from kb.commands.render import incident_doc

    emit(incident_doc(inc))


@incident.command("merge")
@click.argument("dup")
@click.argument("into")
@common_options
def incident_merge(dup: str, into: str) -> None:
    """Record DUP as a duplicate of INTO. Nothing is deleted; DUP stays resolvable."""
    merged = open_kb().merge_incident(dup, into)
    click.echo(f"{merged.id} is now a duplicate of {merged.duplicate_of}")


@incident.command("history")
@click.argument("incident_id")
@click.option("--as-of", default=None, help="Show the document as it stood then (a bare date: end of that day, UTC).")
@common_options
@json_option
def incident_history(incident_id: str, as_of: str | None, as_json: bool) -> None:
    """Who changed this incident, when and what; or what it said on a given date."""
    if as_of:
        from datetime import datetime, timedelta

        from kb.store import changelog
        from kb.timeutil import as_utc, from_text

        kb = open_kb()
        kb.get_incident(incident_id)
        try:
            when = from_text(as_of)
        except ValueError as exc:
            raise KBError(str(exc), "--as-of") from None
        assert when is not None
        moment = as_utc(when)
        if not isinstance(when, datetime):  # "what did it say on D" means by the end of day D (UTC)
            moment += timedelta(days=1, microseconds=-1)
        rec = changelog.as_of(kb.db, "incident", incident_id, moment)
        if rec is None:
            raise KBError(f"{incident_id} did not exist yet at {as_of}", "--as-of")
        if as_json:
            emit_json(rec)
        else:
            from kb.yamldoc import to_yaml

            click.echo(f"# {incident_id} as of {as_of}: last changed {rec.at:%Y-%m-%d %H:%M} UTC by {rec.actor}")
            click.echo(to_yaml(rec.snapshot), nl=False)
        return
    _history("incident", incident_id, as_json)


def _history(entity: str, entity_id: str, as_json: bool) -> None:
    records = open_reader().history(entity, entity_id)
    if as_json:
        emit_json(records)
        return
    from kb.commands._doc import emit
    from kb.commands.render import history_doc

    emit(history_doc(records))


# --- files -------------------------------------------------------------------------------------


def _report(report: Any, as_json: bool) -> None:
    if as_json:
        changes = [{"kind": k, "id": i, "changes": c} for k, i, c in report.changes]
        emit_json(
            {"created": report.created, "updated": report.updated, "unchanged": report.unchanged, "changes": changes}
        )
    else:
        click.echo(f"imported: {report.summary()}")
        for line in report.change_lines():
            click.echo(line)


@click.command("import")
@click.argument("paths", nargs=-1, required=True)
@common_options
@json_option
def import_(paths: tuple[str, ...], as_json: bool) -> None:
    """Import YAML documents: files, directories or - for standard input. All or nothing."""
    from kb.commands._common import progress_bar

    with progress_bar("import", None, quiet=as_json) as advance:
        report = open_kb().import_paths(list(paths), progress=advance)
    _report(report, as_json)


# what `kb export` counts, by kind of record (kb.teamdir.KINDS): (one, many)
EXPORTED = {
    "projects": ("project", "projects"),
    "incidents": ("incident", "incidents"),
    "decisions": ("decision", "decisions"),
    "reviews": ("review", "reviews"),
    "flags": ("month of flag events", "months of flag events"),
    "health": ("health series", "health series"),
}


@click.command()
@click.option("--dir", "directory", required=True, type=click.Path(file_okay=False), help="Target directory.")
@common_options
@json_option
def export(directory: str, as_json: bool) -> None:
    """Export everything a team shares into a directory for git, one file per record, deterministically.

    projects/<slug>.yaml, incidents/<id>.yaml, decisions/<quarter>/<slug>.yaml, reviews/<quarter>.json,
    flags/<source>/<YYYY-MM>.ndjson and health/<slug>.csv; `kb import DIR` reads it all back.
    """
    from kb.commands._common import progress_bar

    kb = open_kb()
    with progress_bar("export", kb.export_size(), quiet=as_json) as advance:
        report = kb.export_team(directory, progress=advance)
    if as_json:
        emit_json({**report.counts, "written": report.written})
    else:
        from kb.humanize import plural

        counts = (
            ", ".join(plural(n, *EXPORTED.get(kind, (kind, kind))) for kind, n in report.counts.items() if n)
            or "nothing"
        )
        click.echo(f"exported {counts} to {directory} ({plural(report.written, 'file')} changed)")


@click.command()
@click.argument("directory", type=click.Path(file_okay=False))
@common_options
@json_option
def sync(directory: str, as_json: bool) -> None:
    """Import what changed in DIRECTORY since the last sync, then export what changed here.

    A record changed on both sides since the last sync is a conflict: it is named, and neither side
    is overwritten (resolve it in one place, then sync again). Exit code 1 when there is a conflict.
    """
    report = open_kb().sync(directory)
    if as_json:
        emit_json(report.__dict__)
    else:
        from kb.humanize import plural

        click.echo(
            f"synced {directory}: {len(report.imported):,} imported, {len(report.exported):,} exported, "
            f"{plural(len(report.merged), 'flag month')} united, {plural(len(report.conflicts), 'conflict')}"
        )
        for rel in report.removed_in_directory:
            click.echo(f"removed from the directory, kept in the database: {rel}", err=True)
        for rel in report.conflicts:
            click.echo(f"conflict: {rel} changed both here and in the directory since the last sync", err=True)
    if report.conflicts:
        raise click.exceptions.Exit(1)


@click.command()
@click.argument("query", required=False, default="")
@click.option("--project", default=None)
@click.option(
    "--mode", default=None, help="Taxonomy code or category the incident is classified under or has a cause in."
)
@click.option("--kind", type=click.Choice(INCIDENT_KINDS), default=None)
@click.option("--since", default=None, help="Only incidents that started on or after this date.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@common_options
@json_option
def search(query: str, since: str | None, as_json: bool, **filters: Any) -> None:
    """Full-text search over everything recorded (any text is safe: it is searched for, never parsed).

    With no QUERY, the filters alone list their incidents, newest first."""
    import re as _re

    from kb.store.search import HIT_CLOSE, HIT_OPEN
    from kb.timeutil import from_text

    try:
        since_v = from_text(since) if since else None
    except ValueError as exc:
        raise KBError(str(exc), "--since") from None
    hits = open_reader().search(query, since=since_v, **filters)
    if as_json:
        from dataclasses import asdict

        emit_json([{**asdict(h), "snippet": h.snippet.replace(HIT_OPEN, "").replace(HIT_CLOSE, "")} for h in hits])
        return

    from kb.commands._doc import Doc, Part, emit, line

    if not hits:
        click.echo("no matches")
        return
    out = []
    for h in hits:
        pieces = _re.split(f"({HIT_OPEN}|{HIT_CLOSE})", h.snippet)
        snippet: list[Part] = []
        hit = False
        for part in pieces:
            if part in (HIT_OPEN, HIT_CLOSE):
                hit = part == HIT_OPEN
            elif part:
                snippet.append((part, "bold yellow") if hit else part)
        dup: list[Part] = [(f" (duplicate of {h.duplicate_of})", "dim")] if h.duplicate_of else []
        out.append(line((h.id, "bold"), " ", (h.project, "cyan"), f" {h.title}", *dup, "  ", (h.kind, "dim")))
        out.append(line("    ", *snippet))
    emit(Doc(None, out))


def _validated(model: Any, data: dict[str, Any]) -> Any:
    from pydantic import ValidationError

    from kb.errors import validation_message

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise KBError(validation_message(exc)) from None
