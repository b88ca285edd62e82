"""Rich renderables for the terminal: how a project, an incident and a history look in the CLI."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from kb import rules
from kb.textsafe import markup_escape as escape
from kb.textsafe import printable

if TYPE_CHECKING:  # pydantic models; the history table and the incident panel also draw kb.store.queries' views
    from kb.models import ChangeRecord, Incident, Project
    from kb.store.queries.incidents import Change, IncidentView


def days(td: timedelta | None, approximate: bool = False) -> str:
    """A duration in days; `~` in front when it rests on a year, quarter or month rather than a day."""
    if td is None:
        return "—"
    d = td.total_seconds() / 86400
    text = f"{d:.1f} d" if d < 10 else f"{d:.0f} d"
    return f"~{text} (approximate)" if approximate else text


def _money(amount: float, currency: str) -> str:
    return f"{amount:,.0f} {currency}" if amount == int(amount) else f"{amount:,.2f} {currency}"


def _num(v: float | None) -> str:
    return "?" if v is None else f"{v:g}"


def _kv(rows: list[tuple[str, Any]]) -> Table:
    t = Table.grid(padding=(0, 2))
    t.add_column(style="dim")
    t.add_column()
    for k, v in rows:
        t.add_row(k, Text(printable(v)) if isinstance(v, str) else v)
    return t


def project_panel(p: Project, incidents: list[Any]) -> Panel:
    from kb.approxdate import shown

    owner: Any = p.owner or Text("(no owner)", style="red")
    rows: list[tuple[str, Any]] = [
        ("name", p.name),
        ("team", p.team),
        ("owner", owner),
        ("business owner", p.business_owner),
        ("stage", p.stage),
        ("flags", ", ".join(p.feature_flags)),
        ("decision", p.decision),
        ("success metric", p.success_metric),
        ("baseline", p.baseline or Text("(no counterfactual)", style="red")),
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
    rows = [(k, v) for k, v in rows if v]
    t = Table("id", "kind", "sev", "status", "started", "title", box=None)
    for r in incidents:
        t.add_row(r.id, r.kind, str(r.severity), r.status, (r.started_at or "")[:10], escape(r.title))
    body = Group(_kv(rows), "", t if incidents else "[dim]no incidents recorded[/]")
    return Panel(body, title=f"[bold]{escape(p.slug)}[/]", title_align="left")


def cause_tree(inc: Incident | IncidentView) -> Tree:
    """The cause tree in kb.rules.cause_tree's order; a cause reached twice is shown once in full."""
    by_id = {c.id: c for c in inc.causes}
    root = Tree("[bold]causes[/] (trigger → root causes)")

    def add(node: Tree, n: rules.CauseNode) -> None:
        c = by_id[n.id]
        label = f"{'[bold red]trigger[/] ' if c.trigger else ''}{escape(c.statement)}"
        if c.mode:
            label += f" [dim]{escape(c.mode)}[/]"
        if not c.because:
            label += " [yellow](root)[/]"
        if n.repeat:
            node.add(label + " [dim](see above)[/]")
            return
        child = node.add(label)
        if n.cut:
            child.add("[yellow]… deeper causes not shown[/]")
        for k in n.children:
            add(child, k)

    causes = inc.causes
    triggers = [c.id for c in causes if c.trigger]
    for n in rules.cause_tree([c.id for c in causes], {c.id: c.because for c in causes}, triggers):
        add(root, n)
    return root


def incident_panel(inc: Incident | IncidentView) -> Panel:
    from kb.approxdate import shown

    f = inc.flag
    rows: list[tuple[str, Any]] = [
        ("project", inc.project),
        ("kind", inc.kind),
        ("severity", str(inc.severity)),
        ("status", inc.status),
        ("started", shown(inc.started_at)),
        ("detected", shown(inc.detected_at)),
        ("resolved", shown(inc.resolved_at)),
        ("detected by", inc.detected_by),
        ("made public", shown(inc.made_public_at)),
        ("announced", "yes" if inc.announced else Text("no", style="red")),
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
    parts: list[Any] = [_kv(rows)]
    if inc.summary:
        parts += ["", escape(inc.summary)]
    if inc.modes:
        t = Table("mode", "role", "confidence", "evidence", box=None, title="classified as", title_justify="left")
        for m in inc.modes:
            t.add_row(escape(m.code), m.role, m.confidence, escape(m.evidence))
        parts += ["", t]
    if inc.causes:
        parts += ["", cause_tree(inc)]
    if inc.actions:
        t = Table("action", "kind", "owner", "due", "status", box=None, title="actions", title_justify="left")
        for a in inc.actions:
            t.add_row(escape(a.title), a.kind, escape(a.owner), str(a.due or ""), a.status)
        parts += ["", t]
    if inc.metrics:
        t = Table("metric", "before", "after", "unit", box=None, title="metrics", title_justify="left")
        for metric in inc.metrics:
            t.add_row(escape(metric.name), _num(metric.before), _num(metric.after), escape(metric.unit))
        parts += ["", t]
    if inc.lessons:
        for title, items in (
            ("went well", inc.lessons.went_well),
            ("went wrong", inc.lessons.went_wrong),
            ("got lucky", inc.lessons.got_lucky),
        ):
            if items:
                parts += ["", f"[bold]{title}[/]", *(f"  • {escape(x)}" for x in items)]
    if inc.timeline:
        t = Table("at", "what happened", box=None, title="timeline", title_justify="left")
        for e in inc.timeline:
            t.add_row(str(e.at), escape(e.text))
        parts += ["", t]
    if inc.links:
        for link in inc.links:
            text = " ".join(x for x in (link.title, link.url, link.document) if x)
            parts.append(f"[dim]link:[/] {escape(text)}" + (f' — "{escape(link.quote)}"' if link.quote else ""))
    return Panel(Group(*parts), title=f"[bold]{inc.id}[/] {escape(inc.title)}", title_align="left")


def history_table(records: list[ChangeRecord] | list[Change]) -> Table:
    t = Table("#", "when (UTC)", "who", "op", "fields changed", box=None)
    for r in records:
        fields = ", ".join(sorted(r.changes)) if r.op != "create" else "(created)"
        t.add_row(str(r.seq), f"{r.at:%Y-%m-%d %H:%M:%S}", escape(r.actor), r.op, escape(fields))
    return t
