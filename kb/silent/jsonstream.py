"""Read flag logs as a stream of JSON objects without loading the file whole.

Accepted shapes: NDJSON (one object per line), a bare array, or an object whose `events`,
`items` or `results` member holds the array (Unleash, LaunchDarkly, Flagsmith list responses).
The array is decoded one element at a time with json.JSONDecoder.raw_decode over a buffer that
only ever holds the unread tail plus one chunk, so memory stays bounded by the largest event.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Protocol

from kb.errors import KBError
from kb.timeutil import clip

CONTAINER_KEYS = ("events", "items", "results")  # list responses: Unleash, GrowthBook audit; LaunchDarkly; Flagsmith
_WS = " \t\r\n"


class TextSource(Protocol):
    def read(self, n: int = -1, /) -> str: ...


_DECODER = json.JSONDecoder()


class _Buffer:
    def __init__(self, fh: TextSource, chunk: int) -> None:
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
        """Decode the next value. A syntax error is reported at once; only an error that more text
        could cure (the value runs past the buffered text) reads on, and the read size doubles
        each time, so a value is decoded O(1) times on average and the file is never re-read."""
        self.peek()
        while True:
            try:
                obj, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if _may_continue(exc, len(self.buf)) and self._grow(what):
                    continue
                line = self.line + self.buf.count("\n", self.pos, exc.pos)
                raise KBError(f"{what}: not valid JSON ({exc.msg})", f"line {line}") from None
            except RecursionError:
                raise KBError(f"{what}: not valid JSON (nested too deeply)", f"line {self.line}") from None
            except ValueError as exc:  # a number longer than Python converts (4,300 digits)
                why = "a number with more than 4,300 digits" if "digits" in str(exc) else clip(str(exc), 80)
                raise KBError(f"{what}: not valid JSON ({why})", f"line {self.line}") from None
            if end == len(self.buf) and self._grow(what):  # a number may continue in the next chunk
                continue
            if "\\u" in self.buf[self.pos : end] and _has_lone_surrogate(obj):
                raise KBError(f"{what}: a string holds a lone UTF-16 surrogate (\\ud800-\\udfff)", f"line {self.line}")
            self.pos = end
            return obj

    def _grow(self, what: str) -> bool:
        """Read at least as much again as is buffered; False at the end of the file."""
        if len(self.buf) - self.pos > MAX_VALUE_CHARS:
            raise KBError(f"{what}: one value is larger than {MAX_VALUE_CHARS // (1 << 20)} MiB", f"line {self.line}")
        size = max(self.chunk, len(self.buf) - self.pos)
        if self.eof:
            return False
        data = self.fh.read(size)
        if not data:
            self.eof = True
            return False
        self.base_line += self.buf.count("\n", 0, self.pos)
        self.buf, self.pos = self.buf[self.pos :] + data, 0
        return True


# One event is never this large; a value that would be is refused rather than buffered.
MAX_VALUE_CHARS = 64 << 20
# How far before the end of the buffered text a syntax error may be and still be a value cut off
# by the buffer's end (the longest such prefix is a literal, an escape or a number's exponent).
_TAIL = 32


def _may_continue(exc: json.JSONDecodeError, buffered: int) -> bool:
    return exc.pos >= buffered - _TAIL or exc.msg.startswith("Unterminated string")


def _has_lone_surrogate(obj: Any) -> bool:
    stack = [obj]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if any("\ud800" <= ch <= "\udfff" for ch in v):
                return True
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def iter_json(fh: TextSource, chunk: int = 1 << 16) -> Iterator[Any]:
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
