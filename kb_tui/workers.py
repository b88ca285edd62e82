"""The one way a screen does database work: `@kb_worker(group)`.

A SQLite connection belongs to the thread that opened it, so each worker opens its own `KB` on its own
thread and closes it when done; a failure is logged with its traceback through `logging` (to
`<user state dir>/kb-tui.log`, see `install_log_file`) and reaches the screen as one `Failed` message,
which the screens show as one line. A worker therefore never ends the app and never needs a try/except.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, Literal, ParamSpec, Protocol, TypeVar, overload

from textual import work
from textual.worker import Worker, get_current_worker

from kb_tui.messages import Failed

if TYPE_CHECKING:
    from textual.app import App
    from textual.message import Message

    from kb.service import KB

log = logging.getLogger("kb.tui")
LOG_NAME = "kb-tui.log"

P = ParamSpec("P")


class _Screen(Protocol):
    @property
    def app(self) -> App[Any]: ...

    def post_message(self, message: Message) -> bool: ...


S = TypeVar("S", bound=_Screen)
WithKB = Callable[Concatenate[S, "KB", P], None]
Plain = Callable[Concatenate[S, P], None]
Started = Callable[Concatenate[S, P], Worker[None]]


@overload
def kb_worker(
    group: str, *, db: Literal[True] = True, exclusive: bool = True
) -> Callable[[WithKB[S, P]], Started[S, P]]: ...


@overload
def kb_worker(group: str, *, db: Literal[False], exclusive: bool = True) -> Callable[[Plain[S, P]], Started[S, P]]: ...


def kb_worker(group: str, *, db: bool = True, exclusive: bool = True) -> Callable[[Any], Any]:
    """Run the method as a thread worker (one at a time per `group` when `exclusive`, a newer call
    cancelling the older), passing it an open `KB` after `self` unless `db=False` (for work that may
    not need the store, like the portfolio's stdlib first read). Any exception is reported by
    `report_failure`; a cancelled worker reports nothing, its answer being no longer wanted."""

    def decorate(method: Callable[..., None]) -> Callable[..., Worker[None]]:
        @functools.wraps(method)
        def run(self: Any, *args: Any, **kwargs: Any) -> None:
            try:
                if db:
                    from kb_tui.backend import session

                    with session(self.app.db_path, self.app.actor) as kb:
                        method(self, kb, *args, **kwargs)
                else:
                    method(self, *args, **kwargs)
            except Exception as exc:
                report_failure(self, group, exc)

        started: Callable[..., Worker[None]] = work(thread=True, exclusive=exclusive, group=group, exit_on_error=False)(
            run
        )
        return started

    return decorate


def report_failure(screen: _Screen, group: str, exc: BaseException) -> None:
    """Log `exc` with its traceback and post one `Failed` line to `screen` (not for a cancelled worker).

    A KBError is a problem the user can fix (a missing project, a bad value): its message is the line.
    Anything else is kb's fault: the line names the log file holding the traceback.
    """
    from kb.errors import KBError
    from kb_tui.backend import one_line

    expected = isinstance(exc, KBError)
    log.log(logging.WARNING if expected else logging.ERROR, "%s worker failed", group, exc_info=exc)
    try:
        if get_current_worker().is_cancelled:
            return
    except RuntimeError:  # called outside a worker
        pass
    line = one_line(exc)
    if not expected:
        where = log_file_path()
        kind = getattr(exc, "kind", "") or type(exc).__name__  # a child process's failure names its own type
        line = f"{kind}: {line}" + (f" (details in {where})" if where else "")
    screen.post_message(Failed(line, getattr(exc, "where", "") or "", group))


class _PrivateFileHandler(logging.FileHandler):
    """A log file only its owner can read (tracebacks may quote stored text); created at the first record."""

    def _open(self) -> Any:
        path = Path(self.baseFilename)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return os.fdopen(fd, "a", encoding="utf-8", errors="backslashreplace")


def install_log_file(directory: Path | None = None) -> Path:
    """Send kb's log records (INFO and up) to `<directory>/kb-tui.log`, by default the user state dir
    (platformdirs: $XDG_STATE_HOME/kb on Linux). Idempotent; a second call with another directory moves
    the file. The file is created when the first record is written."""
    if directory is None:
        from kb.config import log_dir

        directory = log_dir()
    path = directory / LOG_NAME
    root = logging.getLogger("kb")
    for handler in [h for h in root.handlers if isinstance(h, _PrivateFileHandler)]:
        if Path(handler.baseFilename) == path.absolute():
            return path
        root.removeHandler(handler)
        handler.close()
    handler = _PrivateFileHandler(path, delay=True, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    root.addHandler(handler)
    if root.getEffectiveLevel() > logging.INFO:
        root.setLevel(logging.INFO)
    return path


def log_file_path() -> str:
    """The TUI's log file, if one is installed ("" otherwise)."""
    for handler in logging.getLogger("kb").handlers:
        if isinstance(handler, _PrivateFileHandler):
            return handler.baseFilename
    return ""
