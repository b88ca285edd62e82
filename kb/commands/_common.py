"""What every command shares: --db/--actor wherever they are typed, JSON output, one-line errors."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

import click

from kb.errors import KBError, validation_message

if TYPE_CHECKING:
    from kb.ops.reads import Reader
    from kb.service import KB

F = TypeVar("F", bound=Callable[..., Any])


def _store(key: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        if value is not None:
            ctx.find_root().meta[key] = value
        return value

    return callback


def common_options(f: F) -> F:
    """`--db` and `--actor` are accepted before or after the subcommand name."""
    f = click.option(
        "--actor",
        metavar="NAME",
        expose_value=False,
        callback=_store("kb.actor"),
        is_eager=True,
        help="Who is making this change (default: $KB_ACTOR or your user name).",
    )(f)
    f = click.option(
        "--db",
        metavar="PATH",
        expose_value=False,
        callback=_store("kb.db"),
        is_eager=True,
        help="Database file (default: $KB_DB or the user data dir).",
    )(f)
    return f


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print only JSON on stdout.")(f)


def open_kb(ctx: click.Context | None = None, *, create: bool = True) -> KB:
    from kb.service import KB

    ctx = ctx or click.get_current_context()
    root = ctx.find_root()
    kb = KB(root.meta.get("kb.db"), root.meta.get("kb.actor"), create=create)
    root.call_on_close(kb.close)
    return kb


def open_reader(ctx: click.Context | None = None) -> Reader:
    """The read-only service (kb.ops.reads): the read commands' way in, without pydantic or sqlite-utils."""
    from kb.ops.reads import Reader

    ctx = ctx or click.get_current_context()
    reader = Reader(ctx.find_root().meta.get("kb.db"))
    ctx.find_root().call_on_close(reader.close)
    return reader


@runtime_checkable
class Documented(Protocol):
    """A read-path view that gives its own JSON form (kb.store.queries' views)."""

    def document(self) -> Any: ...


def _default(obj: Any) -> Any:
    import dataclasses

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return obj.document() if isinstance(obj, Documented) else dataclasses.asdict(obj)
    if "pydantic" in sys.modules:  # a pydantic model can only come from a loaded pydantic
        from pydantic import BaseModel

        if isinstance(obj, BaseModel):
            return obj.model_dump(mode="json", by_alias=True)
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def emit_json(data: Any) -> None:
    import json

    click.echo(json.dumps(data, default=_default, ensure_ascii=False, indent=2))


def console() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn every expected failure into one line on stderr and exit code 1, never a traceback."""
    try:
        yield
    except KBError as exc:
        # one line, whatever the message quotes from the input (a key with a newline, say)
        raise click.ClickException(" ".join(str(exc).splitlines())) from None
    except ValueError as exc:
        from pydantic import ValidationError  # a subclass of ValueError; imported only when one is raised

        if isinstance(exc, ValidationError):
            raise click.ClickException(validation_message(exc)) from None
        raise
    except BrokenPipeError:
        sys.stderr.close()
        raise SystemExit(1) from None
    except Exception as exc:
        # sqlite3 is not imported for `kb --help`; an error of its can only come once it is loaded
        sqlite3 = sys.modules.get("sqlite3")
        if sqlite3 is not None and isinstance(exc, sqlite3.DatabaseError):
            raise click.ClickException(f"database error: {exc}") from None
        raise


# Set (to anything) to let an unexpected exception escape with its traceback: the test suite sets
# it, so a test fails on any exception the guard would otherwise have turned into one line.
RAISE_ENV = "KB_RAISE_INTERNAL"


@contextmanager
def internal_errors() -> Iterator[None]:
    """The safety net under `user_errors`: an exception nothing else handled becomes one line
    naming a log file that holds its traceback. Each one is a bug to fix where it is raised."""
    try:
        yield
    except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit, KeyboardInterrupt):
        raise
    except Exception as exc:
        if os.environ.get(RAISE_ENV):
            raise
        path = _log_traceback(exc)
        from kb.timeutil import clip

        what = " ".join(str(exc).split())
        where = f"; the details are in {path}" if path else ""
        raise click.ClickException(
            f"internal error ({type(exc).__name__}: {clip(what, 120)[1:-1] if what else 'no message'}){where}"
        ) from None


def _log_traceback(exc: BaseException) -> str | None:
    """Append the traceback to `<user state dir>/kb-errors.log` (0600); None if that fails too."""
    import traceback

    from kb.config import log_dir
    from kb.timeutil import stamp

    try:
        directory = log_dir()
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = directory / "kb-errors.log"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(f"--- {stamp()} kb {' '.join(sys.argv[1:])[:500]}\n")
            fh.write("".join(traceback.format_exception(exc)))
        return str(path)
    except OSError:
        return None


@contextmanager
def progress_bar(label: str, total: int | None, *, quiet: bool = False) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr, shown only when stderr is a terminal; yields `advance(n)`.

    Piped or scripted output (and --json) stays clean: there the bar draws nothing at all.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    err = Console(stderr=True)
    if quiet or not err.is_terminal:
        yield lambda n: None
        return
    columns = (TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)
