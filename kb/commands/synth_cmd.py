"""`kb synth`: fill a database with a deterministic synthetic portfolio, for evaluation and benchmarks."""

from __future__ import annotations

from pathlib import Path

import click

from kb.commands._common import common_options, emit_json, json_option, open_kb


@click.command()
@click.option("--projects", type=click.IntRange(min=1), default=200, show_default=True, help="Number of projects.")
@click.option("--incidents", type=click.IntRange(min=0), default=10_000, show_default=True, help="Number of incidents.")
@click.option("--periods", type=click.IntRange(1, 80), default=12, show_default=True, help="Quarters of health data.")
@click.option("--flag-events", type=click.IntRange(min=0), default=2_000, show_default=True, help="Flag audit events.")
@click.option("--seed", type=int, default=1, show_default=True, help="The same seed always gives the same portfolio.")
@click.option("--last-period", default="2026Q3", show_default=True, help="The quarter the window ends with.")
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where to keep the generated health CSV and vendor flag files (default: next to the database).",
)
@common_options
@json_option
def synth(
    projects: int,
    incidents: int,
    periods: int,
    flag_events: int,
    seed: int,
    last_period: str,
    out_dir: str | None,
    as_json: bool,
) -> None:
    """Generate a realistic synthetic portfolio into an empty database (all or nothing)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from kb.errors import KBError
    from kb.synth import SynthSpec, generate
    from kb.synth.write import write_portfolio
    from kb.timeutil import parse_period

    try:
        parse_period(last_period)
        spec = SynthSpec(projects, incidents, periods, flag_events, seed, last_period)
    except ValueError as exc:
        raise KBError(str(exc), "--last-period") from None
    kb = open_kb()
    if kb.counts()["projects"]:
        raise KBError("the database already holds projects; synth fills an empty one (use a new --db)", str(kb.path))
    target = Path(out_dir) if out_dir else kb.path.with_name(f"{kb.path.stem}-synth")
    columns = (TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    err = Console(stderr=True)  # progress goes to a terminal's stderr only: stdout stays the report
    with Progress(*columns, console=err, transient=True, disable=as_json or not err.is_terminal) as bar:
        gen = bar.add_task("generate", total=1)
        portfolio = generate(spec, kb.taxonomy)
        bar.advance(gen)
        tasks = {
            "projects": bar.add_task("projects", total=spec.projects),
            "incidents": bar.add_task("incidents", total=spec.incidents),
            "health": bar.add_task("health", total=len(portfolio.health)),
            "flags": bar.add_task("flags", total=spec.flag_events),
        }
        report = write_portfolio(kb, portfolio, target, lambda phase, n: bar.advance(tasks[phase], n))
    if as_json:
        emit_json(report.__dict__)
        return
    from kb.humanize import plural

    click.echo(
        f"synthesised {plural(report.projects, 'project')}, {plural(report.incidents, 'incident')} "
        f"({plural(report.causes, 'cause')}), {plural(report.health_rows, 'health row')}, "
        f"{plural(report.flag_events, 'flag event')} into {kb.path}"
    )
    click.echo(f"source files kept in {target}")
