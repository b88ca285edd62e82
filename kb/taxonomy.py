"""The failure taxonomy: pydantic models, loader and validator for the shipped `taxonomy/` data.

The taxonomy is data (YAML) so that a team can review changes to it in a pull request; this module
is the only place that knows its layout, so the store, the CLI and the TUI never parse it themselves.
Layout: `taxonomy.yaml` (version, documents, categories, aliases, documented cycles) plus one
`modes/<category>.yaml` per category holding a list of modes.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kb import taxonomy_index
from kb.rules import did_you_mean
from kb.taxonomy_files import default_examples_dir, default_seed_dir, default_taxonomy_dir, load_yaml  # noqa: F401

__all__ = [
    "CAUSAL_ROLES",
    "STAGES",
    "Category",
    "Cycle",
    "Document",
    "Mode",
    "ModeUse",
    "SeeAlso",
    "Source",
    "Taxonomy",
    "co_occurring",
    "default_seed_dir",
    "default_taxonomy_dir",
    "incidents_by_mode",
    "load_taxonomy",
    "normalise_quote",
    "quote_in_document",
    "quote_problems",
    "validate_taxonomy",
]

LifecycleStage = Literal["data", "modelling", "integration", "operation", "organisation", "strategy"]
STAGES: tuple[str, ...] = LifecycleStage.__args__  # type: ignore[attr-defined]
# A mode's place in a causal chain: a standing condition, the event that set the failure off, or what
# showed (the outcome/symptom). The graph analyses read it to tell triggers from root causes.
CausalRole = Literal["condition", "trigger", "outcome"]
CAUSAL_ROLES: tuple[str, ...] = CausalRole.__args__  # type: ignore[attr-defined]
# Where a mode comes from: the three source essays, or the wider field (a public taxonomy or paper).
ModeOrigin = Literal["essays", "field"]
DocumentKind = Literal["essay", "public"]

CATEGORY_CODE_RE = re.compile(r"^[a-z][a-z0-9]*$")
MODE_CODE_RE = re.compile(r"^([a-z][a-z0-9]*)\.([a-z0-9]+(?:-[a-z0-9]+)*)$")
VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")

if TYPE_CHECKING:
    from kb.models import Incident


class _Model(BaseModel):
    """Unknown keys are errors: a misspelt field in the taxonomy must not vanish silently."""

    model_config = ConfigDict(extra="forbid")


class Document(_Model):
    """A source document; the ONE place that maps a title (used in citations) to a file or a public address.

    An `essay` is one of the seed files (quotes are checked against it); a `public` document is a taxonomy,
    framework or paper from the wider field, cited by the code or section it names (`Source.ref`).
    """

    id: str
    title: str = Field(min_length=1)
    kind: DocumentKind = "essay"
    file: str = ""
    url: str = ""
    note: str = ""


class Category(_Model):
    code: str
    name: str
    stage: LifecycleStage
    description: str = ""


class Source(_Model):
    """A citation: the document's exact title and either a short exact quote (an essay) or the code or
    section of a public document that holds the concept (`ref`, e.g. "SEP E0101 Group fairness")."""

    document: str
    quote: str = ""
    ref: str = ""

    @property
    def text(self) -> str:
        """What to show for the citation: the quote, or the public reference."""
        return self.quote or self.ref


class SeeAlso(_Model):
    """A cross-reference to a public taxonomy (e.g. AVID), so kb records relate to other databases."""

    taxonomy: str
    code: str
    name: str = ""


class Mode(_Model):
    code: str
    name: str = Field(min_length=1)
    category: str = ""  # filled from the file the mode lives in; may be written explicitly
    stage: LifecycleStage
    causal_role: CausalRole
    origin: ModeOrigin = "essays"
    summary: str = Field(min_length=1)
    description: str = Field(min_length=1)
    sources: list[Source] = Field(min_length=1)
    signals: list[str] = Field(default_factory=list)
    questions: list[str] = Field(default_factory=list)
    mitigations: list[str] = Field(default_factory=list)
    leads_to: list[str] = Field(default_factory=list)
    see_also: list[SeeAlso] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)


class Cycle(_Model):
    """A deliberate loop in `leads_to` (a vicious circle the documents describe), with the reason."""

    modes: list[str] = Field(min_length=2)
    why: str = Field(min_length=1)


class Taxonomy(_Model):
    version: str
    documents: list[Document] = Field(default_factory=list)
    categories: list[Category] = Field(default_factory=list)
    aliases: dict[str, str] = Field(default_factory=dict)
    cycles: list[Cycle] = Field(default_factory=list)
    modes: dict[str, Mode] = Field(default_factory=dict)

    # -- lookups -----------------------------------------------------------------------------

    @property
    def alias_map(self) -> dict[str, str]:
        """Retired or renamed code -> the code it points at (top-level map plus per-mode aliases)."""
        return taxonomy_index.alias_map(self)

    def resolve(self, code: str) -> str | None:
        """The current code for a live code or an alias (following alias chains), else None."""
        return taxonomy_index.resolve(self, code)

    def mode(self, code: str) -> Mode:
        """The mode for a code or alias; KeyError with suggestions otherwise."""
        current = self.resolve(code)
        if current is None:
            raise KeyError(f"unknown taxonomy code {code!r}{did_you_mean(self.suggest(code), parenthesised=True)}")
        return self.modes[current]

    def category(self, code: str) -> Category:
        for cat in self.categories:
            if cat.code == code:
                return cat
        raise KeyError(f"unknown taxonomy category {code!r}")

    def modes_in(self, category: str) -> list[Mode]:
        return [m for m in self.modes.values() if m.category == category]

    def document(self, title_or_id: str) -> Document:
        for doc in self.documents:
            if title_or_id in (doc.title, doc.id):
                return doc
        raise KeyError(f"unknown document {title_or_id!r}")

    def leads_to_edges(self) -> list[tuple[str, str]]:
        """Every prior causal edge (mode -> mode it typically causes), in file order."""
        return [(m.code, t) for m in self.modes.values() for t in m.leads_to]

    def unknown_code(self, code: str) -> str:
        """The one-line message for a code that is neither a mode nor an alias, with the closest codes."""
        return f"unknown taxonomy code {code!r}{did_you_mean(self.suggest(code))}"

    def suggest(self, code: str, n: int = 3) -> list[str]:
        """Closest current codes for a mistyped code: spelling first, then shared name words."""
        query = code.strip().lower()
        if not query:
            return []
        scores: dict[str, float] = {}
        candidates: dict[str, str] = {c: c for c in self.modes}
        candidates.update({a: t for a, t in self.alias_map.items() if self.resolve(a)})
        for cand, target in candidates.items():
            tail = cand.split(".", 1)[-1]
            q_tail = query.split(".", 1)[-1]
            ratio = max(
                difflib.SequenceMatcher(None, query, cand).ratio(),
                difflib.SequenceMatcher(None, q_tail, tail).ratio() * 0.95,
            )
            current = self.resolve(target) or target
            scores[current] = max(scores.get(current, 0.0), ratio)
        words = set(_words(query))
        for mode in self.modes.values():
            overlap = words & set(_words(f"{mode.code} {mode.name}"))
            if overlap:
                bonus = 0.5 + 0.15 * len(overlap)
                scores[mode.code] = max(scores.get(mode.code, 0.0), bonus)
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        if not ranked:
            return []
        # a near-certain match should not drag in codes that merely share the category prefix
        cutoff = max(0.55, ranked[0][1] - 0.2)
        return [c for c, s in ranked if s >= cutoff][:n]

    @functools.cached_property
    def _search_index(self) -> list[tuple[tuple[list[str], float], ...]]:
        """Per mode, its words by field with their weight; built once because pickers search per keystroke."""
        return [
            (
                (sorted(set(_words(m.code))), 6.0),
                (sorted(set(_words(m.name))), 5.0),
                (sorted(set(_words(m.summary))), 2.0),
                (sorted(set(_words(" ".join(m.signals)))), 1.0),
            )
            for m in self.modes.values()
        ]

    def search(self, text: str) -> list[Mode]:
        """Modes matching free text, best first: code, then name, summary and signal words.

        Used by pickers, so a typo still finds something (difflib on words) and an empty query
        lists every mode in file order.
        """
        query = text.strip().lower()
        modes = list(self.modes.values())
        if not query:
            return modes
        resolved = self.resolve(query)
        terms = _words(query)
        index = self._search_index
        scored: list[tuple[float, int, Mode]] = []
        for idx, mode in enumerate(modes):
            score = 0.0
            if mode.code == resolved:
                score += 100
            elif mode.code.startswith(query):
                score += 40
            elif query in mode.code:
                score += 25
            name = mode.name.lower()
            if query in name:
                score += 20
            fields = index[idx]
            for term in terms:
                best = 0.0
                for words, weight in fields:
                    if term in words:
                        best = max(best, weight)
                    elif any(w.startswith(term) for w in words) and len(term) >= 3:
                        best = max(best, weight * 0.7)
                    elif len(term) >= 4 and difflib.get_close_matches(term, words, n=1, cutoff=0.8):
                        best = max(best, weight * 0.5)
                score += best
            if score > 0:
                scored.append((score, idx, mode))
        scored.sort(key=lambda t: (-t[0], t[1]))
        return [m for _, _, m in scored]


_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "no",
        "not",
    ]
)


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOPWORDS]


# -- locating the shipped data ---------------------------------------------------------------


# -- loading and validation ------------------------------------------------------------------


def _read_yaml(path: Path, problems: list[str]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        problems.append(f"{path}: cannot read ({exc.strerror or exc})")
        return None
    try:
        return load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problems.append(f"{path}{where}: invalid YAML ({reason})")
        return None


def _schema_errors(where: str, exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(document)"
        out.append(f"{where}: {loc}: {err['msg']}")
    return out


def _rel(path: Path, root: Path) -> str:
    try:
        return str(Path(root.name) / path.relative_to(root))
    except ValueError:
        return str(path)


def _parse(root: Path) -> tuple[Taxonomy | None, list[str], dict[str, str]]:
    """Read a taxonomy directory. Returns the model (None if unusable), problems, and code -> file."""
    problems: list[str] = []
    index_path = root / "taxonomy.yaml"
    if not index_path.is_file():
        return None, [f"{index_path}: missing (a taxonomy directory needs taxonomy.yaml and modes/)"], {}
    index_name = _rel(index_path, root)
    raw = _read_yaml(index_path, problems)
    if raw is None and problems:
        return None, problems, {}
    if not isinstance(raw, dict):
        return None, [f"{index_name}: expected a mapping with version, documents, categories"], {}
    if "modes" in raw:
        problems.append(f"{index_name}: modes: modes belong in modes/<category>.yaml, not in taxonomy.yaml")
        raw = {k: v for k, v in raw.items() if k != "modes"}
    raw = {k: ({} if v is None and k == "aliases" else [] if v is None else v) for k, v in raw.items()}
    try:
        index = Taxonomy.model_validate(raw)
    except ValidationError as exc:
        return None, problems + _schema_errors(index_name, exc), {}

    if not VERSION_RE.match(index.version):
        problems.append(f"{index_name}: version: {index.version!r} is not MAJOR.MINOR.PATCH")
    _dupes(problems, index_name, "documents", [d.id for d in index.documents], "document id")
    _dupes(problems, index_name, "documents", [d.title for d in index.documents], "document title")
    _dupes(problems, index_name, "categories", [c.code for c in index.categories], "category code")
    for cat in index.categories:
        if not CATEGORY_CODE_RE.match(cat.code):
            problems.append(f"{index_name}: categories: {cat.code!r} is not a lowercase word")

    modes: dict[str, Mode] = {}
    origin: dict[str, str] = {}
    entry: dict[str, int] = {}
    modes_dir = root / "modes"
    known_cats = {c.code for c in index.categories}
    for cat in index.categories:
        path = modes_dir / f"{cat.code}.yaml"
        name = _rel(path, root)
        if not path.is_file():
            problems.append(f"{name}: missing (category {cat.code!r} has no modes file)")
            continue
        data = _read_yaml(path, problems)
        if data is None:
            continue
        if not isinstance(data, list):
            problems.append(f"{name}: expected a YAML list of modes")
            continue
        for i, item in enumerate(data):
            label = f"{name}: [{i}]"
            if isinstance(item, dict) and isinstance(item.get("code"), str):
                label = f"{name}: {item['code']}"
            if not isinstance(item, dict):
                problems.append(f"{label}: expected a mapping")
                continue
            item = {k: ([] if v is None and k != "category" else v) for k, v in item.items()}
            item.setdefault("category", cat.code)
            try:
                mode = Mode.model_validate(item)
            except ValidationError as exc:
                problems.extend(_schema_errors(label, exc))
                continue
            m = MODE_CODE_RE.match(mode.code)
            if not m:
                problems.append(f"{label}: code: {mode.code!r} must be <category>.<kebab-case-name>, lowercase")
            elif m.group(1) != cat.code:
                problems.append(f"{label}: code: {mode.code!r} is in {name} but its prefix is {m.group(1)!r}")
            if mode.category != cat.code:
                problems.append(f"{label}: category: {mode.category!r} does not match file category {cat.code!r}")
            if mode.code in modes:
                first = origin[mode.code] + (f" entry {entry[mode.code]}" if origin[mode.code] == name else "")
                problems.append(f"{label}: duplicate code {mode.code!r} (entry {i + 1}; first defined in {first})")
                continue
            modes[mode.code] = mode
            origin[mode.code] = name
            entry[mode.code] = i + 1
    if modes_dir.is_dir():
        for extra in sorted(modes_dir.glob("*.yaml")):
            if extra.stem not in known_cats:
                problems.append(f"{_rel(extra, root)}: no category {extra.stem!r} in taxonomy.yaml categories")
    tax = index.model_copy(update={"modes": modes})
    return tax, problems, origin


def _dupes(problems: list[str], where: str, field: str, values: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            problems.append(f"{where}: {field}: duplicate {what} {v!r}")
        seen.add(v)


def _check(tax: Taxonomy, origin: dict[str, str], index_name: str) -> list[str]:
    """Cross-reference checks that need the whole taxonomy: targets, aliases, citations, cycles."""
    problems: list[str] = []
    titles = {d.title for d in tax.documents}
    kinds = {d.title: d.kind for d in tax.documents}
    for i, doc in enumerate(tax.documents):
        if doc.kind == "essay" and not doc.file:
            problems.append(f"{index_name}: documents[{i}] ({doc.id}): an essay needs a file")
        if doc.kind == "public" and not doc.url:
            problems.append(f"{index_name}: documents[{i}] ({doc.id}): a public document needs a url")

    def hint(code: str) -> str:
        return did_you_mean(tax.suggest(code), parenthesised=True)

    for code, mode in tax.modes.items():
        where = f"{origin.get(code, '?')}: {code}"
        for i, src in enumerate(mode.sources):
            if src.document not in titles:
                problems.append(f"{where}: sources[{i}].document: {src.document!r} is not a title in documents")
            elif kinds[src.document] == "essay" and not src.quote.strip():
                problems.append(f"{where}: sources[{i}].quote: an essay citation needs an exact quote")
            elif kinds[src.document] == "public" and not src.ref.strip():
                problems.append(f"{where}: sources[{i}].ref: a public citation needs the code or section it names")
            elif kinds[src.document] == "public" and src.quote.strip():
                problems.append(f"{where}: sources[{i}].quote: a public document has no file to check a quote against")
        cited = {kinds.get(src.document) for src in mode.sources}
        if None in cited:
            pass  # an unknown document is already reported; the origin rule would only repeat it
        elif mode.origin == "field":
            if "public" not in cited:
                problems.append(f"{where}: origin: a mode from the wider field must cite a public document")
            if not mode.see_also:
                problems.append(f"{where}: see_also: a mode from the wider field must cross-reference its taxonomy")
        elif "essay" not in cited:
            problems.append(f"{where}: origin: an essay mode must quote an essay (or say origin: field)")
        for what in ("signals", "questions", "mitigations"):
            if not getattr(mode, what):
                problems.append(f"{where}: {what}: a mode needs at least one")
        for target in mode.leads_to:
            if target == code:
                problems.append(f"{where}: leads_to: names itself")
            elif target not in tax.modes:
                current = tax.resolve(target)
                if current:
                    problems.append(f"{where}: leads_to: {target!r} is a retired code; use {current!r}")
                else:
                    problems.append(f"{where}: leads_to: unknown code {target!r}{hint(target)}")
        if len(set(mode.leads_to)) != len(mode.leads_to):
            problems.append(f"{where}: leads_to: lists a code twice")
        for old in mode.aliases:
            if old in tax.modes:
                problems.append(f"{where}: aliases: {old!r} is a live code and cannot also be an alias")
            elif old in tax.aliases and tax.aliases[old] != code:
                problems.append(
                    f"{where}: aliases: {old!r} also points at {tax.aliases[old]!r} in {index_name} aliases"
                )
    for old, target in tax.aliases.items():
        if old in tax.modes:
            problems.append(f"{index_name}: aliases: {old!r} is a live code and cannot also be an alias")
        if target not in tax.modes and target not in tax.aliases:
            problems.append(f"{index_name}: aliases: {old!r} points at unknown code {target!r}{hint(target)}")
        elif tax.resolve(old) is None and old not in tax.modes:
            problems.append(f"{index_name}: aliases: {old!r} -> {target!r} never reaches a live code (alias loop?)")
    problems.extend(_cycle_problems(tax, index_name))
    return problems


def _canonical(cycle: list[str]) -> tuple[str, ...]:
    """A cycle's identity regardless of where it starts: rotate so the smallest code comes first."""
    i = cycle.index(min(cycle))
    return tuple(cycle[i:] + cycle[:i])


