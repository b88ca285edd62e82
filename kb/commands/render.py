"""How a project, an incident and a history read in the CLI: kb.commands._doc documents, drawn by
rich on a terminal and as plain text in a pipe (no rich import there)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from kb import rules
from kb.commands._doc import Branches, Doc, Fields, Grid, Line, Node, line
from kb.commands._table import Cell, styled

if TYPE_CHECKING:  # pydantic models; the history table and the incident panel also draw kb.store.queries' views
    from kb.models import ChangeRecord, Incident, Project
    from kb.store.queries.incidents import Change, IncidentView


def days(td: timedelta | None, approximate: bool = False) -> str:
    """A duration as kb.humanize writes one (`9 d`, `3 h`); `~` in front when it rests on a year,
    quarter or month rather than a day."""
    from kb.humanize import duration

    text = duration(None if td is None else td.total_seconds() / 86400)
    return f"~{text} (approximate)" if approximate and td is not None else text


def _money(amount: float, currency: str) -> str:
    return f"{amount:,.0f} {currency}" if amount == int(amount) else f"{amount:,.2f} {currency}"


def _num(v: float | None) -> str:
    return "?" if v is None else f"{v:g}"


def project_doc(p: Project, incidents: list[Any]) -> Doc:
    from kb.approxdate import shown

    rows: list[tuple[str, Cell]] = [
        ("name", p.name),
        ("team", p.team),
        ("owner", p.owner or styled("(no owner)", "red")),
        ("business owner", p.business_owner),
        ("stage", p.stage),
        ("flags", ", ".join(p.feature_flags)),
        ("decision", p.decision),
        ("success metric", p.success_metric),
        ("baseline", p.baseline or styled("(no counterfactual)", "red")),
        ("monitoring", p.monitoring),
        ("outcome lag", f"{p.outcome_lag_days} d" if p.outcome_lag_days is not None else ""),
        ("retraining", f"{p.retraining.owner or '(nobody)'} every {p.retraining.cadence_days or '?'} d"),
        ("vendor", p.vendor),
        ("launched", shown(p.launched_on)),
        ("retired", shown(p.retired_on)),
        ("automation", p.automation or ""),
        ("stages", " → ".join(f"{c.stage} {shown(c.at)}" for c in p.lifecycle)),
        ("tags", ", ".join(p.tags)),
        ("notes", p.notes),
    ]
    fields = Fields([(k, v) for k, v in rows if v])
    listed: Grid | Line = (
        Grid(
            ("id", "kind", "sev", "status", "started", "title"),
            [(r.id, r.kind, str(r.severity), r.status, (r.started_at or "")[:10], r.title) for r in incidents],
            keys=("id",),
        )
        if incidents
        else line(("no incidents recorded", "dim"))
    )
    return Doc(line((p.slug, "bold")), [fields, listed])


def cause_tree(inc: Incident | IncidentView) -> Branches:
    """The cause tree in kb.rules.cause_tree's order; a cause reached twice is shown once in full."""
    by_id = {c.id: c for c in inc.causes}

    def node(n: rules.CauseNode) -> Node:
        c = by_id[n.id]
        parts: list[Any] = [("trigger", "bold red"), " "] if c.trigger else []
        parts.append(c.statement)
        if c.mode:
            parts += [" ", (c.mode, "dim")]
        if not c.because:
            parts.append((" (root)", "yellow"))
        if n.repeat:
            return Node(line(*parts, (" (see above)", "dim")))
        children = [Node(line(("… deeper causes not shown", "yellow")))] if n.cut else []
        return Node(line(*parts), [*children, *(node(k) for k in n.children)])

    causes = inc.causes
    triggers = [c.id for c in causes if c.trigger]
    tops = rules.cause_tree([c.id for c in causes], {c.id: c.because for c in causes}, triggers)
    return Branches(line(("causes", "bold"), " (trigger → root causes)"), [node(n) for n in tops])


