"""Pick the reader for a flag log: by --format, or by looking at its start; works on standard input.

Detection reads the first chunk of the stream and hands the readers a stream that replays it,
so nothing needs to seek (a pipe cannot). What detection saw is reported: the format and the
first record's keys when it decided, and the same when it could not.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterator
from typing import IO, Any

from kb.errors import KBError
from kb.silent.events import FlagEvent
from kb.silent.formats import JSON_FORMATS, csvlog
from kb.silent.jsonstream import iter_json

FORMATS: tuple[str, ...] = (*JSON_FORMATS, csvlog.SOURCE)
HEAD = 1 << 16

Normaliser = Callable[[Any, int], list[FlagEvent]]


class Replay:
    """A text stream that first gives back `head` (already read), then the rest of `fh`.

    It counts the characters handed out, so a caller can show progress through the file.
    """

    def __init__(self, head: str, fh: IO[str], on_read: Callable[[int], None] | None = None) -> None:
        self.head, self.fh, self.on_read = head, fh, on_read

    def _count(self, text: str) -> str:
        if self.on_read is not None and text:
            self.on_read(len(text))
        return text

    def read(self, n: int = -1) -> str:
        if self.head:
            if n < 0:
                out, self.head = self.head + self.fh.read(), ""
                return self._count(out)
            out, self.head = self.head[:n], self.head[n:]
            return self._count(out)
        return self._count(self.fh.read(n))

    def readline(self) -> str:
        if self.head:
            cut = self.head.find("\n")
            if cut >= 0:
                out, self.head = self.head[: cut + 1], self.head[cut + 1 :]
                return self._count(out)
            out, self.head = self.head + self.fh.readline(), ""
            return self._count(out)
        return self._count(self.fh.readline())

    def __iter__(self) -> Iterator[str]:
        """Lines split as a file opened with newline='' splits them (at \\n, \\r\\n or a lone \\r), as csv needs."""
        if self.head:
            lines = io.StringIO(self.head, newline="").readlines()
            self.head = ""
            last = lines.pop() if not lines[-1].endswith(("\n", "\r")) else ""
            for line in lines:
                yield self._count(line)
            if last:
                yield self._count(last + self.fh.readline())
        for line in self.fh:
            yield self._count(line)


def _keys(record: Any) -> str:
    if isinstance(record, dict):
        shown = ", ".join(repr(k) for k in list(record)[:8])
        return f"an object with keys {shown}" + (" ..." if len(record) > 8 else "") if record else "an empty object"
    return f"a JSON {type(record).__name__}"


def detect_json(record: Any) -> str:
    for name, module in JSON_FORMATS.items():
        if module.looks_like(record):
            return name
    raise KBError(
        f"cannot tell which flag system wrote this: the first record is {_keys(record)}, which matches none of "
        f"Unleash (type, createdAt, createdBy), LaunchDarkly (_id or date, accesses), Flagsmith (created_date "
        f"and log, or event_type and data) or GrowthBook (event 'feature.*'); give --format ({'|'.join(FORMATS)})",
        "event 0",
    )


def read_events(
    fh: IO[str], fmt: str | None, on_read: Callable[[int], None] | None = None
) -> tuple[str, str, Iterator[tuple[int, list[FlagEvent]]]]:
    """(format name, what detection saw, a stream of (event index, normalised events)) for one open stream."""
    if fmt is not None and fmt not in FORMATS:
        raise KBError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}", "--format")
    head = fh.read(HEAD)
    if head.startswith("\ufeff"):  # a byte-order mark some Windows tools write
        head = head[1:]
    stream = Replay(head, fh, on_read)
    first = head.lstrip()[:1]
    if fmt is None:
        if first in ("{", "["):
            records = iter_json(stream)
            peek = list(itertools.islice(records, 1))
            if not peek:
                return "json", "an empty JSON document", iter(())
            fmt = detect_json(peek[0])
            saw = f"{fmt} (the first record is {_keys(peek[0])})"
            return fmt, saw, _json_stream(itertools.chain(peek, records), JSON_FORMATS[fmt].normalise)
        first_line = head.split("\n", 1)[0].strip()
        if first_line and csvlog.looks_like(first_line):
            return csvlog.SOURCE, f"csv (header {first_line[:80]!r})", _csv_stream(stream)
        if not head.strip():
            return "empty", "an empty file", iter(())
        raise KBError(
            f"cannot tell the format: the file starts with {first_line[:60]!r}, which is neither JSON ('{{' or '[') "
            f"nor a CSV header naming flag, action and at; give --format ({'|'.join(FORMATS)})",
            "line 1",
        )
    if fmt == csvlog.SOURCE:
        return fmt, "", _csv_stream(stream)
    return fmt, "", _json_stream(iter_json(stream), JSON_FORMATS[fmt].normalise)


def _csv_stream(stream: Replay) -> Iterator[tuple[int, list[FlagEvent]]]:
    return ((line, csvlog.normalise(row, line)) for line, row in csvlog.rows(stream))


def _json_stream(records: Iterator[Any], normalise: Normaliser) -> Iterator[tuple[int, list[FlagEvent]]]:
    for index, record in enumerate(records):
        yield index, normalise(record, index)
