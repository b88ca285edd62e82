"""A screen's long read in a child process, which the screen stops when it is left.

The quarterly review takes seconds at 2,000 projects. In a worker thread it held the UI process's one
GIL meanwhile (every key waited its turn), and a thread cannot be stopped: leaving the screen left it
computing, slowing whatever came next. A child process computes on the other core, where kb may also
fork its own parts (it never does in a thread), and is killed when its screen goes.

    python -m kb_tui.offload DB ACTOR METHOD ARGS_JSON

opens `KB(DB, ACTOR)`, calls the named read method of `READS` with the JSON list of arguments, and
writes the pickled answer to stdout: ("ok", value), or ("error", expected, line, where, kind, traceback).
Only this module's own child is read, so the pickle comes from kb's code, not from outside.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

READS = frozenset({"review"})  # read methods only: a killed child must never leave half a write


class Stopped(Exception):
    """The screen was left (or asked again) before the child answered: nobody wants the answer."""


class OffloadFailed(RuntimeError):
    """The child failed with something other than a KBError; `kind` names its exception's type."""

    def __init__(self, line: str, kind: str) -> None:
        super().__init__(line)
        self.kind = kind


class Offload:
    """One screen's child: a new call stops the one before it, and `stop` ends it for good."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.stopped = False
        self._lock = threading.Lock()

    def call(self, db_path: Path | None, actor: str | None, method: str, *args: Any) -> Any:
        """Run `KB.<method>(*args)` in a child and return its answer (from a worker thread)."""
        if method not in READS:
            raise ValueError(f"{method} is not a read kb runs in a child")
        with self._lock:
            if self.stopped:
                raise Stopped
            self._kill()
            cmd = [sys.executable, "-m", "kb_tui.offload", str(db_path or ""), actor or "", method, json.dumps(args)]
            proc = self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = proc.communicate()
        if self.stopped or proc.returncode < 0:
            raise Stopped
        if proc.returncode != 0 or not out:
            lines = err.decode("utf-8", "replace").strip().splitlines()
            raise OffloadFailed(lines[-1] if lines else f"exited with status {proc.returncode}", "OffloadFailed")
        answer = pickle.loads(out)  # this module's own child wrote it
        if answer[0] == "ok":
            return answer[1]
        _, expected, line, where, kind, trace = answer
        if expected:
            from kb.errors import KBError

            raise KBError(line, where)
        failed = OffloadFailed(line, kind)
        failed.add_note(trace)
        raise failed

    def stop(self) -> None:
        """End the child, and refuse any later call (the screen is gone)."""
        with self._lock:
            self.stopped = True
            self._kill()

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()


def main(argv: list[str]) -> int:
    db, actor, method, args = argv
    try:
        if method not in READS:
            raise ValueError(f"{method} is not a read kb runs in a child")
        from kb.service import KB

        with KB(Path(db) if db else None, actor or None) as kb:
            answer: tuple[Any, ...] = ("ok", getattr(kb, method)(*json.loads(args)))
    except Exception as exc:
        from kb.errors import KBError

        expected = isinstance(exc, KBError)
        line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if not expected:
            from kb_tui.backend import one_line

            line = one_line(exc)
        where = str(getattr(exc, "where", "") or "")
        answer = ("error", expected, line, where, type(exc).__name__, traceback.format_exc())
    sys.stdout.buffer.write(pickle.dumps(answer))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