def _cycle_problems(tax: Taxonomy, index_name: str) -> list[str]:
    import networkx as nx  # deferred: only validation needs it

    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(tax.modes)
    graph.add_edges_from((a, b) for a, b in tax.leads_to_edges() if b in tax.modes and a != b)
    documented: dict[tuple[str, ...], int] = {}
    problems: list[str] = []
    for i, cyc in enumerate(tax.cycles):
        missing = [c for c in cyc.modes if c not in tax.modes]
        if missing:
            problems.append(f"{index_name}: cycles[{i}]: unknown code(s) {', '.join(missing)}")
            continue
        hops = list(zip(cyc.modes, cyc.modes[1:] + cyc.modes[:1], strict=True))
        absent = [f"{a} -> {b}" for a, b in hops if not graph.has_edge(a, b)]
        if absent:
            problems.append(f"{index_name}: cycles[{i}]: not a cycle in leads_to (missing edge {', '.join(absent)})")
        documented[_canonical(list(cyc.modes))] = i
    undocumented: set[tuple[str, ...]] = set()
    # enumerate a bounded number so a badly tangled graph cannot hang validation; shortest first
    for found in itertools.islice(nx.simple_cycles(graph), 2000):
        key = _canonical(list(found))
        if key not in documented:
            undocumented.add(key)
    shown = sorted(undocumented, key=lambda c: (len(c), c))
    for loop in shown[:20]:
        path = " -> ".join([*loop, loop[0]])
        problems.append(f"{index_name}: cycles: undocumented cycle in leads_to: {path} (break it or document it)")
    if len(shown) > 20:
        problems.append(f"{index_name}: cycles: {len(shown) - 20} more undocumented cycles in leads_to not shown")
    return problems


