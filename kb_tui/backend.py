"""The one door from the UI to the store: a short-lived `KB` opened inside the calling worker thread.

A SQLite connection belongs to the thread that opened it, and Textual runs each thread worker on
its own thread, so every worker opens its own `KB` here and closes it before it returns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from kb.service import KB

T = TypeVar("T")


class Unavailable(Exception):
    """A service operation another issue has not delivered yet; the UI shows a placeholder."""


@contextmanager
def session(path: Path | None, actor: str | None = None) -> Iterator[KB]:
    from kb.service import KB

    kb = KB(path, actor)
    try:
        yield kb
    finally:
        kb.close()


def optional(kb: KB, name: str, *args: Any, **kwargs: Any) -> Any:
    """Call `kb.<name>` if that operation exists; raise Unavailable if it does not (yet)."""
    method: Callable[..., Any] | None = getattr(kb, name, None)
    if method is None:
        raise Unavailable(name)
    try:
        return method(*args, **kwargs)
    except NotImplementedError:
        raise Unavailable(name) from None


def has(kb: KB, name: str) -> bool:
    return callable(getattr(kb, name, None))


def one_line(exc: BaseException) -> str:
    """An error as the one line a screen shows: pydantic's message made readable, else the first line."""
    from pydantic import ValidationError

    from kb.errors import validation_message

    if isinstance(exc, ValidationError):
        return validation_message(exc)
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
