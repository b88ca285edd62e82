"""Pick the reader for a flag log: by --format, or by looking at the first record."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from kb.errors import KBError
from kb.silent.events import FlagEvent
from kb.silent.formats import csvlog, flagsmith, growthbook, launchdarkly, unleash
from kb.silent.jsonstream import iter_json

JSON_FORMATS: dict[str, ModuleType] = {
    m.SOURCE: m
    for m in (unleash, launchdarkly, flagsmith, growthbook)  # order matters for detection
}
FORMATS: tuple[str, ...] = (*JSON_FORMATS, csvlog.SOURCE)

Normaliser = Callable[[Any, int], list[FlagEvent]]


def _first_char(fh: IO[str]) -> str:
    while True:
        ch = fh.read(1)
        if ch == "" or not ch.isspace():
            return ch


def detect_json(record: Any) -> str:
    for name, module in JSON_FORMATS.items():
        if module.looks_like(record):
            return name
    keys = ", ".join(repr(k) for k in sorted(record)[:8]) if isinstance(record, dict) else type(record).__name__
    raise KBError(
        f"cannot tell which flag system wrote this (first event has {keys}); give --format ({'|'.join(FORMATS)})",
        "event 0",
    )


def read_events(fh: IO[str], path: Path, fmt: str | None) -> tuple[str, Iterator[tuple[int, list[FlagEvent]]]]:
    """The format name and a stream of (event index, normalised events) for one open file."""
    if fmt is not None and fmt not in FORMATS:
        raise KBError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}", "--format")
    if fmt is None:
        first = _first_char(fh)
        fh.seek(0)
        if first in ("{", "["):
            records = iter_json(fh)
            head = list(itertools.islice(records, 1))
            if not head:
                return "json", iter(())
            fmt = detect_json(head[0])
            return fmt, _json_stream(itertools.chain(head, records), JSON_FORMATS[fmt].normalise)
        first_line = fh.readline()
        fh.seek(0)
        if first_line.strip() and csvlog.looks_like(first_line):
            fmt = csvlog.SOURCE
        else:
            raise KBError(
                f"cannot tell the format: neither JSON nor a CSV with a flag,environment,action,at header; "
                f"give --format ({'|'.join(FORMATS)})",
                str(path),
            )
    if fmt == csvlog.SOURCE:
        return fmt, ((line, csvlog.normalise(row, line)) for line, row in csvlog.rows(fh))
    return fmt, _json_stream(iter_json(fh), JSON_FORMATS[fmt].normalise)


def _json_stream(records: Iterator[Any], normalise: Normaliser) -> Iterator[tuple[int, list[FlagEvent]]]:
    for index, record in enumerate(records):
        yield index, normalise(record, index)
