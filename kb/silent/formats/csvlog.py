"""A plain CSV flag log for any other system: `flag,environment,action,at,actor,comment`.

Columns may come in any order but must all be there, and no others (a misspelt column would
otherwise be ignored silently). `action` is one of enabled, disabled, archived, deleted,
updated, created; `at` is an ISO 8601 date or date-time (a bare date is midnight UTC).
Rows are identified by a hash of their content, so re-importing the file adds nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from kb.errors import KBError
from kb.silent.events import ACTIONS, STATE_AFTER, FlagEvent, event_key, parse_at

SOURCE = "csv"
COLUMNS = ("flag", "environment", "action", "at", "actor", "comment")


def looks_like(first_line: str) -> bool:
    cells = {c.strip().lower() for c in first_line.split(",")}
    return {"flag", "action", "at"} <= cells


def rows(fh: Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) pairs after checking the header."""
    reader = csv.reader(fh)
    try:
        header = next(reader)
    except StopIteration:
        return
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    extra = [h for h in names if h not in COLUMNS]
    if missing or extra or len(set(names)) != len(names):
        problem = f"missing {', '.join(missing)}" if missing else f"unknown column {', '.join(extra) or 'repeated'}"
        raise KBError(f"header must name the columns {','.join(COLUMNS)} ({problem})", "line 1")
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(names):
            raise KBError(f"expected {len(names)} cells, found {len(cells)}", f"line {line}")
        yield line, dict(zip(names, (c.strip() for c in cells), strict=True))


def normalise(row: dict[str, Any], line: int) -> list[FlagEvent]:
    where = f"line {line}"
    if not row["flag"]:
        raise KBError("flag: is empty", where)
    action = row["action"].lower()
    if action not in ACTIONS:
        raise KBError(f"action: {row['action']!r} is not one of {', '.join(ACTIONS)}", where)
    try:
        at = parse_at(row["at"], line, "at")
    except KBError as exc:
        raise KBError(exc.message, where) from None
    state_from, state_to = STATE_AFTER.get(action, (None, None))
    return [
        FlagEvent(
            event_key=event_key(SOURCE, None, row),
            source=SOURCE,
            flag_key=row["flag"],
            environment=row["environment"],
            action=action,  # type: ignore[arg-type]
            state_from=state_from,
            state_to=state_to,
            at=at,
            actor=row["actor"],
            comment=row["comment"],
            raw=row,
        )
    ]