def incident_doc(inc: Incident | IncidentView) -> Doc:
    from kb.approxdate import shown

    f = inc.flag
    rows: list[tuple[str, Cell]] = [
        ("project", inc.project),
        ("kind", inc.kind),
        ("severity", str(inc.severity)),
        ("status", inc.status),
        ("started", shown(inc.started_at)),
        ("detected", shown(inc.detected_at)),
        ("resolved", shown(inc.resolved_at)),
        ("detected by", inc.detected_by),
        ("made public", shown(inc.made_public_at)),
        ("announced", "yes" if inc.announced else styled("no", "red")),
        ("postmortem", inc.postmortem + (f" by {inc.postmortem_source}" if inc.postmortem_source else "")),
        ("postmortem link", inc.postmortem_link),
        ("time to detect", days(inc.time_to_detect, inc.span_is_approximate("time_to_detect"))),
        ("time to resolve", days(inc.time_to_resolve, inc.span_is_approximate("time_to_resolve"))),
        ("impact time", days(inc.impact_time, inc.span_is_approximate("impact_time"))),
    ]
    if inc.organisations:
        rows.append(("organisations", ", ".join(inc.organisations)))
    if inc.affected_projects:
        rows.append(("also affected", ", ".join(inc.affected_projects)))
    if inc.impact:
        im = inc.impact
        bits = []
        if im.money_lost:
            bits.append(f"{_money(im.money_lost.amount, im.money_lost.currency)} lost")
        if im.people_affected is not None:
            bits.append(f"{im.people_affected:,} people affected")
        if im.decisions_affected is not None:
            bits.append(f"{im.decisions_affected:,} decisions affected")
        if im.text:
            bits.append(im.text)
        rows.append(("impact", "; ".join(bits)))
    if f:
        rows.append(("flag", f"{f.key} ({f.environment}) {f.from_} → {f.to} at {f.at or '?'} by {f.actor or '?'}"))
    if inc.duplicate_of:
        rows.append(("duplicate of", inc.duplicate_of))
    if inc.tags:
        rows.append(("tags", ", ".join(inc.tags)))
    blocks: list[Any] = [Fields(rows)]
    if inc.summary:
        blocks.append(line(inc.summary))
    if inc.modes:
        blocks.append(
            Grid(
                ("mode", "role", "confidence", "evidence"),
                [(m.code, m.role, m.confidence, m.evidence) for m in inc.modes],
                title="classified as",
                keys=("mode",),
            )
        )
    if inc.causes:
        blocks.append(cause_tree(inc))
    if inc.actions:
        blocks.append(
            Grid(
                ("action", "kind", "owner", "due", "status"),
                [(a.title, a.kind, a.owner, str(a.due or ""), a.status) for a in inc.actions],
                title="actions",
            )
        )
    if inc.metrics:
        blocks.append(
            Grid(
                ("metric", "before", "after", "unit"),
                [(m.name, _num(m.before), _num(m.after), m.unit) for m in inc.metrics],
                title="metrics",
            )
        )
    if inc.lessons:
        for title, items in (
            ("went well", inc.lessons.went_well),
            ("went wrong", inc.lessons.went_wrong),
            ("got lucky", inc.lessons.got_lucky),
        ):
            if items:
                blocks += [line((title, "bold")), *(line(f"  • {x}") for x in items)]
    if inc.timeline:
        blocks.append(Grid(("at", "what happened"), [(str(e.at), e.text) for e in inc.timeline], title="timeline"))
    for link in inc.links:
        text = " ".join(x for x in (link.title, link.url, link.document) if x)
        blocks.append(line(("link:", "dim"), f" {text}", f' — "{link.quote}"' if link.quote else ""))
    return Doc(line((inc.id or "", "bold"), " ", inc.title), blocks)


def history_doc(records: list[ChangeRecord] | list[Change]) -> Doc:
    rows = []
    for r in records:
        fields = ", ".join(sorted(r.changes)) if r.op != "create" else "(created)"
        rows.append((str(r.seq), f"{r.at:%Y-%m-%d %H:%M:%S}", r.actor, r.op, fields))
    return Doc(None, [Grid(("#", "when (UTC)", "who", "op", "fields changed"), rows, keys=("when (UTC)",))])