def validate_taxonomy(path: Path | str | None = None) -> list[str]:
    """Every problem in a taxonomy directory, one human-readable line each, naming file and mode/field."""
    root = Path(path) if path is not None else default_taxonomy_dir()
    if root.is_file() and root.name == "taxonomy.yaml":
        root = root.parent
    tax, problems, origin = _parse(root)
    if tax is not None:
        problems = problems + _check(tax, origin, _rel(root / "taxonomy.yaml", root))
    return problems


@functools.cache
def _load_default() -> Taxonomy:
    return _load(default_taxonomy_dir())


def _load(root: Path) -> Taxonomy:
    if root.is_file() and root.name == "taxonomy.yaml":
        root = root.parent
    tax, problems, origin = _parse(root)
    if tax is not None:
        problems = problems + _check(tax, origin, _rel(root / "taxonomy.yaml", root))
    if problems or tax is None:
        raise ValueError(f"invalid taxonomy at {root}:\n" + "\n".join(f"  {p}" for p in problems))
    return tax


def load_taxonomy(path: Path | str | None = None) -> Taxonomy:
    """Load and validate a taxonomy directory; the shipped one is parsed once per process.

    Raises ValueError listing every problem, so a broken taxonomy never half-loads.
    """
    if path is None:
        return _load_default()
    return _load(Path(path))


