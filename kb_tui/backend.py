"""The one door from the UI to the store: a short-lived `KB` opened inside the calling worker thread.

A SQLite connection belongs to the thread that opened it, and Textual runs each thread worker on
its own thread, so every worker opens its own `KB` here and closes it before it returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from kb.service import KB

T = TypeVar("T")


@contextmanager
def session(path: Path | None, actor: str | None = None) -> Iterator[KB]:
    from kb.service import KB
    from kb_tui.frozen import freeze_once

    freeze_once("service")  # pydantic, sqlite-utils, numpy: imported by the first worker (kb_tui.frozen)
    kb = KB(path, actor)
    try:
        yield kb
    finally:
        kb.close()


def one_line(exc: BaseException) -> str:
    """An error as the one line a screen shows: pydantic's message made readable, else the first line."""
    from pydantic import ValidationError

    from kb.errors import validation_message

    if isinstance(exc, ValidationError):
        return validation_message(exc)
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
