"""`kb review`: the quarterly portfolio health review, its decisions, freezing and comparing reviews.

`kb review [QUARTER]` is short for `kb review show [QUARTER]`: the group puts `show` in front of
anything that is not one of its subcommands, so a quarter and the subcommands never collide.
"""

from __future__ import annotations

from pathlib import Path

import click

from kb.commands._common import common_options, emit_json, json_option, open_kb

SHOW = "show"
_COMMON_WITH_VALUE = ("--db", "--actor")


class ReviewGroup(click.Group):
    """A group whose default subcommand is `show`, so `kb review 2026Q3 --format html` works."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        i = 0
        while i < len(args) and (args[i] in _COMMON_WITH_VALUE or args[i].startswith(("--db=", "--actor="))):
            i += 2 if args[i] in _COMMON_WITH_VALUE else 1
        head = args[i] if i < len(args) else None
        if head not in self.commands and head not in ctx.help_option_names:
            args = [*args[:i], SHOW, *args[i:]]
        return super().parse_args(ctx, args)


@click.group(cls=ReviewGroup, context_settings={"help_option_names": ["-h", "--help"]})
@common_options
def review() -> None:
    """Quarterly portfolio health review: scorecard, patterns, decisions that are followed up.

    \b
    kb review [QUARTER] [--format md|html|json] [--out FILE] [--live]
    kb review decide QUARTER SLUG --decision fix --owner NAME --due DATE --note TEXT
    kb review freeze QUARTER      store the review as it stands; later edits never change it
    kb review list                frozen reviews
    kb review diff Q1 Q2          compare two reviews

    QUARTER is like 2026Q3; the default is the last complete quarter.
    """


def _write(text: str, out: str | None) -> None:
    if out is None or out == "-":
        click.echo(text, nl=not text.endswith("\n"))
        return
    from kb.fsio import atomic_write, private_dir

    target = Path(out).expanduser()
    private_dir(target.parent)
    atomic_write(target, text.encode("utf-8"))


@review.command(SHOW)
@click.argument("quarter", required=False)
@click.option(
    "--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True, help="Output format."
)
@click.option("--out", metavar="FILE", default=None, help="Write to FILE instead of standard output.")
@click.option("--live", is_flag=True, help="Recompute from today's data even when the quarter is frozen.")
@common_options
def show(quarter: str | None, fmt: str, out: str | None, live: bool) -> None:
    """Build the review of QUARTER (default: the last complete quarter) and render it."""
    r = open_kb().review(quarter, live=live)
    if fmt == "json":
        text = r.model_dump_json(indent=2) + "\n"
    else:
        from kb.review.render import to_html, to_markdown

        text = to_markdown(r) if fmt == "md" else to_html(r)
    _write(text, out)
    if out and out != "-":
        state = f"frozen review (stored {r.frozen_at:%Y-%m-%d})" if r.frozen and r.frozen_at else "live review"
        click.echo(f"wrote the {state} of {r.quarter} to {out}", err=True)


@review.command("decide")
@click.argument("quarter")
@click.argument("slug")
@click.option(
    "--decision",
    required=True,
    type=click.Choice(["continue", "fix", "pause", "retire"]),
    help="What the group decided.",
)
@click.option("--owner", required=True, help="Who carries the decision out.")
@click.option("--due", default=None, metavar="DATE", help="When (YYYY-MM-DD; default: end of the next quarter).")
@click.option("--note", default="", help="Why, in a sentence.")
@common_options
@json_option
def decide(quarter: str, slug: str, decision: str, owner: str, due: str | None, note: str, as_json: bool) -> None:
    """Record the review group's decision for a project; the next review follows it up."""
    d = open_kb().decide(quarter, slug, decision, owner, due, note)
    if as_json:
        emit_json(d)
    else:
        click.echo(f"recorded {d.quarter} decision for {d.project}: {d.decision} (owner {d.owner}, due {d.due})")


@review.command("freeze")
@click.argument("quarter")
@common_options
@json_option
def freeze(quarter: str, as_json: bool) -> None:
    """Store the review of QUARTER as it stands now, with its decisions."""
    r = open_kb().freeze_review(quarter)
    if as_json:
        emit_json({"quarter": r.quarter, "frozen_at": r.frozen_at, "frozen_by": r.frozen_by})
    else:
        from kb.humanize import plural

        click.echo(
            f"froze the review of {r.quarter}: {plural(r.summary.projects, 'project')}, "
            f"{plural(r.summary.incidents_opened, 'incident')}, {plural(len(r.decisions), 'decision')}"
        )


@review.command("list")
@common_options
@json_option
def list_(as_json: bool) -> None:
    """List frozen reviews."""
    rows = open_kb().frozen_reviews()
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no frozen reviews yet (kb review freeze QUARTER)")
        return
    from rich.table import Table

    from kb.commands._common import console
    from kb.humanize import when

    t = Table("quarter", "frozen at", "by", "projects", "incidents", "decisions", box=None)
    for r in rows:
        t.add_row(r.quarter, when(r.frozen_at), r.actor, str(r.projects), str(r.incidents), str(r.decisions))
    console().print(t)


@review.command("diff")
@click.argument("q1")
@click.argument("q2")
@common_options
@json_option
def diff(q1: str, q2: str, as_json: bool) -> None:
    """Compare the reviews of two quarters (frozen ones as frozen)."""
    d = open_kb().review_diff(q1, q2)
    if as_json:
        emit_json(d)
        return
    from rich.table import Table

    from kb.commands._common import console
    from kb.review.render import diff_label, diff_value

    con = console()
    label = {True: "frozen", False: "live"}
    t = Table("measure", f"{d.a} ({label[d.a_frozen]})", f"{d.b} ({label[d.b_frozen]})", box=None)
    for n in d.numbers:
        t.add_row(diff_label(n.metric), diff_value(n.metric, n.a), diff_value(n.metric, n.b))
    con.print(t)
    if d.verdicts:
        v = Table("project", d.a, d.b, "change", box=None, title="verdict changes")
        for x in d.verdicts:
            v.add_row(x.project, x.a or "n/a", x.b or "n/a", x.change)
        con.print(v)
    if d.projects_added or d.projects_removed:
        con.print(f"projects added: {', '.join(d.projects_added) or 'none'}", markup=False)
        con.print(f"projects removed: {', '.join(d.projects_removed) or 'none'}", markup=False)
    if d.modes:
        m = Table("mode", d.a, d.b, box=None, title="incidents per mode")
        for mode in d.modes[:15]:
            m.add_row(mode.code, str(mode.a), str(mode.b))
        con.print(m)
