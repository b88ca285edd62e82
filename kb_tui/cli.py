"""`kb tui` and `kb demo`: open the terminal UI. Textual is imported only when one of them runs.

`kb tui` on an existing, current database does not import kb.service at all (kb.portfolio checks the
schema read-only with the standard library's sqlite3): the UI's second pass imports it in a worker.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from kb.commands._common import common_options


def _run(db_path: Path | None, actor: str | None) -> None:
    from kb_tui.second_pass import start_portfolio

    start_portfolio(db_path)  # the portfolio's reads run while Textual imports
    from kb_tui.app import KBApp

    KBApp(db_path, actor=actor).run()


@click.command()
@common_options
@click.pass_context
def tui(ctx: click.Context) -> None:
    """Open the terminal UI on the database (created on first run; the taxonomy ships with kb)."""
    from kb_tui.frozen import hold_collector

    hold_collector()  # from here to the portfolio's first frame (kb_tui.frozen)
    from kb.config import resolve_db_path
    from kb.portfolio import is_current

    root = ctx.find_root()
    path = resolve_db_path(root.meta.get("kb.db"))
    if not is_current(path):  # create (and migrate, or refuse) up front; a current one needs no kb.service
        from kb.service import KB

        with KB(path, root.meta.get("kb.actor")) as kb:
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
