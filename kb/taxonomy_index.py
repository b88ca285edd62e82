"""The packaged taxonomy read for browsing, without pydantic: `kb taxonomy list` and `kb taxonomy show`.

kb.taxonomy validates the taxonomy with pydantic (importing it and validating every mode costs more
than the whole command should). The packaged taxonomy is checked by kb's tests, so the read
commands read the same YAML files into these slotted views with the same defaults;
tests/test_read_taxonomy.py proves the views equal to the pydantic models, mode by mode and alias
by alias. A copy kb did not ship (`kb taxonomy validate PATH`) still goes through kb.taxonomy.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import KBError


@dataclass(frozen=True, slots=True)
class CategoryView:
    code: str
    name: str
    stage: str
    description: str = ""

    def document(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "stage": self.stage, "description": self.description}


@dataclass(frozen=True, slots=True)
class SourceView:
    document: str
    quote: str = ""
    ref: str = ""


@dataclass(frozen=True, slots=True)
class SeeAlsoView:
    taxonomy: str
    code: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class ModeView:
    code: str
    name: str
    category: str
    stage: str
    causal_role: str
    summary: str
    description: str
    sources: list[SourceView]
    origin: str = "essays"
    signals: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    mitigations: list[str] = field(default_factory=list)
    leads_to: list[str] = field(default_factory=list)
    see_also: list[SeeAlsoView] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        """`kb.taxonomy.Mode.model_dump(mode="json")`, in its field order."""
        return {
            "code": self.code,
            "name": self.name,
            "category": self.category,
            "stage": self.stage,
            "causal_role": self.causal_role,
            "origin": self.origin,
            "summary": self.summary,
            "description": self.description,
            "sources": [{"document": s.document, "quote": s.quote, "ref": s.ref} for s in self.sources],
            "signals": self.signals,
            "questions": self.questions,
            "mitigations": self.mitigations,
            "leads_to": self.leads_to,
            "see_also": [{"taxonomy": s.taxonomy, "code": s.code, "name": s.name} for s in self.see_also],
            "aliases": self.aliases,
        }


@dataclass(frozen=True)  # not slotted: alias_map is cached on the instance
class TaxonomyIndex:
    version: str
    categories: list[CategoryView]
    aliases: dict[str, str]
    modes: dict[str, ModeView]

    @functools.cached_property
    def alias_map(self) -> dict[str, str]:
        """Retired or renamed code -> the code it points at (top-level map plus per-mode aliases)."""
        return alias_map(self)

    def resolve(self, code: str) -> str | None:
        """The current code for a live code or an alias (following alias chains), else None."""
        return resolve(self, code)

    def current_codes(self) -> dict[str, tuple[str, str]]:
        return current_codes(self)

    def modes_in(self, category: str) -> list[ModeView]:
        return [m for m in self.modes.values() if m.category == category]

    def leads_to_edges(self) -> list[tuple[str, str]]:
        return [(m.code, t) for m in self.modes.values() for t in m.leads_to]


def alias_map(tax: Any) -> dict[str, str]:
    """Retired or renamed code -> the code it points at: the top-level map, then each mode's own aliases.

    For this light index and for the validated kb.taxonomy.Taxonomy alike (both have `aliases` and
    `modes`, whose values carry `code` and `aliases`)."""
    out = dict(tax.aliases)
    for mode in tax.modes.values():
        for old in mode.aliases:
            out.setdefault(old, mode.code)
    return out


def resolve(tax: Any, code: str) -> str | None:
    """The current code for a live code or an alias (following alias chains, cycles stopped), else None."""
    code = code.strip()
    if code in tax.modes:
        return code
    aliases = tax.alias_map
    seen: set[str] = set()
    while code in aliases and code not in seen:
        seen.add(code)
        code = aliases[code]
        if code in tax.modes:
            return code
    return None


def current_codes(tax: Any) -> dict[str, tuple[str, str]]:
    """Every code a record may carry (live or retired) -> (the live code it counts under, its category).

    For this light index and for the validated kb.taxonomy.Taxonomy alike (both have `modes`, whose
    values carry `category`, `alias_map` and `resolve`), so the store counts use under one rule."""
    out = {code: (code, mode.category) for code, mode in tax.modes.items()}
    for old in tax.alias_map:
        current = tax.resolve(old)
        if current is not None:
            out.setdefault(old, (current, tax.modes[current].category))
    return out


def _lists(item: dict[str, Any], keep: str = "") -> dict[str, Any]:
    """YAML `key:` with nothing after it is None; the loader reads it as an empty list (kb.taxonomy._parse)."""
    return {k: ([] if v is None and k != keep else v) for k, v in item.items()}


def _mode(item: dict[str, Any], category: str) -> ModeView:
    item = _lists(item, keep="category")
    item.setdefault("category", category)
    item["sources"] = [SourceView(**s) for s in item.get("sources", [])]
    item["see_also"] = [SeeAlsoView(**s) for s in item.get("see_also", [])]
    return ModeView(**item)


def read_index(root: Path) -> TaxonomyIndex:
    """Read a taxonomy directory that is known to be valid (the packaged one)."""
    from kb.taxonomy_files import read_yaml

    raw = read_yaml(root / "taxonomy.yaml")
    raw = {k: ({} if v is None and k == "aliases" else [] if v is None else v) for k, v in raw.items()}
    categories = [CategoryView(**c) for c in raw.get("categories", [])]
    modes: dict[str, ModeView] = {}
    for cat in categories:
        for item in read_yaml(root / "modes" / f"{cat.code}.yaml"):
            mode = _mode(item, cat.code)
            modes.setdefault(mode.code, mode)
    return TaxonomyIndex(str(raw["version"]), categories, dict(raw.get("aliases", {})), modes)


def codes_under(tax: Any, code: str) -> list[str] | None:
    """Every code a filter on `code` means: a category's modes, or one mode; with their aliases, which
    older records may still carry. None when `code` is neither. `tax` is this view or kb.taxonomy's model."""
    category = code.strip()
    if any(c.code == category for c in tax.categories):
        current = [m.code for m in tax.modes_in(category)]
    else:
        resolved = tax.resolve(code)
        if resolved is None:
            return None
        current = [resolved]
    aliases = [old for old, new in tax.alias_map.items() if tax.resolve(new) in current]
    return sorted(set(current) | set(aliases))


def unknown_code(code: str, where: str, prefix: str = "") -> KBError:
    """The one error for a code no taxonomy mode answers to, with the closest codes (kb.taxonomy's suggest,
    loaded only on this path)."""
    from kb.rules import did_you_mean
    from kb.taxonomy import load_taxonomy

    near = load_taxonomy().suggest(code)
    return KBError(f"{prefix}unknown taxonomy code {code!r}{did_you_mean(near)}", where)


@functools.cache
def packaged() -> TaxonomyIndex:
    """The taxonomy kb ships, read once per process."""
    from kb.taxonomy_files import default_taxonomy_dir

    return read_index(default_taxonomy_dir())


__all__ = [
    "CategoryView",
    "ModeView",
    "SeeAlsoView",
    "SourceView",
    "TaxonomyIndex",
    "codes_under",
    "packaged",
    "read_index",
    "unknown_code",
]
