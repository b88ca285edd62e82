"""Text made safe where it goes: terminals and XML/DOT/Mermaid files never receive raw control
characters from what a user typed (an ESC in a title would recolour or rewrite the terminal; a
NUL or a form feed makes GraphML/GEXF invalid XML and DOT unparseable).

Control characters become visible escapes (`\\x1b`), so nothing is silently lost from a report.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, lone surrogates, the two non-characters XML
# forbids, and the bidirectional overrides/isolates that reorder what a reader sees.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]")


def _visible(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def printable(text: str) -> str:
    """`text` with every unsafe character written as a visible escape; tab and newline kept."""
    return _UNSAFE.sub(_visible, text) if _UNSAFE.search(text) else text


def markup_escape(text: object) -> str:
    """User text as Rich markup that prints as written: tags escaped, control characters visible."""
    from rich.markup import escape

    return escape(printable(str(text)))
