"""Textual's parsed stylesheet, kept between runs.

Textual parses the app's CSS on every start (kb.tcss and each widget's DEFAULT_CSS, about 13 KB: some
30 ms of the portfolio's first frame on a 2-core laptop) and again whenever a screen brings widgets
whose CSS it has not parsed yet. What a parse makes depends only on each source (its text, where it
came from, its priority and scope) and on the theme's variables, which Textual substitutes as it
parses. So the app's stylesheet (`CachedStylesheet`) keeps the rule sets Textual made in the user
cache directory, one file per theme and Textual install, and Textual parses only what is not there.

- The file is written when the app closes, and only when something new was parsed: never while a key
  waits. It is replaced atomically; what another app wrote meanwhile is kept.
- A file that cannot be read (a partial write, another Python, anything) is ignored with a log line
  and replaced; Textual then parses as it always does. Deleting the directory is always safe.
- Textual's release is known by its CSS modules' sizes and modification times (asking importlib for
  the version costs more than the parse), as Python's own bytecode cache knows a source. That and the
  variables are written in the file too, and a file made for others is not used: its name is only a
  CRC of them (hashlib's import alone would cost the first frame 3 ms).

The cache holds pickles of Textual's own objects, in the user's own cache directory (KB_CACHE_DIR
moves it), the trust Python already gives its bytecode cache there.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
import zlib
from functools import cache
from pathlib import Path
from typing import Any

from textual.css.model import RuleSet
from textual.css.stylesheet import CSSLocation, Stylesheet

from kb.cachedir import cache_dir

log = logging.getLogger(__name__)

ParseKey = tuple[str, CSSLocation, bool, int, str]  # Textual's own: css, read_from, default?, tie breaker, scope
# every source kb's screens bring, with room: Textual's 64 would drop some and parse them again
PARSE_CACHE_SIZE = 512


@cache
def _textual_stamp() -> str:
    """What identifies the Textual install that made the rules: its CSS modules' sizes and times."""
    import textual.css

    parts = [sys.version]
    css = Path(textual.css.__file__).parent
    for name in sorted(os.listdir(css)):
        if name.endswith(".py"):
            st = os.stat(css / name)
            parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
    return "\n".join(parts)


def fingerprint(variables: dict[str, str]) -> str:
    """What parsed rules depend on besides their sources: this Textual and Python, and the variables."""
    return _textual_stamp() + "".join(f"\n{name}={value}" for name, value in sorted(variables.items()))


def cache_file(made_for: str) -> Path:
    """The file for a fingerprint (its CRC names it; the file holds the whole fingerprint)."""
    return cache_dir("tcss") / f"{zlib.crc32(made_for.encode()):08x}.pickle"


def read(path: Path, made_for: str) -> dict[ParseKey, list[RuleSet]]:
    """The parses kept in `path` for this fingerprint; nothing if it is missing, cannot be read or was
    made for another."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        log.warning("kb: ignoring the parsed CSS in %s (%s)", path, exc)
        return {}
    try:
        kept = pickle.loads(data)
        parsed = kept.get("parsed") if isinstance(kept, dict) else None
        if not isinstance(parsed, dict) or not isinstance(kept.get("for"), str):
            raise ValueError("not a parsed stylesheet")
        for key, rules in parsed.items():
            if not (isinstance(key, tuple) and len(key) == 5 and isinstance(rules, list)):
                raise ValueError("not a parsed stylesheet")
            if not all(isinstance(rule, RuleSet) for rule in rules):
                raise ValueError("not a parsed stylesheet")
    except Exception as exc:  # a damaged or foreign file: any error unpickling it means "parse again"
        log.warning("kb: ignoring the parsed CSS in %s (%s: %s)", path, type(exc).__name__, exc)
        return {}
    if kept["for"] != made_for:  # another Textual, Python or theme whose CRC is the same: parse again
        log.debug("kb: the parsed CSS in %s was made for another theme or Textual", path)
        return {}
    return parsed


def write(path: Path, made_for: str, parsed: dict[ParseKey, list[RuleSet]]) -> None:
    """Add `parsed` to what `path` holds for this fingerprint, atomically (kb.fsio: a reader never sees
    half a file); a file-system error only costs the next start a parse."""
    from kb.errors import KBError
    from kb.fsio import atomic_write, private_dir

    try:
        data = pickle.dumps({"for": made_for, "parsed": {**read(path, made_for), **parsed}}, pickle.HIGHEST_PROTOCOL)
        private_dir(path.parent)
        atomic_write(path, data)
    except (KBError, pickle.PicklingError, TypeError, AttributeError, RecursionError) as exc:
        log.warning("kb: not keeping the parsed CSS in %s (%s: %s)", path, type(exc).__name__, exc)


class CachedStylesheet(Stylesheet):
    """Textual's Stylesheet, whose parses come from the cache file first (see the module's docstring).

    Only `_parse_rules` changes: a source the file holds for the current variables is not parsed; one
    it does not is parsed by Textual and remembered for `save`. Textual's own reparse after a theme
    change parses in a plain Stylesheet, as always."""

    def __init__(self, *, variables: dict[str, str] | None = None) -> None:
        super().__init__(variables=variables)
        self._parse_cache.grow(PARSE_CACHE_SIZE)
        self._made_for: str | None = None  # the fingerprint whose kept parses are in _parse_cache
        self._new: dict[str, dict[ParseKey, list[RuleSet]]] = {}  # parsed here, by fingerprint, not yet kept

    @classmethod
    def replacing(cls, stylesheet: Stylesheet) -> CachedStylesheet:
        """A CachedStylesheet for an app's new, still empty stylesheet (same variables)."""
        if stylesheet.source:
            raise ValueError("the stylesheet already has sources")
        return cls(variables=stylesheet._variables)

    def set_variables(self, variables: dict[str, str]) -> None:
        super().set_variables(variables)
        self._made_for = None

    def _parse_rules(
        self,
        css: str,
        read_from: CSSLocation,
        is_default_rules: bool = False,
        tie_breaker: int = 0,
        scope: str = "",
    ) -> list[RuleSet]:
        key: ParseKey = (css, read_from, is_default_rules, tie_breaker, scope)
        if key not in self._parse_cache:
            made_for = self._made_for
            if made_for is None:
                made_for = self._made_for = fingerprint(self._variables)
                for kept_key, rules in read(cache_file(made_for), made_for).items():
                    self._parse_cache[kept_key] = rules
            if key not in self._parse_cache:
                rules = super()._parse_rules(css, read_from, is_default_rules, tie_breaker, scope)
                self._new.setdefault(made_for, {})[key] = rules
                return rules
        return super()._parse_rules(css, read_from, is_default_rules, tie_breaker, scope)

    def save(self) -> None:
        """Keep what was parsed here and not found in the file (the app calls this as it closes)."""
        new, self._new = self._new, {}
        for made_for, parsed in new.items():
            write(cache_file(made_for), made_for, parsed)


def install(app: Any) -> None:
    """Give a new App (before it runs) a CachedStylesheet."""
    app.stylesheet = CachedStylesheet.replacing(app.stylesheet)


def save(app: Any) -> None:
    stylesheet = getattr(app, "stylesheet", None)
    if isinstance(stylesheet, CachedStylesheet):
        stylesheet.save()
