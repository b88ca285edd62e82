"""`kb tui` and `kb demo`: open the terminal UI. Textual is imported only when one of them runs."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from kb.commands._common import common_options


def _run(db_path: Path | None, actor: str | None) -> None:
    from tui.app import KBApp

    KBApp(db_path, actor=actor).run()


@click.command()
@common_options
@click.pass_context
def tui(ctx: click.Context) -> None:
    """Open the terminal UI on the database (created on first run; the taxonomy ships with kb)."""
    from kb.service import KB

    root = ctx.find_root()
    with KB(root.meta.get("kb.db"), root.meta.get("kb.actor")) as kb:  # create (and migrate) up front
        path = kb.path
    _run(path, root.meta.get("kb.actor"))


@click.command()
@common_options
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Open the terminal UI on a fresh temporary database loaded with the seed cases."""
    from kb.service import KB

    root = ctx.find_root()
    with tempfile.TemporaryDirectory(prefix="kb-demo-") as tmp:
        path = Path(tmp) / "demo.sqlite"
        with KB(path, root.meta.get("kb.actor")) as kb:
            report = kb.seed()
        click.echo(f"demo database: {report.summary()}", err=True)
        _run(path, root.meta.get("kb.actor"))