# -- quotes ----------------------------------------------------------------------------------

_QUOTE_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2014": "-",
        "\u2013": "-",
        "\u2012": "-",
        "\u2011": "-",
        "\u2010": "-",
        "\u00a0": " ",
    }
)
# In the damaged document every curly quote, apostrophe and dash became a lone U+00E2 ("â").
_DAMAGED = "\u00e2"
_PUNCT_CLASS = "[" + re.escape(_DAMAGED + "'\"-") + "]"


def normalise_quote(text: str) -> str:
    """Curly quotes and dashes to ASCII, whitespace collapsed: the form quotes are compared in."""
    return re.sub(r"\s+", " ", text.translate(_QUOTE_MAP)).strip()


@functools.lru_cache(maxsize=512)
def _quote_pattern(quote: str) -> re.Pattern[str]:
    parts = []
    for ch in normalise_quote(quote):
        if ch in "'\"-":
            parts.append(_PUNCT_CLASS)
        elif ch == " ":
            parts.append(" ")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts))


def quote_in_document(quote: str, doc_text: str) -> bool:
    """Whether `quote` occurs in `doc_text`, tolerating curly/straight punctuation, the damaged
    file's lone 'â' standing for one quote/apostrophe/dash, and whitespace differences.
    Otherwise exact and case-sensitive, so a paraphrase does not pass as a quote."""
    if not quote.strip():
        return False
    return _quote_pattern(quote).search(normalise_quote(doc_text)) is not None


