"""The `kb` command: a thin face over kb.service. Subcommands load lazily so `kb --help` is instant."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import click

from kb.commands._common import common_options, internal_errors, user_errors

# name -> (module:attribute, one-line help). Help lives here so listing commands imports nothing.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("kb.commands.core:init", "Create the database (idempotent) with the taxonomy ready."),
    "project": ("kb.commands.core:project", "Add, edit, list and show ML projects."),
    "incident": ("kb.commands.core:incident", "Record, edit, list, show and merge incidents (postmortems)."),
    "import": ("kb.commands.core:import_", "Import YAML documents, a `kb export` directory, or - (stdin)."),
    "export": ("kb.commands.core:export", "Export everything a team shares as files for git (one per record)."),
    "sync": ("kb.commands.core:sync", "Sync with a team directory both ways; conflicts are named, never overwritten."),
    "search": ("kb.commands.core:search", "Full-text search over incidents, causes and actions."),
    "backup": ("kb.commands.maint:backup", "Copy the live database with SQLite's online backup."),
    "check": ("kb.commands.maint:check", "Check integrity, foreign keys, the search index and causes."),
    "taxonomy": ("kb.commands.taxonomy_cmd:taxonomy", "Browse and validate the failure taxonomy."),
    "seed": ("kb.commands.taxonomy_cmd:seed", "Load the seed cases drawn from the source essays."),
    "graph": ("kb.commands.graph_cmd:graph", "Causal chains, root causes, keystones, recurring chains."),
    "flags": ("kb.commands.flags_cmd:flags", "Import feature-flag audit logs; list unmapped events."),
    "health": ("kb.commands.flags_cmd:health", "Import and show health metrics per period."),
    "silent": ("kb.commands.flags_cmd:silent", "Flag projects that look like silent failures, with evidence."),
    "log-shutdown": ("kb.commands.flags_cmd:log_shutdown", "Record a quiet feature-flag shutdown as an incident."),
    "review": ("kb.commands.review_cmd:review", "Quarterly portfolio health review, decisions, freeze."),
    "examples": ("kb.commands.maint:examples", "Copy the README tour's example files into a directory."),
    "synth": ("kb.commands.synth_cmd:synth", "Generate a deterministic synthetic portfolio."),
    "tui": ("kb_tui.cli:tui", "Open the terminal UI (the default with no command)."),
    "demo": ("kb_tui.cli:demo", "Open the terminal UI on a fresh database with the seed cases."),
}


def _utf8(text: str) -> bool:
    """False for an argument holding bytes that were not UTF-8 (Python keeps them as surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _available(target: str) -> bool:
    return importlib.util.find_spec(target.split(":", 1)[0]) is not None


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(n for n, (t, _) in COMMANDS.items() if _available(t))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None or not _available(entry[0]):
            return None
        module, attr = entry[0].split(":", 1)
        cmd: click.Command = getattr(importlib.import_module(module), attr)
        return cmd

    def main(self, args: Any = None, *rest: Any, **kwargs: Any) -> Any:
        import sys

        for n, arg in enumerate(sys.argv[1:] if args is None else args, start=1):
            if isinstance(arg, str) and not _utf8(arg):
                click.echo(f"Error: argument {n} is not valid UTF-8 text", err=True)
                sys.exit(1)
        return super().main(args, *rest, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with internal_errors(), user_errors():
            try:
                return super().invoke(ctx)
            except click.UsageError as exc:
                # one line and exit 1 like every other bad input, with where to look for help
                where = exc.ctx.command_path if exc.ctx else "kb"
                raise click.ClickException(f"{exc.format_message()} (see `{where} --help`)") from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(n, COMMANDS[n][1]) for n in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(
    name="kb", cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]}
)
@common_options
@click.version_option(package_name="kb", prog_name="kb")
@click.pass_context
def main(ctx: click.Context, **_: Any) -> None:
    """kb: a postmortem knowledge base for machine-learning projects after they ship.

    Record incidents (quiet feature-flag shutdowns above all) against a failure taxonomy, link them
    to their causes, flag projects that look like silent failures, and run quarterly reviews.
    With no command, opens the terminal UI on the default database.
    """
    if ctx.invoked_subcommand is None:
        tui = main.get_command(ctx, "tui")
        if tui is None:
            click.echo(ctx.get_help())
            return
        ctx.invoke(tui)


if __name__ == "__main__":  # pragma: no cover
    main()
