"""User-facing errors: one line naming the place and what is wrong; the CLI prints it and exits 1."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # kept out of import time: `kb --help` and the TUI's first frame never need pydantic
    from pydantic import ValidationError


def clip(value: Any, limit: int = 60) -> str:
    """`repr(value)` cut to `limit` characters: an error message never formats unbounded input."""
    if isinstance(value, str):
        text = repr(value[: limit + 1])
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value).bit_length() > 200:
        return f"a {len(str(abs(value))) if abs(value).bit_length() < 13000 else 'huge'}-digit number"
    elif isinstance(value, list | dict | tuple | set):
        return f"a {type(value).__name__}"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class KBError(Exception):
    """An error the user can fix; `where` is a file:line, a field or an id."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class NotFound(KBError):
    """A project, incident or other record that does not exist."""


class UnknownFlag(KBError):
    """A flag key the project does not list; `known` are the flags it does list."""

    def __init__(self, project: str, flag: str, known: list[str]) -> None:
        offered = f"its flags: {', '.join(known)}" if known else "it lists no flags yet"
        super().__init__(f"{flag!r} is not a flag of {project} ({offered})", "flag")
        self.project, self.flag, self.known = project, flag, list(known)


class SchemaTooNew(KBError):
    """The database was written by a newer kb; it is never modified."""


def loc_text(loc: tuple[int | str, ...]) -> str:
    """pydantic's loc tuple as `incidents[0].causes[1].because`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def first_error(exc: ValidationError, prefix: tuple[int | str, ...] = ()) -> tuple[tuple[int | str, ...], str]:
    """The first validation problem as (location, message) with pydantic's noise trimmed."""
    return problems(exc, prefix)[0]


def problems(exc: ValidationError, prefix: tuple[int | str, ...] = ()) -> list[tuple[tuple[int | str, ...], str]]:
    """Every validation problem as (location, message), so a form can mark each field it concerns."""
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(prefix) + tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        msg = err["msg"]
        for noise in ("Value error, ", "Assertion failed, "):
            msg = msg.removeprefix(noise)
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        elif err["type"] == "literal_error":
            got = err.get("input")
            msg = f"{clip(got)} is not allowed; {msg[0].lower()}{msg[1:]}"
        elif err["type"] == "missing":
            msg = "is required"
        # a model-level error has no field; its message names the field itself
        out.append((loc, msg[:1].lower() + msg[1:]))
    return out


def validation_message(exc: ValidationError, prefix: tuple[int | str, ...] = ()) -> str:
    loc, msg = first_error(exc, prefix)
    where = loc_text(loc)
    more = len(exc.errors()) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
    return f"{where}: {msg}{tail}" if where else f"{msg}{tail}"