def quote_problems(citations: Iterable[tuple[str, str, str]], taxonomy: Taxonomy, docs_dir: Path) -> list[str]:
    """Check (where, document title, quote) citations against the document files in docs_dir."""
    texts: dict[str, str] = {}
    problems: list[str] = []
    for where, title, quote in citations:
        doc = next((d for d in taxonomy.documents if d.title == title), None)
        if doc is None:
            problems.append(f"{where}: document {title!r} is not a title in taxonomy documents")
            continue
        if doc.kind != "essay":
            problems.append(f"{where}: {title!r} is a public document; cite it by url, not by quote")
            continue
        if doc.title not in texts:
            path = docs_dir / doc.file
            try:
                texts[doc.title] = path.read_text(encoding="utf-8")
            except OSError as exc:
                problems.append(f"{where}: cannot read {path} ({exc.strerror or exc})")
                continue
        if not quote_in_document(quote, texts[doc.title]):
            problems.append(f"{where}: quote not found in {doc.file}: {quote!r}")
    return problems


# -- usage: incidents per mode (pure functions over incidents, for `kb taxonomy` and the TUI) ---------


class ModeUse(BaseModel):
    """One incident's use of a mode: as a classification (primary/contributing) or only as a cause's mode."""

    incident_id: str
    role: Literal["primary", "contributing", "cause"]


