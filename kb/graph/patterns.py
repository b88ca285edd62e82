"""A window's root causes, keystones and recurring chains straight from the store's rows.

The quarterly review needs only these three, and they read per incident its severity, causes and
classifications (`IncidentFacts`), never the rest of the graph. Building the whole MultiDiGraph for
them cost more than the analyses themselves, so this path turns `GraphRows` into facts directly;
the analysis code is the one in kb.graph.analyses, shared with the graph-based functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kb.graph.analyses import IncidentCauses, IncidentFacts
from kb.graph.build import GraphRows, _causal_role, resolver
from kb.store.queries.graph import FactRows

if TYPE_CHECKING:
    from kb.taxonomy import Taxonomy


def incident_facts_from_rows(rows: GraphRows, taxonomy: Taxonomy | None = None) -> dict[str, IncidentFacts]:
    """Incident id -> facts, equal to `kb.graph.analyses.incident_facts` of the graph built from `rows`.

    Same as `build_graph`: cause keys are cause node ids in the rows' order, codes are current codes
    (aliases followed by `resolver`), a repeated `because` link or classification counts once. The
    incidents are whatever `rows` holds (load_rows already left merged duplicates out).
    """
    resolve = resolver(taxonomy)
    out: dict[str, IncidentFacts] = {
        iid: IncidentFacts(severity=int(sev), causes=IncidentCauses()) for iid, _p, _t, _k, sev, _a in rows.incidents
    }
    for inc, cid, _statement, mode, is_trigger in rows.causes:
        rec = out[inc].causes
        node = f"cause:{inc}/{cid}"
        rec.order.append(node)
        rec.because[node] = []
        if mode:
            rec.modes[node] = resolve(mode)
        if is_trigger:
            rec.trigger = node
    for inc, cid, because_id in rows.links:
        named = out[inc].causes.because[f"cause:{inc}/{cid}"]
        target = f"cause:{inc}/{because_id}"
        if target not in named:
            named.append(target)
    for inc, raw, _role, _confidence in rows.classifications:
        classified = out[inc].classified
        code = resolve(raw)
        if code not in classified:
            classified.append(code)
    return out


def incident_facts_from_fact_rows(rows: FactRows, taxonomy: Taxonomy | None = None) -> dict[str, IncidentFacts]:
    """The same facts as `incident_facts_from_rows`, from the slim rows (kb.store.queries.graph.FactRows)
    that carry nothing else: what root causes, keystones, recurring chains, why and cycles read."""
    resolve = resolver(taxonomy)
    out: dict[str, IncidentFacts] = {iid: IncidentFacts(int(sev), IncidentCauses()) for iid, sev in rows.incidents}
    rec: IncidentCauses | None = None
    last = ""
    for inc, cid, mode, is_trigger in rows.causes:  # grouped by incident
        if inc != last:
            rec, last = out[inc].causes, inc
        assert rec is not None
        node = f"cause:{inc}/{cid}"
        rec.order.append(node)
        rec.because[node] = []
        if mode:
            rec.modes[node] = resolve(mode)
        if is_trigger:
            rec.trigger = node
    for inc, cid, because_id in rows.links:
        named = out[inc].causes.because[f"cause:{inc}/{cid}"]
        target = f"cause:{inc}/{because_id}"
        if target not in named:
            named.append(target)
    for inc, raw in rows.classifications:
        classified = out[inc].classified
        code = resolve(raw)
        if code not in classified:
            classified.append(code)
    return out


def mode_roles(taxonomy: Taxonomy | None) -> Callable[[str], str]:
    """Code -> causal role as a graph's mode node carries it (kb.graph.analyses.mode_role)."""
    modes = taxonomy.modes if taxonomy is not None else {}

    def role(code: str) -> str:
        return _causal_role(modes.get(code))

    return role


def mode_namer(taxonomy: Taxonomy | None) -> Callable[[str], str]:
    """Code -> display name as a graph's mode node carries it: the taxonomy's name, else the code itself."""
    modes = taxonomy.modes if taxonomy is not None else {}

    def name(code: str) -> str:
        mode = modes.get(code)
        return mode.name if mode is not None else code

    return name
