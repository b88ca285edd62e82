"""Incidents for reading: listing rows and their change history.

`incident_rows` is the one listing query (`kb incident list`, the TUI's project and taxonomy
screens, `KB.incident_rows`); `history` reads the change log as `kb incident history` prints it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from kb.approxdate import ApproxDate, IncidentSpans, with_written
from kb.store.queries.sql import incident_time, incident_time_since, touches_modes
from kb.timeutil import as_utc, from_text, now_utc, to_text


@dataclass(frozen=True, slots=True)
class IncidentRow:
    """One line of an incident listing (no children loaded)."""

    id: str
    project: str
    title: str
    kind: str
    severity: int
    status: str
    started_at: str | None
    detected_at: str | None
    detected_by: str
    postmortem: str
    announced: bool
    duplicate_of: str | None


# dates as written (2021Q3) where they were approximate (m005), ordered by their start
_ROW_COLUMNS = (
    "id, project, title, kind, severity, status, "
    "coalesce(json_extract(approx_dates, '$.started_at'), started_at) AS started_at, "
    "coalesce(json_extract(approx_dates, '$.detected_at'), detected_at) AS detected_at, "
    "detected_by, postmortem, announced, duplicate_of"
)


def incident_rows(
    conn: sqlite3.Connection,
    *,
    project: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    since: date | datetime | None = None,
    include_duplicates: bool = False,
    limit: int | None = None,
    mode: str | Sequence[str] | None = None,
) -> list[IncidentRow]:
    """Incidents newest first (by kb.rules.incident_time: started, else detected), live ones only unless asked."""
    where: list[str] = []
    params: list[str | None] = []
    for col, val in (("project", project), ("kind", kind), ("status", status)):
        if val:
            where.append(f"{col} = ?")
            params.append(val)
    if mode:  # classified under the mode (or one of the codes), or naming it in a cause
        codes = json.dumps([mode] if isinstance(mode, str) else list(mode))
        where.append(touches_modes("incidents."))
        params += [codes, codes]
    if since is not None:
        where.append(incident_time_since("incidents."))  # started, else detected (kb.rules.incident_time)
        params += [to_text(since)] * 2
    if not include_duplicates:
        where.append("duplicate_of IS NULL")
    sql = (
        f"SELECT {_ROW_COLUMNS} FROM incidents {('WHERE ' + ' AND '.join(where)) if where else ''} "
        f"ORDER BY coalesce({incident_time('incidents.')}, '') DESC, id DESC"
    )
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [IncidentRow(*r[:10], bool(r[10]), r[11]) for r in conn.execute(sql, params)]  # type: ignore[call-arg]


# --- history -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    """One row of the append-only change log, as `kb.models.ChangeRecord` has it (snapshot left out)."""

    seq: int
    at: datetime
    actor: str
    entity: str
    entity_id: str
    op: str
    changes: dict[str, Any]

    def document(self) -> dict[str, Any]:
        """The JSON `ChangeRecord.model_dump(mode="json", exclude={"snapshot"})` gives."""
        return {
            "seq": self.seq,
            "at": to_text(self.at),
            "actor": self.actor,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "op": self.op,
            "changes": self.changes,
        }


def history(conn: sqlite3.Connection, entity: str, entity_id: str) -> list[Change]:
    """Who changed a project or an incident, when and what, oldest first."""
    rows = conn.execute(
        "SELECT seq, at, actor, entity, entity_id, op, changes FROM changelog "
        "WHERE entity = ? AND entity_id = ? ORDER BY seq",
        [entity, entity_id],
    )
    out = []
    for seq, at, actor, ent, eid, op, changes in rows:
        when = from_text(at)
        out.append(
            Change(seq, as_utc(when) if when is not None else now_utc(), actor, ent, eid, op, json.loads(changes))
        )
    return out


def incident_exists(conn: sqlite3.Connection, incident_id: str) -> bool:
    return conn.execute("SELECT 1 FROM incidents WHERE id = ?", [incident_id]).fetchone() is not None


# --- one whole incident --------------------------------------------------------------------------
#
# `kb incident show` draws and prints the whole document without pydantic: these views carry the
# same fields as kb.models (the attributes kb.commands.render reads), built by `read_incidents`, which
# builds kb.store.repo's models too; `IncidentView.document()` is `Incident.model_dump(mode="json", by_alias=True)`
# (tests/test_read_path.py compares both on every incident of a synthetic portfolio and the seed).


@dataclass(frozen=True, slots=True)
class FlagView:
    key: str
    environment: str
    from_: str
    to: str
    at: date | datetime | None
    actor: str

    def document(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "environment": self.environment,
            "from": self.from_,
            "to": self.to,
            "at": to_text(self.at),
            "actor": self.actor,
        }


@dataclass(frozen=True, slots=True)
class ClassificationView:
    code: str
    role: str
    confidence: str
    evidence: str


@dataclass(frozen=True, slots=True)
class CauseView:
    id: str
    statement: str
    mode: str | None
    trigger: bool
    because: list[str]


@dataclass(frozen=True, slots=True)
class ActionView:
    title: str
    owner: str
    due: date | datetime | None
    status: str
    kind: str


@dataclass(frozen=True, slots=True)
class TimelineView:
    at: date | datetime | None
    text: str


@dataclass(frozen=True, slots=True)
class LinkView:
    title: str = ""
    url: str = ""
    document: str = ""
    quote: str = ""


@dataclass(frozen=True, slots=True)
class MoneyView:
    amount: float
    currency: str


@dataclass(frozen=True, slots=True)
class ImpactView:
    money_lost: MoneyView | None
    people_affected: int | None
    decisions_affected: int | None
    text: str


@dataclass(frozen=True, slots=True)
class MetricView:
    name: str
    before: float | None
    after: float | None
    unit: str


@dataclass(frozen=True, slots=True)
class LessonsView:
    went_well: list[str]
    went_wrong: list[str]
    got_lucky: list[str]

    def __bool__(self) -> bool:
        return bool(self.went_well or self.went_wrong or self.got_lucky)


def _float(v: Any) -> float | None:
    return None if v is None else float(v)


@dataclass(frozen=True, slots=True)
class IncidentView(IncidentSpans):
    """A whole stored incident, read-only, with the derived durations kb.models.Incident has."""

    id: str
    project: str
    title: str
    kind: str
    severity: int
    status: str
    started_at: date | datetime | None
    detected_at: date | datetime | None
    resolved_at: date | datetime | None
    detected_by: str
    announced: bool
    postmortem: str
    flag: FlagView | None
    summary: str
    modes: list[ClassificationView]
    causes: list[CauseView]
    actions: list[ActionView]
    timeline: list[TimelineView]
    tags: list[str]
    links: list[LinkView]
    duplicate_of: str | None
    made_public_at: date | datetime | None
    postmortem_source: str | None
    postmortem_link: str
    impact: ImpactView | None
    organisations: list[str]
    affected_projects: list[str]
    metrics: list[MetricView]
    lessons: LessonsView | None

    def document(self) -> dict[str, Any]:
        """The JSON form `kb incident show --json` prints (pydantic's, fields added in format 2 left
        out while empty as kb.models does)."""
        impact = None
        if self.impact is not None:
            money = self.impact.money_lost
            impact = {
                "money_lost": None if money is None else {"amount": money.amount, "currency": money.currency},
                "people_affected": self.impact.people_affected,
                "decisions_affected": self.impact.decisions_affected,
                "text": self.impact.text,
            }
        doc: dict[str, Any] = {
            "id": self.id,
            "project": self.project,
            "title": self.title,
            "kind": self.kind,
            "severity": self.severity,
            "status": self.status,
            "started_at": _when(self.started_at),
            "detected_at": _when(self.detected_at),
            "resolved_at": _when(self.resolved_at),
            "detected_by": self.detected_by,
            "announced": self.announced,
            "postmortem": self.postmortem,
            "flag": None if self.flag is None else self.flag.document(),
            "summary": self.summary,
            "modes": [
                {"code": m.code, "role": m.role, "confidence": m.confidence, "evidence": m.evidence} for m in self.modes
            ],
            "causes": [
                {"id": c.id, "statement": c.statement, "mode": c.mode, "trigger": c.trigger, "because": c.because}
                for c in self.causes
            ],
            "actions": [
                {"title": a.title, "owner": a.owner, "due": to_text(a.due), "status": a.status, "kind": a.kind}
                for a in self.actions
            ],
            "timeline": [{"at": to_text(e.at), "text": e.text} for e in self.timeline],
            "tags": self.tags,
            "links": [{"title": k.title, "url": k.url, "document": k.document, "quote": k.quote} for k in self.links],
            "duplicate_of": self.duplicate_of,
            "made_public_at": _when(self.made_public_at),
            "postmortem_source": self.postmortem_source,
            "postmortem_link": self.postmortem_link,
            "impact": impact,
            "organisations": self.organisations,
            "affected_projects": self.affected_projects,
            "metrics": [{"name": m.name, "before": m.before, "after": m.after, "unit": m.unit} for m in self.metrics],
            "lessons": None
            if self.lessons is None
            else {
                "went_well": self.lessons.went_well,
                "went_wrong": self.lessons.went_wrong,
                "got_lucky": self.lessons.got_lucky,
            },
        }
        for name in INCIDENT_ADDED:  # kb.models._drop_unused
            if doc[name] in (None, "", [], {}):
                del doc[name]
        return doc


# the fields format 2 added (kb.models.INCIDENT_ADDED, which tests/test_read_path.py checks equal)
INCIDENT_ADDED = (
    "made_public_at",
    "postmortem_source",
    "postmortem_link",
    "impact",
    "organisations",
    "affected_projects",
    "metrics",
    "lessons",
)


def _when(value: date | datetime | None) -> str | None:
    return value.text if isinstance(value, ApproxDate) else to_text(value)


def _dated(row: sqlite3.Row | dict[str, Any], column: str, written: dict[str, str]) -> date | datetime | None:
    """A date column read back with its written form when it was approximate (m005)."""
    return with_written(from_text(row[column]), written.get(column))


# --- reading stored incidents, once for both shapes ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shapes:
    """What a stored incident and its parts are built as: the read path's views (`VIEWS`, here) or the
    pydantic models (`kb.store.repo.MODELS`). The columns are read and decoded once, in `read_incidents`;
    a shape only constructs. Each is called with keywords named as kb.models' fields, except `link`,
    `impact`, `metric` and `lessons`, given the stored JSON object."""

    incident: Callable[..., Any]
    flag: Callable[..., Any]
    classification: Callable[..., Any]
    cause: Callable[..., Any]
    action: Callable[..., Any]
    timeline: Callable[..., Any]
    link: Callable[[dict[str, Any]], Any]
    impact: Callable[[dict[str, Any]], Any]
    metric: Callable[[dict[str, Any]], Any]
    lessons: Callable[[dict[str, Any]], Any]


def _impact_view(im: dict[str, Any]) -> ImpactView:
    money = im.get("money_lost")
    return ImpactView(
        None if money is None else MoneyView(float(money["amount"]), money["currency"]),
        im.get("people_affected"),
        im.get("decisions_affected"),
        im.get("text") or "",
    )


VIEWS = Shapes(
    incident=IncidentView,
    flag=FlagView,
    classification=ClassificationView,
    cause=CauseView,
    action=ActionView,
    timeline=TimelineView,
    link=lambda d: LinkView(**d),
    impact=_impact_view,
    metric=lambda m: MetricView(m["name"], _float(m.get("before")), _float(m.get("after")), m.get("unit") or ""),
    lessons=lambda le: LessonsView(le.get("went_well", []), le.get("went_wrong", []), le.get("got_lucky", [])),
)


def _children(conn: sqlite3.Connection, ids: list[str], shape: Shapes) -> dict[str, dict[str, list[Any]]]:
    """The child rows of many incidents in five queries, not five per incident."""
    out: dict[str, dict[str, list[Any]]] = {i: {"modes": [], "causes": [], "actions": [], "timeline": []} for i in ids}
    if not ids:
        return out
    cur = conn.cursor()
    cur.row_factory = sqlite3.Row  # this cursor only: the connection is shared
    where = " WHERE incident_id IN (SELECT value FROM json_each(?))" if len(ids) > 1 else " WHERE incident_id = ?"
    params = [json.dumps(ids) if len(ids) > 1 else ids[0]]
    for r in cur.execute(f"SELECT * FROM classifications{where} ORDER BY incident_id, pos", params):
        out[r["incident_id"]]["modes"].append(
            shape.classification(code=r["code"], role=r["role"], confidence=r["confidence"], evidence=r["evidence"])
        )
    links: dict[tuple[str, str], list[str]] = {}
    for r in cur.execute(f"SELECT * FROM cause_links{where} ORDER BY incident_id, cause_id, pos", params):
        links.setdefault((r["incident_id"], r["cause_id"]), []).append(r["because_id"])
    for r in cur.execute(f"SELECT * FROM causes{where} ORDER BY incident_id, pos", params):
        out[r["incident_id"]]["causes"].append(
            shape.cause(
                id=r["cause_id"],
                statement=r["statement"],
                mode=r["mode"],
                trigger=bool(r["is_trigger"]),
                because=links.get((r["incident_id"], r["cause_id"]), []),
            )
        )
    for r in cur.execute(f"SELECT * FROM actions{where} ORDER BY incident_id, pos", params):
        out[r["incident_id"]]["actions"].append(
            shape.action(
                title=r["title"], owner=r["owner"], due=from_text(r["due"]), status=r["status"], kind=r["kind"]
            )
        )
    for r in cur.execute(f"SELECT * FROM timeline{where} ORDER BY incident_id, pos", params):
        out[r["incident_id"]]["timeline"].append(shape.timeline(at=from_text(r["at"]), text=r["text"]))
    return out


# the incidents columns m005 added (a store from m004 lacks them until it is migrated)
_LATER_COLUMNS = (
    "approx_dates",
    "made_public_at",
    "postmortem_source",
    "postmortem_link",
    "impact",
    "organisations",
    "affected_projects",
    "metrics",
    "lessons",
)


def _incident(row: sqlite3.Row | dict[str, Any], kids: dict[str, list[Any]], shape: Shapes) -> Any:
    flag = None
    if row["flag_key"] is not None:
        flag = shape.flag(
            key=row["flag_key"],
            environment=row["flag_environment"] or "",
            from_=row["flag_from"] or "",
            to=row["flag_to"] or "",
            at=from_text(row["flag_at"]),
            actor=row["flag_actor"] or "",
        )
    written = json.loads(row["approx_dates"] or "{}")
    impact, lessons = row["impact"], row["lessons"]
    return shape.incident(
        id=row["id"],
        project=row["project"],
        title=row["title"],
        kind=row["kind"],
        severity=row["severity"],
        status=row["status"],
        started_at=_dated(row, "started_at", written),
        detected_at=_dated(row, "detected_at", written),
        resolved_at=_dated(row, "resolved_at", written),
        detected_by=row["detected_by"],
        announced=bool(row["announced"]),
        postmortem=row["postmortem"],
        flag=flag,
        summary=row["summary"],
        modes=kids["modes"],
        causes=kids["causes"],
        actions=kids["actions"],
        timeline=kids["timeline"],
        tags=json.loads(row["tags"]),
        links=[shape.link(d) for d in json.loads(row["links"])],
        duplicate_of=row["duplicate_of"],
        made_public_at=_dated(row, "made_public_at", written),
        postmortem_source=row["postmortem_source"],
        postmortem_link=row["postmortem_link"] or "",
        impact=shape.impact(json.loads(impact)) if impact else None,
        organisations=json.loads(row["organisations"] or "[]"),
        affected_projects=json.loads(row["affected_projects"] or "[]"),
        metrics=[shape.metric(m) for m in json.loads(row["metrics"] or "[]")],
        lessons=shape.lessons(json.loads(lessons)) if lessons else None,
    )


def read_incidents(
    conn: sqlite3.Connection, shape: Shapes, where: str = "", params: Sequence[Any] = (), batch: int = 2000
) -> Iterator[Any]:
    """Whole incidents with their children, in id order, built as `shape` (optionally filtered by a WHERE
    fragment of trusted, parameterised SQL); children are read for `batch` incidents at a time."""
    cur = conn.cursor()
    cur.row_factory = sqlite3.Row
    cur.execute(f"SELECT * FROM incidents {('WHERE ' + where) if where else ''} ORDER BY id", list(params))
    names = [d[0] for d in cur.description]
    unmigrated = {name: None for name in _LATER_COLUMNS if name not in names}
    while rows := cur.fetchmany(batch):
        if unmigrated:  # a store not yet migrated (opened read-only, say): later columns read as NULL
            rows = [{**dict(zip(names, r, strict=True)), **unmigrated} for r in rows]
        kids = _children(conn, [r["id"] for r in rows], shape)
        for r in rows:
            yield _incident(r, kids[r["id"]], shape)


def read_incident(conn: sqlite3.Connection, incident_id: str, shape: Shapes) -> Any:
    """One whole incident built as `shape`; None if there is none with that id."""
    return next(read_incidents(conn, shape, "id = ?", [incident_id]), None)


def incident_view(conn: sqlite3.Connection, incident_id: str) -> IncidentView | None:
    """One incident with its children as read-only views (no pydantic); None if absent."""
    view: IncidentView | None = read_incident(conn, incident_id, VIEWS)
    return view


__all__ = [
    "Change",
    "IncidentRow",
    "IncidentView",
    "Shapes",
    "history",
    "incident_exists",
    "incident_rows",
    "incident_view",
    "read_incident",
    "read_incidents",
]
