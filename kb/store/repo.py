"""Reading and writing projects and incidents, with the change log written in the same transaction.

Callers own the transaction (`with db.atomic():`): a command's writes land together or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from sqlite_utils import Database

from kb.approxdate import is_approx, with_written
from kb.errors import KBError, NotFound
from kb.models import (
    Action,
    Cause,
    Classification,
    FlagChange,
    Impact,
    Incident,
    Lessons,
    Link,
    Metric,
    Project,
    Retraining,
    StageChange,
    TimelineEntry,
)
from kb.store import changelog
from kb.store.chains import write_chains
from kb.store.queries.incidents import Shapes, read_incident, read_incidents
from kb.timeutil import from_text, stamp, to_text

WriteResult = Literal["created", "updated", "unchanged"]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _approx_json(**dates: Any) -> str | None:
    """The written form of every date known only to a year, quarter or month (m005), else NULL."""
    written = {k: v.text for k, v in dates.items() if is_approx(v)}
    return _json(written) if written else None


def _dated(row: dict[str, Any], column: str, written: dict[str, str]) -> Any:
    """A date column read back with its written form when it was approximate."""
    return with_written(from_text(row.get(column)), written.get(column))


# --- projects ----------------------------------------------------------------------------------


def project_row(p: Project) -> dict[str, Any]:
    return {
        "slug": p.slug,
        "name": p.name,
        "team": p.team,
        "owner": p.owner,
        "business_owner": p.business_owner,
        "stage": p.stage,
        "feature_flags": _json(p.feature_flags),
        "decision": p.decision,
        "success_metric": p.success_metric,
        "baseline": p.baseline,
        "monitoring": p.monitoring,
        "outcome_lag_days": p.outcome_lag_days,
        "retraining_owner": p.retraining.owner,
        "retraining_cadence_days": p.retraining.cadence_days,
        "vendor": p.vendor,
        "launched_on": to_text(p.launched_on),
        "notes": p.notes,
        "tags": _json(p.tags),
        "automation": p.automation,
        "retired_on": to_text(p.retired_on),
        "lifecycle": _json([c.model_dump(mode="json") for c in p.lifecycle]),
        "approx_dates": _approx_json(launched_on=p.launched_on, retired_on=p.retired_on),
    }


def row_project(row: dict[str, Any]) -> Project:
    written = json.loads(row.get("approx_dates") or "{}")
    return Project.model_construct(
        slug=row["slug"],
        name=row["name"],
        team=row["team"],
        owner=row["owner"],
        business_owner=row["business_owner"],
        stage=row["stage"],
        feature_flags=json.loads(row["feature_flags"]),
        decision=row["decision"],
        success_metric=row["success_metric"],
        baseline=row["baseline"],
        monitoring=row["monitoring"],
        outcome_lag_days=row["outcome_lag_days"],
        retraining=Retraining.model_construct(
            owner=row["retraining_owner"], cadence_days=row["retraining_cadence_days"]
        ),
        vendor=row["vendor"],
        launched_on=_dated(row, "launched_on", written),
        notes=row["notes"],
        tags=json.loads(row["tags"]),
        automation=row.get("automation"),
        lifecycle=[StageChange.model_validate(c) for c in json.loads(row.get("lifecycle") or "[]")],
        retired_on=_dated(row, "retired_on", written),
    )


def get_project(db: Database, slug: str) -> Project | None:
    rows = list(db.query("SELECT * FROM projects WHERE slug = ?", [slug]))
    return row_project(rows[0]) if rows else None


def require_project(db: Database, slug: str) -> Project:
    p = get_project(db, slug)
    if p is None:
        raise NotFound(f"no project {slug!r}", where="project")
    return p


def iter_projects(db: Database) -> Iterator[Project]:
    for row in db.query("SELECT * FROM projects ORDER BY slug"):
        yield row_project(row)


def put_project(db: Database, p: Project, actor: str, *, op: str | None = None) -> WriteResult:
    old = get_project(db, p.slug)
    new_doc = dump(p)
    changes = {k: [None, v] for k, v in new_doc.items()} if old is None else diff(dump(old), new_doc)
    if not changes:
        return "unchanged"
    result = _write_row(db, "projects", "slug", project_row(p), created=old is None)
    db.execute("DELETE FROM project_flags WHERE project = ?", [p.slug])
    db.conn.executemany(
        "INSERT OR IGNORE INTO project_flags (flag_key, project) VALUES (?, ?)", [(f, p.slug) for f in p.feature_flags]
    )
    _put_tags(db, "project", p.slug, p.tags)
    _put_project_search_text(db, p)
    changelog.record(
        db, actor, "project", p.slug, op or ("create" if result == "created" else "update"), changes, new_doc
    )
    return result


def _write_row(db: Database, table: str, key: str, row: dict[str, Any], *, created: bool) -> WriteResult:
    """Insert or update one record row (table and columns are kb's own names, never user text)."""
    now = stamp()
    if created:
        db.execute(
            f"INSERT INTO {table} ({', '.join(row)}, created_at, updated_at) "
            f"VALUES ({', '.join('?' for _ in row)}, ?, ?)",
            [*row.values(), now, now],
        )
        return "created"
    db.execute(
        f"UPDATE {table} SET {', '.join(f'{k} = ?' for k in row)}, updated_at = ? WHERE {key} = ?",
        [*row.values(), now, row[key]],
    )
    return "updated"


def _put_tags(db: Database, entity: str, entity_id: str, tags: Iterable[str]) -> None:
    db.execute("DELETE FROM tags WHERE entity = ? AND entity_id = ?", [entity, entity_id])
    db.conn.executemany(
        "INSERT OR IGNORE INTO tags (entity, entity_id, tag) VALUES (?, ?, ?)", [(entity, entity_id, t) for t in tags]
    )


# --- incidents ---------------------------------------------------------------------------------


def incident_row(i: Incident) -> dict[str, Any]:
    f = i.flag
    return {
        "id": i.id,
        "project": i.project,
        "title": i.title,
        "kind": i.kind,
        "severity": i.severity,
        "status": i.status,
        "started_at": to_text(i.started_at),
        "detected_at": to_text(i.detected_at),
        "resolved_at": to_text(i.resolved_at),
        "detected_by": i.detected_by,
        "announced": int(i.announced),
        "postmortem": i.postmortem,
        "flag_key": f.key if f else None,
        "flag_environment": f.environment if f else None,
        "flag_from": f.from_ if f else None,
        "flag_to": f.to if f else None,
        "flag_at": to_text(f.at) if f else None,
        "flag_actor": f.actor if f else None,
        "summary": i.summary,
        "tags": _json(i.tags),
        "links": _json([link.model_dump() for link in i.links]),
        "duplicate_of": i.duplicate_of,
        "made_public_at": to_text(i.made_public_at),
        "postmortem_source": i.postmortem_source,
        "postmortem_link": i.postmortem_link,
        "impact": _json(i.impact.model_dump(mode="json", exclude_none=True)) if i.impact else None,
        "organisations": _json(i.organisations),
        "affected_projects": _json(i.affected_projects),
        "metrics": _json([m.model_dump(mode="json") for m in i.metrics]),
        "lessons": _json(i.lessons.model_dump(mode="json")) if i.lessons is not None else None,
        "approx_dates": _approx_json(
            started_at=i.started_at,
            detected_at=i.detected_at,
            resolved_at=i.resolved_at,
            made_public_at=i.made_public_at,
        ),
    }


# the pydantic models as kb.store.queries.incidents.read_incidents builds them (model_construct: what
# the store holds was validated when it was written; the JSON parts are validated as they are read)
MODELS = Shapes(
    incident=Incident.model_construct,
    flag=FlagChange.model_construct,
    classification=Classification.model_construct,
    cause=Cause.model_construct,
    action=Action.model_construct,
    timeline=TimelineEntry.model_construct,
    link=lambda d: Link.model_construct(**d),
    impact=Impact.model_validate,
    metric=Metric.model_validate,
    lessons=Lessons.model_validate,
)


def get_incident(db: Database, incident_id: str) -> Incident | None:
    found: Incident | None = read_incident(db.conn, incident_id, MODELS)
    return found


def require_incident(db: Database, incident_id: str) -> Incident:
    inc = get_incident(db, incident_id)
    if inc is None:
        raise NotFound(f"no incident {incident_id!r}", where="incident")
    return inc


def iter_incidents(
    db: Database, where: str = "", params: list[Any] | None = None, batch: int = 2000
) -> Iterator[Incident]:
    """Every incident (optionally filtered by a WHERE fragment of trusted, parameterised SQL), in id order."""
    return read_incidents(db.conn, MODELS, where, params or [], batch)


# The largest number an incident id may carry (INCIDENT_ID_RE allows nine digits): kb never
# allocates an id its own validator would refuse.
MAX_INCIDENT_SEQ = 999_999_999


def next_incident_id(db: Database) -> str:
    """Ids are never reused: a counter that only grows, kept in the database itself.

    An imported id may have pushed the counter to the top of the range (`INC-999999999`); then the
    first number above an id in use that no incident has ever had (no row, no history) is taken.
    """
    seq = int(db.execute("SELECT value FROM meta WHERE key = 'next_incident_seq'").fetchone()[0])
    while seq <= MAX_INCIDENT_SEQ and db.execute("SELECT 1 FROM incidents WHERE id = ?", [_inc(seq)]).fetchone():
        seq += 1
    if seq > MAX_INCIDENT_SEQ:
        return _free_incident_id(db)
    db.execute("UPDATE meta SET value = ? WHERE key = 'next_incident_seq'", [str(seq + 1)])
    return _inc(seq)


def _inc(seq: int) -> str:
    return f"INC-{seq:04d}"


def _free_incident_id(db: Database) -> str:
    """The lowest INC number, 1 or just above one in use, that no incident has ever held."""
    used = db.execute(
        "SELECT CAST(substr(id, 5) AS INTEGER) FROM incidents WHERE id GLOB 'INC-[0-9]*' "
        "UNION SELECT CAST(substr(entity_id, 5) AS INTEGER) FROM changelog "
        "WHERE entity = 'incident' AND entity_id GLOB 'INC-[0-9]*'"
    ).fetchall()
    taken = {r[0] for r in used}
    for n in sorted({0} | taken):
        if n + 1 not in taken and n + 1 <= MAX_INCIDENT_SEQ:
            return _inc(n + 1)
    raise KBError(f"every incident number up to {MAX_INCIDENT_SEQ:,} is taken", "id")  # pragma: no cover


def _bump_counter(db: Database, incident_id: str) -> None:
    if incident_id.startswith("INC-") and incident_id[4:].isdigit():
        n = min(int(incident_id[4:]), MAX_INCIDENT_SEQ)
        db.execute(
            "UPDATE meta SET value = ? WHERE key = 'next_incident_seq' AND CAST(value AS INTEGER) <= ?", [str(n + 1), n]
        )


def put_incident(db: Database, inc: Incident, actor: str, *, op: str | None = None) -> WriteResult:
    """Create or replace an incident and its children; a no-op when nothing changed."""
    if inc.id is None:
        inc = inc.model_copy(update={"id": next_incident_id(db)})
    assert inc.id is not None
    if db.execute("SELECT 1 FROM projects WHERE slug = ?", [inc.project]).fetchone() is None:
        raise KBError(f"project {inc.project!r} does not exist (add it first, or include it in the file)", "project")
    if (
        inc.duplicate_of is not None
        and not db.execute("SELECT 1 FROM incidents WHERE id = ?", [inc.duplicate_of]).fetchone()
    ):
        raise KBError(f"incident {inc.duplicate_of!r} does not exist", "duplicate_of")
    for n, slug in enumerate(inc.affected_projects):
        if db.execute("SELECT 1 FROM projects WHERE slug = ?", [slug]).fetchone() is None:
            raise KBError(
                f"project {slug!r} does not exist (add it first, or include it in the file)", f"affected_projects[{n}]"
            )
    if inc.duplicate_of is not None:
        loop = duplicate_chain(db, inc.duplicate_of)
        if inc.id in loop or inc.duplicate_of == inc.id:
            path = " -> ".join([inc.id, *loop[: loop.index(inc.id) + 1]] if inc.id in loop else [inc.id, inc.id])
            raise KBError(f"would make a cycle of duplicates ({path})", "duplicate_of")
    old = get_incident(db, inc.id)
    new_doc = dump(inc)
    changes = {k: [None, v] for k, v in new_doc.items()} if old is None else diff(dump(old), new_doc)
    if not changes:
        return "unchanged"
    result = _write_row(db, "incidents", "id", incident_row(inc), created=old is None)
    if old is None:
        _bump_counter(db, inc.id)
    else:
        for table in ("cause_links", "causes", "classifications", "actions", "timeline"):
            db.execute(f"DELETE FROM {table} WHERE incident_id = ?", [inc.id])
    _insert_children(db, inc)
    write_chains(db.conn, [inc.id])
    _put_search_text(db, inc, get_project(db, inc.project))
    _put_tags(db, "incident", inc.id, inc.tags)
    changelog.record(
        db, actor, "incident", inc.id, op or ("create" if result == "created" else "update"), changes, new_doc
    )
    return result


SEARCH_COLUMNS = ("title", "summary", "causes", "actions", "modes", "details", "project")


def _mode_name(code: str) -> str:
    """The taxonomy's name for a code, so "distribution shift" finds drift.distribution-shift."""
    from kb.taxonomy import load_taxonomy

    try:
        return load_taxonomy().mode(code).name
    except (KeyError, ValueError):
        return ""


def _strings(value: Any) -> Iterator[str]:
    """Every non-empty string inside a document value (lists and mappings walked in order)."""
    if isinstance(value, str):
        if value.strip():
            yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def project_search_text(p: Project | None) -> str:
    """A project's words each of its incidents is found by. The vendor is labelled, so that
    `kb search vendor` finds the incidents of projects that rely on one."""
    if p is None:
        return ""
    parts = [p.slug, p.name, p.team, f"vendor {p.vendor}" if p.vendor.strip() else "", p.decision, p.notes]
    return "\n".join(x for x in parts if x.strip())


def search_text(inc: Incident, project: Project | None = None) -> dict[str, str]:
    """What full-text search indexes for an incident, by column (SEARCH_COLUMNS).

    modes: every code it is classified under or names in a cause, with the mode's name;
    details: classification evidence, tags, timeline entries, links, and any lessons or impact text;
    project: the project's name, team, vendor, decision and notes (project_search_text).
    """
    codes = list(dict.fromkeys([m.code for m in inc.modes] + [c.mode for c in inc.causes if c.mode]))
    doc = dump(inc)
    details = [m.evidence for m in inc.modes]
    details += inc.tags
    details += [t.text for t in inc.timeline]
    details += [x for link in inc.links for x in (link.title, link.document, link.quote)]
    for key in ("lessons", "impact"):  # free text the record may hold about what was learnt and lost
        details += list(_strings(doc.get(key)))
    return {
        "title": inc.title,
        "summary": inc.summary,
        "causes": "\n".join(c.statement for c in inc.causes),
        "actions": "\n".join(a.title for a in inc.actions),
        "modes": "\n".join(f"{code} {_mode_name(code)}".strip() for code in codes),
        "details": "\n".join(x for x in details if x and x.strip()),
        "project": project_search_text(project),
    }


def _put_project_search_text(db: Database, p: Project) -> None:
    """A project's words live in each of its incidents' search rows: rewrite them when they change."""
    db.execute(
        "UPDATE incident_text SET project = ? WHERE project IS NOT ? AND incident_id IN "
        "(SELECT id FROM incidents WHERE project = ?)",
        [project_search_text(p), project_search_text(p), p.slug],
    )


def refresh_search_text(db: Database) -> int:
    """Recompute every incident's search row from its records (after a change to what is indexed)."""
    projects = {p.slug: p for p in iter_projects(db)}
    n = 0
    for inc in iter_incidents(db):
        _put_search_text(db, inc, projects.get(inc.project))
        n += 1
    return n


def _put_search_text(db: Database, inc: Incident, project: Project | None) -> None:
    """One write per save; the FTS index follows this row by trigger."""
    text = search_text(inc, project)
    db.execute(
        f"INSERT INTO incident_text (incident_id, {', '.join(text)}) VALUES (?, {', '.join('?' for _ in text)}) "
        f"ON CONFLICT (incident_id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in text)}",
        [inc.id, *text.values()],
    )


def _insert_children(db: Database, inc: Incident) -> None:
    c = db.conn
    iid = inc.id
    c.executemany(
        "INSERT INTO classifications (incident_id, pos, code, role, confidence, evidence) VALUES (?, ?, ?, ?, ?, ?)",
        [(iid, n, m.code, m.role, m.confidence, m.evidence) for n, m in enumerate(inc.modes)],
    )
    c.executemany(
        "INSERT INTO causes (incident_id, cause_id, pos, statement, mode, is_trigger) VALUES (?, ?, ?, ?, ?, ?)",
        [(iid, k.id, n, k.statement, k.mode, int(k.trigger)) for n, k in enumerate(inc.causes)],
    )
    c.executemany(
        "INSERT INTO cause_links (incident_id, cause_id, because_id, pos) VALUES (?, ?, ?, ?)",
        [(iid, k.id, b, n) for k in inc.causes for n, b in enumerate(k.because)],
    )
    c.executemany(
        "INSERT INTO actions (incident_id, pos, title, owner, due, status, kind) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(iid, n, a.title, a.owner, to_text(a.due), a.status, a.kind) for n, a in enumerate(inc.actions)],
    )
    c.executemany(
        "INSERT INTO timeline (incident_id, pos, at, text) VALUES (?, ?, ?, ?)",
        [(iid, n, to_text(t.at), t.text) for n, t in enumerate(inc.timeline)],
    )


def merge_incident(db: Database, dup_id: str, into_id: str, actor: str) -> Incident:
    """Mark `dup_id` as a duplicate of `into_id`; the duplicate stays, resolvable, forever."""
    if dup_id == into_id:
        raise KBError("an incident cannot be merged into itself", "merge")
    dup = require_incident(db, dup_id)
    require_incident(db, into_id)
    chain = duplicate_chain(db, into_id)  # merge into the surviving record, never into another duplicate
    if dup_id in chain:
        raise KBError(f"{into_id} is itself a duplicate of {dup_id}", "merge")
    target = require_incident(db, chain[-1])
    if target.duplicate_of is not None:  # only on a store damaged before m008
        raise KBError(f"the duplicates of {into_id} form a cycle ({' -> '.join([*chain, chain[0]])})", "merge")
    if target.id == dup_id:
        raise KBError(f"{into_id} is itself a duplicate of {dup_id}", "merge")
    if dup.duplicate_of == target.id:
        return dup
    merged = dup.model_copy(update={"duplicate_of": target.id})
    put_incident(db, merged, actor, op="merge")
    db.execute(
        "UPDATE incidents SET duplicate_of = ? WHERE duplicate_of = ?", [target.id, dup_id]
    )  # earlier duplicates of the duplicate follow it
    return merged


def duplicate_chain(db: Database, start: str) -> list[str]:
    """`start` and the ids its duplicate_of links lead to, in order; each id at most once, so the
    walk ends even on a damaged store (m008's trigger keeps cycles out of a sound one)."""
    chain: list[str] = []
    seen: set[str] = set()
    current: str | None = start
    while current is not None and current not in seen:
        seen.add(current)
        chain.append(current)
        row = db.execute("SELECT duplicate_of FROM incidents WHERE id = ?", [current]).fetchone()
        current = row[0] if row else None
    return chain


def resolve_incident_id(db: Database, incident_id: str) -> str:
    """Follow duplicate links so an old id still leads to the surviving record."""
    seen = set()
    current = incident_id
    while True:
        row = db.execute("SELECT duplicate_of FROM incidents WHERE id = ?", [current]).fetchone()
        if row is None:
            raise NotFound(f"no incident {incident_id!r}", where="incident")
        if row[0] is None or row[0] in seen:
            return current
        seen.add(current)
        current = row[0]


# --- documents and diffs -----------------------------------------------------------------------


def dump(model: Project | Incident) -> dict[str, Any]:
    """The canonical document form: JSON-safe, field order of the model, None left out."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    keys = list(dict.fromkeys([*old, *new]))
    return {k: [old.get(k), new.get(k)] for k in keys if old.get(k) != new.get(k)}


def project_slugs(db: Database) -> set[str]:
    return {r[0] for r in db.execute("SELECT slug FROM projects")}


def incident_exists(db: Database, incident_id: str) -> bool:
    return db.execute("SELECT 1 FROM incidents WHERE id = ?", [incident_id]).fetchone() is not None


def overdue_action_count(db: Database, day: str) -> int:
    """Open action items due before `day`, duplicates excluded."""
    return int(
        db.execute(
            "SELECT count(*) FROM actions a JOIN incidents i ON i.id = a.incident_id "
            "WHERE a.status = 'open' AND a.due IS NOT NULL AND a.due < ? AND i.duplicate_of IS NULL",
            [day],
        ).fetchone()[0]
    )


def record_count(db: Database) -> int:
    """Projects + incidents + frozen reviews: roughly the files an export writes."""
    row = db.execute(
        "SELECT (SELECT count(*) FROM projects) + (SELECT count(*) FROM incidents)"
        " + (SELECT count(*) FROM frozen_reviews)"
    ).fetchone()
    return int(row[0])