def incidents_by_mode(taxonomy: Taxonomy, incidents: Iterable[Incident]) -> dict[str, list[ModeUse]]:
    """Current mode code -> the incidents that touch it (aliases resolved, duplicates skipped).

    Counting cause modes too matters: a root cause is often never classified, yet it is what recurs.
    """

    def uses() -> Iterator[tuple[str, str, str]]:
        for inc in incidents:
            if inc.duplicate_of or not inc.id:
                continue
            yield from ((inc.id, m.code, m.role) for m in inc.modes)
            yield from ((inc.id, c.mode, "cause") for c in inc.causes if c.mode)

    return mode_usage(taxonomy, uses())


def mode_usage(taxonomy: Taxonomy, uses: Iterable[tuple[str, str, str]]) -> dict[str, list[ModeUse]]:
    """Current mode code -> the incidents that touch it, from (incident id, code, role) triples.

    The one definition of "an incident touches a mode": classified under it or naming it in a cause,
    aliases resolved, once per incident (as primary if any classification says so, else its first role;
    a cause counts only where no classification does). `uses` lists each incident's classifications,
    in order, before its causes (role "cause"), one incident after another; merged duplicates left out.
    """
    out: dict[str, list[ModeUse]] = {code: [] for code in taxonomy.modes}
    current: str | None = None
    seen: dict[str, str] = {}

    def flush() -> None:
        if current is not None:
            for code, role in seen.items():
                out[code].append(ModeUse(incident_id=current, role=role))  # type: ignore[arg-type]

    for incident_id, raw, role in uses:
        if incident_id != current:
            flush()
            current, seen = incident_id, {}
        code = taxonomy.resolve(raw)
        if not code:
            continue
        if role == "cause":
            seen.setdefault(code, "cause")
        elif code not in seen or role == "primary":
            seen[code] = role
    flush()
    return out


def co_occurring(usage: dict[str, list[ModeUse]], code: str, n: int = 5) -> list[tuple[str, int]]:
    """Modes that most often appear in the same incidents as `code`, most frequent first."""
    mine = {u.incident_id for u in usage.get(code, [])}
    counts: dict[str, int] = {}
    for other, uses in usage.items():
        if other == code:
            continue
        shared = sum(1 for u in uses if u.incident_id in mine)
        if shared:
            counts[other] = shared
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
