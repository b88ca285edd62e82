"""A real `kb` process on a pseudo-terminal, for the commands that open the UI: what a person would
see on the screen is read from the bytes Textual writes, and keys are typed into it.

Nothing in kb is replaced: the process is `python -m kb ...` with the test's environment.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Self

# CSI and OSC sequences, and the two-byte escapes Textual writes (cursor moves, modes, colours)
_ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_=>78]")
REPO = Path(__file__).resolve().parent.parent


class Terminal:
    """`kb ARGS` on a pty of `size` columns x rows (`python_flags`, e.g. `-X importtime`, go to the
    interpreter); `wait_for` reads until text is on screen."""

    def __init__(
        self,
        args: list[str],
        env: Mapping[str, str],
        size: tuple[int, int] = (120, 40),
        python_flags: tuple[str, ...] = (),
    ) -> None:
        self.master, slave = os.openpty()
        cols, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full_env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(REPO), **env}
        full_env.pop("NO_COLOR", None)
        self.proc = subprocess.Popen(
            [sys.executable, *python_flags, "-m", "kb", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=full_env,
            cwd=env.get("HOME", REPO),
            start_new_session=True,
        )
        os.close(slave)
        self.raw = bytearray()

    @property
    def text(self) -> str:
        """Everything written so far, escape sequences removed (text written in one run stays whole) and
        the terminal's line ends as newlines."""
        return _ESCAPES.sub(b"", bytes(self.raw)).replace(b"\r\n", b"\n").decode("utf-8", "replace")

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # the other side closed: the process has ended
            return False
        self.raw += chunk
        return bool(chunk)

    def wait_for(self, needle: str, timeout: float = 60.0) -> None:
        """Read until `needle` is on screen; fail with what was seen if the process ends or time runs out."""
        deadline = time.monotonic() + timeout
        while needle not in self.text:
            if time.monotonic() > deadline or (not self._read(0.5) and self.proc.poll() is not None):
                raise AssertionError(f"{needle!r} never appeared; the screen showed:\n{self.text[-2000:]}")

    def press(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def finish(self, timeout: float = 30.0) -> int:
        """Wait for the process to exit (reading what it writes meanwhile) and return its exit code."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.2)
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            raise AssertionError(f"kb did not exit; the screen showed:\n{self.text[-2000:]}")
        return self.proc.returncode

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        os.close(self.master)
