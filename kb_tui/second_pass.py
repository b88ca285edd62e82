"""The portfolio's second pass (verdicts, usage sparklines, overdue count) in a child process.

In a worker thread, the detector and the service it needs (pydantic, sqlite-utils, numpy: ~0.8 s
of imports, then the scan) held the UI process's one GIL for seconds: every key pressed meanwhile,
and every screen opened, waited for it. A child process does that work on another core, and the UI
only waits on a pipe (a blocking read releases the GIL). It is started beside the first rows'
prefetch, so it imports while Textual does; the UI reads its lines as they come:

    {"verdicts": [[project, verdict, score, [signal code, ...]], ...]}
    {"usage": {slug: [value, ...]}, "overdue": n}
    {"stale": true}              # not a current kb database: ask again once the UI has opened it
    {"error": "one line", "kind": "OperationalError", "expected": false, "where": ""}
                                 # expected: a KBError (the user can fix it); the traceback is on stderr

    python -m kb_tui.second_pass DB [AS_OF]     (started as python -m kb_tui.background kb_tui.second_pass ...)

This module imports neither textual nor kb.service at the top: the child pays only for the scan.
The verdicts and usage come through the read path (kb.ops.reads.Reader: no pydantic, no sqlite-utils
and numpy), so they are out before the service is imported for the overdue count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import IO, Any, NamedTuple


# NamedTuples, not frozen dataclasses: made once per project, and a dataclass's class costs the
# portfolio's first frame about 1.5 ms of code generation at import (each of these is imported then)
class SignalCell(NamedTuple):
    code: str


class VerdictCell(NamedTuple):
    """What the portfolio holds of a verdict: its word, score and signal codes (the evidence is on the
    project screen)."""

    project: str
    verdict: str
    score: float
    signals: tuple[SignalCell, ...] = ()


_started: dict[tuple[Path, date | None], subprocess.Popen[str]] = {}
_lock = threading.Lock()


def start_portfolio(db_path: Path | None, as_of: date | None = None) -> None:
    """Start the portfolio's reads before anything else: its first rows on a side thread (stdlib
    sqlite3 only, kb.portfolio.prefetch) and, once they are read, this second pass in a child
    process, so both run while Textual imports and starts. The child waits for the read because on
    two cores the UI thread, the read and the child's imports and scan are three things at once:
    started together, the child slowed both the read and the UI's first frame. Each is started
    once per file."""
    from kb.config import resolve_db_path
    from kb.portfolio import prefetch

    path = resolve_db_path(db_path)
    prefetch(db_path, then=lambda: start(path, as_of))


def start(path: Path, as_of: date | None) -> None:
    """Start the child for (path, as_of) unless one is already waiting to be taken."""
    with _lock:
        key = (path, as_of)
        if key not in _started:
            _started[key] = _spawn(path, as_of)


def take(path: Path, as_of: date | None) -> subprocess.Popen[str]:
    """The child started for (path, as_of), else a new one: each is read once, by one worker."""
    with _lock:
        proc = _started.pop((path, as_of), None)
    return proc if proc is not None else _spawn(path, as_of)


def stop_all() -> None:
    """End children nobody took (the app quit before its portfolio asked)."""
    with _lock:
        procs = list(_started.values())
        _started.clear()
    for proc in procs:
        stop(proc)


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def lines(proc: subprocess.Popen[str]) -> Iterator[dict[str, Any]]:
    """The child's messages as they arrive; its exit without a word is an error."""
    assert proc.stdout is not None
    told = False
    for line in proc.stdout:
        message = json.loads(line)
        told = told or "error" in message
        yield message
    code = proc.wait()
    if code != 0 and not told:
        err = proc.stderr.read().strip().splitlines() if proc.stderr is not None else []
        yield {"error": err[-1] if err else f"the verdict scan exited with status {code}"}


