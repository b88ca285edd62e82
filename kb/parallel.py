"""Where the parts of an analysis run: a runner (`SerialRunner`, `ProcessRunner`) is passed in.

The analysis is written once; `runner.start(fn)` / `runner.start_on(session, fn)` return a pending
part whose `result()` the caller collects. The serial runner runs a part here when asked; the
process runner starts it in a forked child process, on another core (`Part`).

The quarterly review is several independent analyses of one database; on a 2-core machine two of
them can run at once. Fork, not spawn: the child starts with every module and the loaded taxonomy
already in memory (a fresh interpreter spends seconds importing scipy and networkx).

Fork is used only where it is safe (`can_fork`): on Linux, from a single-threaded process (the
CLI; never from the TUI's worker threads, where another thread may hold a lock the child would
inherit), and never with the caller's SQLite connection: the child opens its own (a connection
must not cross a fork). Whenever the child fails for any reason, the part is run again in this
process, so the answer (or the error) is always the one a serial run gives; only the time differs.
`default_runner` forks only where `can_fork` says so; the `parallel` setting (KB_PARALLEL=0, or
`parallel = false` in kb's config file: kb.config) turns forking off.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


def can_fork() -> bool:
    """True when a part may run in a forked child (see the module's docstring)."""
    from kb.config import setting

    if not setting("parallel"):
        return False
    return sys.platform.startswith("linux") and (os.cpu_count() or 1) > 1 and threading.active_count() == 1


class Part(Generic[T]):
    """A part of the work: started in a child when forking is safe, else run when its result is asked for."""

    def __init__(self, fn: Callable[[], T], fork: bool | None = None) -> None:
        self._fn = fn
        self.forked = can_fork() if fork is None else fork
        self._conn: Any = None
        self._proc: Any = None
        if self.forked:
            import multiprocessing  # here: `kb silent` imports this module for `leave_to_exit` only

            try:
                ctx = multiprocessing.get_context("fork")
                self._conn, child_end = ctx.Pipe(duplex=False)
                # not a daemon: a part may start parts of its own (multiprocessing refuses a daemon
                # children); every child is collected by `result` or stopped by `cancel`
                self._proc = ctx.Process(target=_run_child, args=(fn, child_end), daemon=False)
                self._proc.start()
                child_end.close()
            except (OSError, ValueError):  # no fork here, or out of processes: do it in this process
                self.forked = False

    def result(self) -> T:
        """The part's result; waits for the child, or runs the part here if it was not forked or failed."""
        if not self.forked:
            return self._fn()
        try:
            status, payload = self._conn.recv()  # before join: a large result would fill the pipe
        except (EOFError, OSError):  # the child died without answering
            status, payload = "failed", None
        finally:
            self._conn.close()
            self._proc.join()
        if status == "ok":
            return payload  # type: ignore[no-any-return]
        self.forked = False
        return self._fn()  # raises the error a serial run raises, or recovers from a lost child

    def cancel(self) -> None:
        """Stop the child if it is still running (the caller failed and will not ask for the result)."""
        if self.forked and self._proc is not None and self._proc.exitcode is None:
            self._proc.terminate()
            self._proc.join()
        if self._conn is not None:
            self._conn.close()


# what a forked child keeps until it ends (`leave_to_exit`); set in the child only
_in_child = False
_kept: list[Any] = []


def leave_to_exit(*objs: Any) -> None:
    """In a forked child, keep `objs` alive until the process ends; elsewhere, nothing.

    A child ends with os._exit (multiprocessing), which frees nothing: a large structure it would
    otherwise free before answering (the silent-failure snapshot of 2,000 projects, about 0.08 s)
    costs it time on the way to its answer and buys nothing. The parent, and a part run again here
    after its child failed, free as usual.
    """
    if _in_child:
        _kept.extend(objs)


def _run_child(fn: Callable[[], Any], conn: Any) -> None:
    global _in_child
    _in_child = True
    try:
        result = ("ok", fn())
    except BaseException:  # the parent repeats the part and reports its own error
        result = ("failed", None)
    try:
        conn.send(result)
    except Exception:  # an unpicklable result: the parent repeats the part
        conn.send(("failed", None))
    finally:
        conn.close()


class Pending(Protocol[T_co]):
    """A part of the work under way: its result when asked (waiting for it), or cancelled."""

    def result(self) -> T_co: ...
    def cancel(self) -> None: ...


class Reopenable(Protocol):
    """A handle on the database a part can open again with a connection of its own (kb.ops.base.Session)."""

    def reopened(self) -> Reopenable: ...
    def close(self) -> None: ...


S = TypeVar("S", bound=Reopenable)


class _Later(Generic[T]):
    def __init__(self, fn: Callable[[], T]) -> None:
        self._fn = fn

    def result(self) -> T:
        return self._fn()

    def cancel(self) -> None:
        pass


class SerialRunner:
    """Runs every part here, when its result is asked for."""

    def start(self, fn: Callable[[], T]) -> Pending[T]:
        return _Later(fn)

    def start_on(self, handle: S, fn: Callable[[S], T]) -> Pending[T]:
        return _Later(lambda: fn(handle))


class ProcessRunner:
    """Runs each part in a forked child process (`Part`); a part that fails there is run again here.

    `start_on` gives the part, in the child, a handle with a connection of its own: a connection must
    never cross a fork. The caller decides when forking is safe (`default_runner`).
    """

    def start(self, fn: Callable[[], T]) -> Pending[T]:
        return Part(fn, fork=True)

    def start_on(self, handle: S, fn: Callable[[S], T]) -> Pending[T]:
        parent = os.getpid()

        def run() -> T:
            if os.getpid() == parent:  # not forked, or run again here after the child failed
                return fn(handle)
            other = handle.reopened()
            try:
                return fn(other)  # type: ignore[arg-type]
            finally:
                other.close()

        return Part(run, fork=True)


Runner = SerialRunner | ProcessRunner
SERIAL = SerialRunner()


def default_runner() -> Runner:
    """Parts in child processes where `can_fork` says that is safe, else serially."""
    return ProcessRunner() if can_fork() else SERIAL
