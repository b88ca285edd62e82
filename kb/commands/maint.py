"""Maintenance commands: `kb backup PATH` and `kb check`."""

from __future__ import annotations

import click

from kb.commands._common import common_options, emit_json, json_option, open_kb


@click.command()
@click.argument("path", type=click.Path(dir_okay=False))
@common_options
def backup(path: str) -> None:
    """Copy the live database to PATH (a new file, owner-only) with SQLite's online backup."""
    target = open_kb(create=False).backup(path)
    from kb.humanize import plural

    click.echo(f"backed up to {target} ({plural(target.stat().st_size, 'byte')})")


@click.command()
@common_options
@json_option
def check(as_json: bool) -> None:
    """Check integrity, foreign keys, the search index, causes and the history triggers; exit 1 on a problem."""
    from kb.commands._common import progress_bar

    with progress_bar("check", None, quiet=as_json):
        report = open_kb(create=False).check()
    if as_json:
        emit_json(report)
    else:
        for name, state in report.checks.items():
            click.echo(f"{name:<14} {state}")
        for problem in report.problems:
            click.echo(f"problem: {problem}", err=True)
    if not report.ok:
        raise click.exceptions.Exit(1)


@click.command()
@click.argument("directory", type=click.Path(file_okay=False), default="examples", required=False)
def examples(directory: str) -> None:
    """Copy the tour's example files (an Unleash log, a health CSV, postmortems) into DIRECTORY."""
    from kb.examples import copy_examples

    written = copy_examples(directory)
    click.echo(f"{len(written)} example files written to {directory}/ (files already there are left as they are)")
