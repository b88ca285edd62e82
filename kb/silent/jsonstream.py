"""Read flag logs as a stream of JSON objects without loading the file whole.

Accepted shapes: NDJSON (one object per line), a bare array, or an object whose `events`,
`items` or `results` member holds the array (Unleash, LaunchDarkly, Flagsmith list responses).
The array is decoded one element at a time with json.JSONDecoder.raw_decode over a buffer that
only ever holds the unread tail plus one chunk, so memory stays bounded by the largest event.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from kb.errors import KBError

CONTAINER_KEYS = ("events", "items", "results")
_WS = " \t\r\n"
_DECODER = json.JSONDecoder()


class _Buffer:
    def __init__(self, fh: IO[str], chunk: int) -> None:
        self.fh, self.chunk = fh, chunk
        self.buf, self.pos, self.base_line, self.eof = "", 0, 1, False

    def fill(self) -> bool:
        if self.eof:
            return False
        data = self.fh.read(self.chunk)
        if not data:
            self.eof = True
            return False
        self.base_line += self.buf.count("\n", 0, self.pos)
        self.buf, self.pos = self.buf[self.pos :] + data, 0
        return True

    @property
    def line(self) -> int:
        return self.base_line + self.buf.count("\n", 0, self.pos)

    def peek(self) -> str:
        """The next non-blank character ('' at the end), without consuming it."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WS:
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.fill():
                return ""

    def take(self, expected: str, what: str) -> None:
        got = self.peek()
        if got != expected:
            shown = repr(got) if got else "the end of the file"
            raise KBError(f"not valid JSON: expected {expected!r} {what}, found {shown}", f"line {self.line}")
        self.pos += 1

    def value(self, what: str) -> Any:
        self.peek()
        while True:
            try:
                obj, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if self.fill():
                    continue
                line = self.line + self.buf.count("\n", self.pos, exc.pos)
                raise KBError(f"{what}: not valid JSON ({exc.msg})", f"line {line}") from None
            if end == len(self.buf) and self.fill():  # a number may continue in the next chunk
                continue
            self.pos = end
            return obj


def iter_json(fh: IO[str], chunk: int = 1 << 16) -> Iterator[Any]:
    """Yield each event object of an NDJSON stream, a JSON array, or a wrapped array."""
    b = _Buffer(fh, chunk)
    first = b.peek()
    if first == "":
        return
    if first == "[":
        yield from _array(b)
        _end(b)
        return
    if first != "{":
        raise KBError(f"not valid JSON: a flag log starts with '{{' or '[', found {first!r}", f"line {b.line}")
    index = 0
    while b.peek() == "{":
        streamed = False
        head: dict[str, Any] = {}
        b.take("{", "to open an object")
        if b.peek() != "}":
            while True:
                key = b.value(f"event {index}: a member name")
                if not isinstance(key, str):
                    raise KBError(f"event {index}: a member name must be a string", f"line {b.line}")
                b.take(":", f"after {key!r}")
                if key in CONTAINER_KEYS and b.peek() == "[" and not streamed and index == 0:
                    yield from _array(b)
                    streamed = True
                else:
                    head[key] = b.value(f"event {index}: member {key!r}")
                if b.peek() == ",":
                    b.pos += 1
                    continue
                b.take("}", "to close the object")
                break
        else:
            b.pos += 1
        if streamed:
            _end(b)
            return
        yield head
        index += 1
    _end(b)


def _array(b: _Buffer) -> Iterator[Any]:
    b.take("[", "to open the array")
    if b.peek() == "]":
        b.pos += 1
        return
    n = 0
    while True:
        yield b.value(f"event {n}")
        n += 1
        nxt = b.peek()
        if nxt == ",":
            b.pos += 1
            continue
        b.take("]", f"or ',' after element {n - 1}")
        return


def _end(b: _Buffer) -> None:
    rest = b.peek()
    if rest:
        raise KBError(f"not valid JSON: unexpected {rest!r} after the end of the document", f"line {b.line}")
