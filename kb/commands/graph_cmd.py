"""`kb graph`: chains, root causes, triggers, keystones, recurring chains, similar incidents, why, cycles, export.

A thin face over kb.service.KB's graph methods: parse options, call, render (rich) or print JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from rich.table import Column, Table
from rich.tree import Tree

from kb.commands._common import common_options, console, emit_json, json_option, open_kb
from kb.graph.results import Chain, ChainNode, Keystone, RecurringChain, RootCauseReport, Similar, WhySuggestion
from kb.humanize import number, percent, plural, rate
from kb.textsafe import markup_escape as escape


def _window_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--quarter", default=None, metavar="PERIOD", help="Only incidents in this quarter (2026Q3).")(f)
    f = click.option("--until", default=None, metavar="DATE", help="Only incidents up to this day (inclusive).")(f)
    f = click.option("--since", default=None, metavar="DATE", help="Only incidents from this day on (YYYY-MM-DD).")(f)
    return f


def _window(since: str | None, until: str | None, quarter: str | None) -> dict[str, Any]:
    from kb.graph.window import parse_day

    return {"since": parse_day(since, "--since"), "until": parse_day(until, "--until"), "quarter": quarter}


@click.group()
def graph() -> None:
    """Causal chains, root causes, keystones, recurring chains, similar incidents and exports.

    Edges point from an effect to what stands behind it: incident -caused_by-> cause -because->
    deeper cause -instance_of-> taxonomy mode (see docs/graph.md).
    """


@graph.command("chain")
@click.argument("incident_id")
@common_options
@json_option
def chain_cmd(incident_id: str, as_json: bool) -> None:
    """Print an incident's causal tree, from its trigger down to its root causes."""
    ch = open_kb().chain(incident_id)
    if as_json:
        emit_json(ch)
        return
    out = console()
    out.print(chain_tree(ch))
    if not ch.tree:
        out.print("[dim]no causes recorded[/]")


@graph.command("root-causes")
@_window_options
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Show only the top N modes.")
@common_options
@json_option
def root_causes_cmd(
    since: str | None, until: str | None, quarter: str | None, limit: int | None, as_json: bool
) -> None:
    """Rank conditions by the severity-weighted incidents they are the deepest condition of."""
    report = open_kb().root_causes(**_window(since, until, quarter))
    if limit is not None:
        report.items = report.items[:limit]
    if as_json:
        emit_json(report)
        return
    console().print(root_cause_table(report))


@graph.command("triggers")
@_window_options
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Show only the top N modes.")
@common_options
@json_option
def triggers_cmd(since: str | None, until: str | None, quarter: str | None, limit: int | None, as_json: bool) -> None:
    """Rank taxonomy modes by the severity-weighted incidents they set off (the triggering events)."""
    report = open_kb().triggers(**_window(since, until, quarter))
    if limit is not None:
        report.items = report.items[:limit]
    if as_json:
        emit_json(report)
        return
    console().print(root_cause_table(report, "Triggers"))


@graph.command("keystones")
@_window_options
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True)
@common_options
@json_option
def keystones_cmd(since: str | None, until: str | None, quarter: str | None, limit: int, as_json: bool) -> None:
    """Conditions a team controls whose removal would cut the most chains off from their root causes."""
    items = open_kb().keystones(limit=limit, **_window(since, until, quarter))
    if as_json:
        emit_json(items)
        return
    console().print(keystone_table(items))


@graph.command("recurring")
@click.option("--min-count", type=int, default=2, show_default=True, help="Seen in at least this many incidents.")
@_window_options
@common_options
@json_option
def recurring_cmd(min_count: int, since: str | None, until: str | None, quarter: str | None, as_json: bool) -> None:
    """Mode chains (A because B because C) that recur across incidents."""
    items = open_kb().recurring_chains(min_count=min_count, **_window(since, until, quarter))
    if as_json:
        emit_json(items)
        return
    console().print(recurring_table(items))


@graph.command("similar")
@click.argument("incident_id")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True)
@common_options
@json_option
def similar_cmd(incident_id: str, limit: int, as_json: bool) -> None:
    """Incidents most like this one, with what they share: modes (primary first), causal structure,
    taxonomy neighbourhood and project traits."""
    items = open_kb().similar(incident_id, limit=limit)
    if as_json:
        emit_json(items)
        return
    console().print(similar_table(items))


@graph.command("why")
@click.argument("codes", nargs=-1, required=True)
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True)
@common_options
@json_option
def why_cmd(codes: tuple[str, ...], limit: int, as_json: bool) -> None:
    """For the modes of a new incident, the upstream modes worth asking "why?" about."""
    items = open_kb().why(list(codes), limit=limit)
    if as_json:
        emit_json(items)
        return
    console().print(why_table(items))


@graph.command("cycles")
@click.option("--max-length", type=int, default=6, show_default=True, help="Longest cycle to look for.")
@common_options
@json_option
def cycles_cmd(max_length: int, as_json: bool) -> None:
    """Vicious circles: modes that stand behind each other across incidents."""
    cycles = open_kb().mode_cycles(max_length=max_length)
    if as_json:
        emit_json(cycles)
        return
    if not cycles:
        click.echo("no cycles among modes")
        return
    for cycle in cycles:
        click.echo(" -> ".join([*cycle, cycle[0]]))