class VerdictScanFailed(RuntimeError):
    """The child failed with something other than a KBError. `kind` is its exception's type, which the
    worker's one line names (as for a failure in this process); its traceback is attached as a note."""

    def __init__(self, line: str, kind: str) -> None:
        super().__init__(line)
        self.kind = kind


def failure(message: dict[str, Any], proc: subprocess.Popen[str]) -> Exception:
    """The exception a worker raises for the child's {"error": ...} line, so the failure takes the one
    worker error path (kb_tui.workers.report_failure): a KBError as the user's one line, anything else
    logged with the child's traceback (read from its stderr once it has exited)."""
    if message.get("expected"):
        from kb.errors import KBError

        return KBError(message["error"], message.get("where", ""))
    exc = VerdictScanFailed(message["error"], message.get("kind") or "VerdictScanFailed")
    detail = proc.stderr.read().strip() if proc.stderr is not None and not proc.stderr.closed else ""
    if detail:
        exc.add_note(f"in the second-pass process:\n{detail}")
    return exc


def cells(message: dict[str, Any]) -> dict[str, VerdictCell]:
    return {
        p: VerdictCell(p, v, float(s), tuple(SignalCell(c) for c in codes)) for p, v, s, codes in message["verdicts"]
    }


def _spawn(path: Path, as_of: date | None) -> subprocess.Popen[str]:
    root = str(Path(__file__).resolve().parent.parent)  # where kb_tui (and kb beside it) is imported from
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    # background work, lowered before it imports anything (kb_tui.background): on a busy machine (two
    # cores, a build or a test run beside kb) it took CPU from the UI's first frame and keys; on a
    # quiet one it still has a core to itself
    module = ["-m", "kb_tui.background", "kb_tui.second_pass"]
    args = [sys.executable, *module, str(path), as_of.isoformat() if as_of else ""]
    return subprocess.Popen(
        args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def _usage(points: list[Any]) -> list[float]:
    """Usage per period: predictions served, or adoption where a feed reports only that."""
    out: list[float] = []
    for p in points:
        value = p.predictions if getattr(p, "predictions", None) is not None else getattr(p, "adoption", None)
        if value is not None:
            out.append(float(value))
    return out


def _send(out: IO[str], message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def main(argv: list[str]) -> int:
    path, when = Path(argv[0]), (date.fromisoformat(argv[1]) if len(argv) > 1 and argv[1] else None)
    from kb.portfolio import is_current

    if not is_current(path):  # the UI creates, migrates or explains; it asks again afterwards
        _send(sys.stdout, {"stale": True})
        return 0
    from kb.ops.reads import Reader  # the read path: neither pydantic nor sqlite-utils (numpy) to import

    with Reader(path, create=False) as reader:
        verdicts = reader.silent_scan(as_of=when)  # the same snapshot and detector as KB.silent_scan
        cells = [[v.project, v.verdict, v.score, [s.code for s in v.signals]] for v in verdicts]
        _send(sys.stdout, {"verdicts": cells})
        usage = {row.slug: _usage(reader.health_series(row.slug)) for row in reader.project_rows()}
    from kb.service import KB  # the overdue count is the service's alone: imported after the verdicts are out

    with KB(path) as kb:
        overdue = kb.overdue_actions(when)
    _send(sys.stdout, {"usage": usage, "overdue": overdue})
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:  # the UI quit before reading: nobody to tell
        sys.exit(0)
    except Exception as exc:
        import logging

        logging.basicConfig(stream=sys.stderr)
        logging.getLogger("kb.tui").exception("the portfolio's second pass failed")
        try:
            from kb.errors import KBError
            from kb_tui.backend import one_line

            if isinstance(exc, KBError):
                _send(sys.stdout, {"error": exc.message, "expected": True, "where": exc.where})
            else:
                _send(sys.stdout, {"error": one_line(exc), "kind": type(exc).__name__, "expected": False})
        except BrokenPipeError:
            pass
        sys.exit(1)
