"""Similar incidents that say why: each match lists the shared elements that produced its score.

An incident's profile holds what a practitioner compares: its primary modes (what the postmortem
says it was), its other modes (contributing classifications and the modes of its causes), its
causal structure (root conditions; trigger -> condition pairs: a trigger's mode with each condition
its chain reaches), the taxonomy around its primary modes (their categories and `leads_to` links)
and its project's traits (vendor, stage, degree of automation, domain tags).

score(a, b) = sum of the weights of the elements a and b share / the weight a shares with itself,
at most 1.0 (a near-copy of a); the same element always adds the same amount. The
weights put a primary mode first and a mode only contributing on both sides last, so two
incidents that share only loosely fitting contributing modes (Epic's sepsis model and Tay) fall
below a pair that shares what each failure was. A match is kept only when it shares at least one
failure element (a mode or a causal element: never traits alone) and its score reaches `FLOOR`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from kb.graph.analyses import CONDITION, TRIGGER, IncidentFacts, root_conditions
from kb.graph.results import Similar, SimilarReason

# weights of one shared element of each kind (see the module docstring)
W_PRIMARY = 4.0  # a primary mode of both
W_PRIMARY_OTHER = 1.5  # primary in one, contributing or a cause's mode in the other
W_CONTRIBUTING = 0.5  # contributing (or a cause's mode) in both, primary in neither
W_ROOT = 2.0  # a root condition of both
W_PAIR = 2.0  # a trigger -> condition pair of both
W_CATEGORY = 1.0  # a category of their primary modes, when no primary mode is shared in it
W_LEADS_TO = 1.0  # a primary mode of one leads_to a primary mode of the other (taxonomy)
W_VENDOR = 1.0
W_AUTOMATION = 0.5
W_STAGE = 0.25
W_TAG = 0.5  # per shared domain tag of the projects
FLOOR = 0.2
IGNORED_TAGS = frozenset({"seed", "public"})  # tags that say where a record came from, not its domain
FAILURE_KINDS = frozenset({"primary", "mode", "contributing", "root", "pair", "category", "leads_to"})


@dataclass
class Profile:
    """What one incident is compared on (see the module docstring)."""

    incident_id: str
    title: str = ""
    primary: set[str] = field(default_factory=set)
    other: set[str] = field(default_factory=set)  # modes that are not primary
    roots: set[str] = field(default_factory=set)
    pairs: set[tuple[str, str]] = field(default_factory=set)
    categories: set[str] = field(default_factory=set)
    traits: dict[str, str] = field(default_factory=dict)  # vendor, stage, automation: "" when unknown
    tags: set[str] = field(default_factory=set)


def trigger_condition_pairs(facts: IncidentFacts, role: Callable[[str], str]) -> set[tuple[str, str]]:
    """(trigger mode, condition mode) for each condition a trigger cause's chain reaches through `because`.

    The triggers are the incident's trigger cause and any cause whose mode's role is `trigger`.
    """
    rec = facts.causes
    starts = [c for c in rec.order if c == rec.trigger or role(rec.modes.get(c, "")) == TRIGGER]
    out: set[tuple[str, str]] = set()
    for start in starts:
        t = rec.modes.get(start)
        if not t:
            continue
        seen: set[str] = set()
        stack = list(rec.because.get(start, ()))
        while stack:
            c = stack.pop()
            if c in seen:
                continue
            seen.add(c)
            code = rec.modes.get(c)
            if code and code != t and role(code) == CONDITION:
                out.add((t, code))
            stack.extend(rec.because.get(c, ()))
    return out


def profile(
    incident_id: str,
    facts: IncidentFacts,
    primary: Iterable[str],
    role: Callable[[str], str],
    category: Callable[[str], str],
    title: str = "",
    traits: Mapping[str, str] | None = None,
    tags: Iterable[str] = (),
) -> Profile:
    """One incident's profile from its facts and its primary classifications (current codes)."""
    prim = set(primary)
    modes = set(facts.classified) | set(facts.causes.modes.values())
    return Profile(
        incident_id=incident_id,
        title=title,
        primary=prim,
        other=modes - prim,
        roots=root_conditions(facts, role),
        pairs=trigger_condition_pairs(facts, role),
        categories={category(c) for c in prim},
        traits={k: v for k, v in (traits or {}).items() if v},
        tags=set(tags) - IGNORED_TAGS,
    )


def shared(a: Profile, b: Profile, leads_to: Mapping[str, set[str]]) -> list[SimilarReason]:
    """Every element a and b share, with its weight, strongest kind first."""
    out: list[SimilarReason] = []

    def add(kind: str, detail: str, weight: float) -> None:
        out.append(SimilarReason(kind=kind, detail=detail, weight=weight))

    for code in sorted(a.primary & b.primary):
        add("primary", f"primary mode of both: {code}", W_PRIMARY)
    for code in sorted((a.primary & b.other) | (a.other & b.primary)):
        add("mode", f"primary in one, contributing in the other: {code}", W_PRIMARY_OTHER)
    for code in sorted(a.other & b.other):
        add("contributing", f"contributing in both: {code}", W_CONTRIBUTING)
    for code in sorted(a.roots & b.roots):
        add("root", f"root condition of both: {code}", W_ROOT)
    for t, c in sorted(a.pairs & b.pairs):
        add("pair", f"trigger -> condition in both: {t} -> {c}", W_PAIR)
    shared_primary_categories = {code.split(".", 1)[0] for code in a.primary & b.primary}
    for cat in sorted((a.categories & b.categories) - shared_primary_categories):
        add("category", f"primary modes in the same category: {cat}", W_CATEGORY)
    links = sorted(
        {(x, y) for x in a.primary for y in b.primary if y in leads_to.get(x, ())}
        | {(x, y) for x in b.primary for y in a.primary if y in leads_to.get(x, ())}
    )
    for x, y in links:
        add("leads_to", f"taxonomy: {x} leads to {y}", W_LEADS_TO)
    for key, weight in (("vendor", W_VENDOR), ("automation", W_AUTOMATION), ("stage", W_STAGE)):
        value = a.traits.get(key)
        if value and value == b.traits.get(key):
            add(key, f"same {key}: {value}", weight)
    for tag in sorted(a.tags & b.tags):
        add("tag", f"shared project tag: {tag}", W_TAG)
    return out


def rank_similar(
    target: Profile,
    others: Iterable[Profile],
    leads_to: Mapping[str, set[str]],
    limit: int = 10,
    floor: float = FLOOR,
) -> list[Similar]:
    """The incidents most like `target`, each with the shared elements behind its score (see module)."""
    best = sum(r.weight for r in shared(target, target, leads_to))
    if best <= 0:
        return []
    out = []
    for other in others:
        if other.incident_id == target.incident_id:
            continue
        reasons = shared(target, other, leads_to)
        if not any(r.kind in FAILURE_KINDS for r in reasons):
            continue
        score = min(1.0, sum(r.weight for r in reasons) / best)
        if score < floor:
            continue
        modes = (target.primary | target.other) & (other.primary | other.other)
        out.append(
            Similar(
                incident_id=other.incident_id,
                title=other.title,
                score=round(score, 4),
                shared_modes=sorted(modes),
                reasons=reasons,
            )
        )
    out.sort(key=lambda s: (-s.score, s.incident_id))
    return out[:limit]


def leads_to_map(edges: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        out[a].add(b)
    return out