@graph.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["graphml", "gexf", "json", "dot", "mermaid"]),
    default="graphml",
    show_default=True,
)
@click.option("--out", default=None, metavar="PATH", help="Write to this file instead of standard output.")
@click.option("--incident", default=None, metavar="ID", help="Only this incident (mermaid: its chain).")
@click.option("--project", default=None, metavar="SLUG", help="Only this project and its incidents.")
@common_options
def export_cmd(fmt: str, out: str | None, incident: str | None, project: str | None) -> None:
    """Export the graph for Gephi, yEd, Cytoscape (graphml, gexf, json), Graphviz (dot) or Markdown (mermaid)."""
    data = open_kb().export_graph(fmt, out=out, incident=incident, project=project)
    if out is not None:
        click.echo(f"wrote {fmt} to {out}", err=True)
        return
    click.echo(data, nl=False)  # bytes (graphml, gexf) go to the binary stream unchanged


# --- rendering (every user string escaped) ---------------------------------------------------


def _code_column() -> Column:
    """Mode codes are identifiers: never wrapped or cut, so they can be copied from the terminal."""
    return Column("mode", no_wrap=True, min_width=10)


def _cause_label(node: ChainNode) -> str:
    mode = f" [cyan]({escape(node.mode)})[/]" if node.mode else " [dim](no mode)[/]"
    marks = ""
    if node.trigger:
        marks += " [bold red]trigger[/]"
    if node.root:
        marks += " [bold green]root cause[/]"
    if node.repeat:
        return f"[dim]{escape(node.cause_id)}: {escape(node.statement)} (shown above)[/]"
    return f"[bold]{escape(node.cause_id)}[/] {escape(node.statement)}{mode}{marks}"


def chain_tree(ch: Chain) -> Tree:
    """Incident at the top, the trigger's branch first, root causes at the leaves."""
    root = Tree(f"[bold]{escape(ch.incident_id)}[/] {escape(ch.title)}")

    def add(parent: Tree, node: ChainNode) -> None:
        branch = parent.add(_cause_label(node))
        for child in node.children:
            add(branch, child)

    for top in ch.tree:
        add(root, top)
    if ch.truncated:
        root.add("[yellow]… cut short: the chain has more paths or levels than shown[/]")
    return root


def root_cause_table(report: RootCauseReport, what: str = "Root causes") -> Table:
    t = Table(
        "#",
        _code_column(),
        "name",
        "incidents",
        "weight",
        "share",
        "incident ids",
        title=f"{what}, {escape(report.window.label)}: {plural(report.total_incidents, 'incident')}, "
        f"total weight {number(report.total_weight)} (weight = 6 - severity)",
        caption=escape(f"{what} {report.counts}") if report.counts else None,
        box=None,
    )
    for n, it in enumerate(report.items, 1):
        more = len(it.incident_ids) - 3
        ids = ", ".join(it.incident_ids[:3]) + (f" +{more}" if more > 0 else "")
        t.add_row(
            str(n),
            escape(it.code),
            escape(it.name),
            f"{it.incidents} of {report.total_incidents}",
            number(it.weight),
            percent(it.share),
            escape(ids),
        )
    return t


CUTS_SHOWN = 3


def keystone_table(items: list[Keystone]) -> Table:
    from kb.graph.analyses import KEYSTONES_COUNT

    title = "Keystone conditions (chains cut if removed)"
    t = Table(
        "#",
        _code_column(),
        "name",
        "score",
        "incidents",
        "chains it cuts (incident: root conditions cut off)",
        title=title,
        caption=escape(f"Keystones {KEYSTONES_COUNT}"),
        box=None,
    )
    for n, k in enumerate(items, 1):
        shown = [f"{c.incident_id}: {', '.join(c.roots)}" for c in k.cuts[:CUTS_SHOWN]]
        more = len(k.cuts) - CUTS_SHOWN
        t.add_row(
            str(n),
            escape(k.code),
            escape(k.name),
            number(k.score),
            str(k.incidents),
            escape("; ".join(shown) + (f" +{more}" if more > 0 else "")),
        )
    return t


def recurring_table(items: list[RecurringChain]) -> Table:
    t = Table("count", "chain (A because B)", "incidents", title="Recurring chains", box=None)
    for r in items:
        t.add_row(str(r.count), escape(" -> ".join(r.modes)), escape(", ".join(r.incident_ids)))
    return t


def similar_table(items: list[Similar]) -> Table:
    from kb.graph.similar import FLOOR

    t = Table(
        Column("incident", no_wrap=True),
        "score",
        "title",
        "what they share (weight)",
        title="Similar incidents",
        caption=f"score = weight of the shared elements / the incident's own; below {rate(FLOOR)} left out",
        box=None,
    )
    for s in items:
        why = "\n".join(f"{r.detail} ({number(r.weight)})" for r in s.reasons)
        t.add_row(escape(s.incident_id), rate(s.score), escape(s.title), escape(why))
    return t


def why_table(items: list[WhySuggestion]) -> Table:
    title = "Ask why: upstream modes"
    t = Table(_code_column(), "name", "evidence", "past incidents", "taxonomy", title=title, box=None)
    for w in items:
        t.add_row(
            escape(w.code),
            escape(w.name),
            str(w.evidence),
            str(w.from_incidents),
            "leads_to" if w.from_taxonomy else "",
        )
    return t
