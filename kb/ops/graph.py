"""Service operations for the causal graph (issue 4).

Each method reads the rows it needs from the store (kb.store.queries.graph) and runs one pure
analysis from kb.graph; analysis modules are imported inside the methods so `import kb.service`
stays fast.

The portfolio analyses (root causes, triggers, keystones, recurring chains, why, cycles, and
`graph_patterns`) build no graph: they read slim per-incident rows (ids, severities, cause ids,
modes, triggers, links, codes) into compact facts (kb.graph.patterns). Only `graph()` and the
exports build the MultiDiGraph, fresh per call. Nothing is kept between calls, so every call sees
the store as it is and a long-running face (the TUI) never holds a portfolio's graph, which is
well over a gigabyte at 100,000 incidents.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from kb.errors import KBError
from kb.ops.base import Service
from kb.perf import gc_paused

if TYPE_CHECKING:
    import networkx as nx

    from kb.graph.analyses import IncidentFacts
    from kb.graph.results import Chain, Keystone, RecurringChain, RootCauseReport, Similar, WhySuggestion, Window
    from kb.graph.shapes import StoredChain


@dataclass
class GraphPatterns:
    """Root causes, keystones and recurring chains of one window, computed in one pass over its rows."""

    root_causes: RootCauseReport
    keystones: list[Keystone]
    recurring_chains: list[RecurringChain]


class GraphService(Service):
    """The causal-graph analyses (kb.graph) over the session's store and taxonomy."""

    def _build_graph(
        self, *, project: str | None = None, incident: str | None = None, window: Window | None = None
    ) -> nx.MultiDiGraph:
        from kb.graph.build import build_graph_from_db

        return build_graph_from_db(self.db, self.taxonomy, project=project, incident=incident, window=window)

    def _facts(self, window: Window | None = None) -> dict[str, IncidentFacts]:
        """Per-incident facts of a window's live incidents from the slim rows (why, cycles)."""
        from kb.graph.patterns import incident_facts_from_fact_rows
        from kb.store.queries.graph import load_fact_rows

        start, end = (window.start, window.end) if window is not None else (None, None)
        with gc_paused():  # hundreds of thousands of small acyclic objects (see kb.perf)
            return incident_facts_from_fact_rows(load_fact_rows(self.db.conn, start=start, end=end), self.taxonomy)

    def _shaped(self, window: Window, codes: bool = True) -> list[StoredChain]:
        """A window's distinct stored chains, each with its live incidents (kb.graph.shapes), read in
        one snapshot of the store; `codes` also reads and groups by their classifications (root
        causes, triggers), which keystones and recurring chains never read."""
        from kb.graph.shapes import shape_chains
        from kb.store.queries.graph import load_chain_groups

        groups = load_chain_groups(self.db.conn, start=window.start, end=window.end, codes=codes)
        return shape_chains(groups, self.taxonomy)

    def graph(self, project: str | None = None, incident: str | None = None) -> nx.MultiDiGraph:
        """The causal graph of the portfolio (merged duplicates left out), one project, or one incident."""
        return self._build_graph(project=project, incident=incident)

    def graph_patterns(
        self,
        since: date | None = None,
        until: date | None = None,
        quarter: str | None = None,
        min_count: int = 2,
        limit: int = 10,
    ) -> GraphPatterns:
        """Root causes, keystones and recurring chains of one window (what a review needs), from one
        read of the window's rows: the same results as the three separate calls."""
        from kb.graph.patterns import mode_namer
        from kb.graph.shapes import find_recurring_chains, rank_keystones, rank_root_causes
        from kb.graph.window import make_window

        if min_count < 1:
            raise KBError(f"must be at least 1, got {min_count}", "--min-count")
        window = make_window(since, until, quarter)
        name = mode_namer(self.taxonomy)
        with gc_paused():  # hundreds of thousands of small acyclic objects (see kb.perf)
            shaped = self._shaped(window)
            found = GraphPatterns(
                root_causes=rank_root_causes(shaped, name, window, self.taxonomy),
                keystones=rank_keystones(shaped, name, limit=limit),
                recurring_chains=find_recurring_chains(shaped, min_count=min_count),
            )
            del shaped  # freed before the collector runs again, which then walks only the results
        return found

    def chain(self, incident_id: str) -> Chain:
        """The incident's causal tree from its trigger down to its root causes (kb.graph.chain)."""
        from kb.graph.chain import chain
        from kb.store.repo import require_incident

        return chain(require_incident(self.db, incident_id), self.taxonomy)

    def root_causes(
        self, since: date | None = None, until: date | None = None, quarter: str | None = None
    ) -> RootCauseReport:
        """Conditions ranked by the severity-weighted incidents they are the deepest condition of
        (kb.graph.analyses.rank_root_causes)."""
        from kb.graph.patterns import mode_namer
        from kb.graph.shapes import rank_root_causes
        from kb.graph.window import make_window

        window = make_window(since, until, quarter)
        with gc_paused():  # the chains are freed on return, before the collector walks the results
            return rank_root_causes(self._shaped(window), mode_namer(self.taxonomy), window, self.taxonomy)

    def triggers(
        self, since: date | None = None, until: date | None = None, quarter: str | None = None
    ) -> RootCauseReport:
        """Modes ranked by the severity-weighted incidents they set off (kb.graph.analyses.rank_triggers)."""
        from kb.graph.patterns import mode_namer
        from kb.graph.shapes import rank_triggers
        from kb.graph.window import make_window

        window = make_window(since, until, quarter)
        with gc_paused():
            return rank_triggers(self._shaped(window), mode_namer(self.taxonomy), window, self.taxonomy)

    def keystones(
        self, since: date | None = None, until: date | None = None, quarter: str | None = None, limit: int = 10
    ) -> list[Keystone]:
        """Conditions whose removal cuts the most chains off from their roots (kb.graph.analyses.rank_keystones)."""
        from kb.graph.patterns import mode_namer
        from kb.graph.shapes import rank_keystones
        from kb.graph.window import make_window

        with gc_paused():  # the chains are freed on return, before the collector walks the results
            return rank_keystones(
                self._shaped(make_window(since, until, quarter), codes=False), mode_namer(self.taxonomy), limit=limit
            )

    def recurring_chains(
        self, min_count: int = 2, since: date | None = None, until: date | None = None, quarter: str | None = None
    ) -> list[RecurringChain]:
        """Mode chains (A because B because C) seen in at least `min_count` incidents."""
        from kb.graph.shapes import find_recurring_chains
        from kb.graph.window import make_window

        if min_count < 1:
            raise KBError(f"must be at least 1, got {min_count}", "--min-count")
        with gc_paused():  # the chains are freed on return, before the collector walks the results
            return find_recurring_chains(
                self._shaped(make_window(since, until, quarter), codes=False), min_count=min_count
            )

    def similar(self, incident_id: str, limit: int = 10) -> list[Similar]:
        """Incidents most like this one, each with the shared elements behind its score (kb.graph.similar);
        a merged duplicate's id leads to the surviving record."""
        from kb.graph.build import load_rows, resolver
        from kb.graph.patterns import incident_facts_from_rows, mode_roles
        from kb.graph.similar import leads_to_map, profile, rank_similar
        from kb.store.repo import iter_projects, resolve_incident_id

        target = resolve_incident_id(self.db, incident_id)
        tax = self.taxonomy
        rows = load_rows(self.db)  # the surviving record of a duplicate is always among them
        facts = incident_facts_from_rows(rows, tax)
        resolve, role = resolver(tax), mode_roles(tax)
        primary: dict[str, list[str]] = {}
        for inc, code, cls_role, _confidence in rows.classifications:
            if cls_role == "primary":
                primary.setdefault(inc, []).append(resolve(code))
        projects = {p.slug: p for p in iter_projects(self.db)}

        def category(code: str) -> str:
            mode = tax.modes.get(code)
            return mode.category if mode is not None else code.split(".", 1)[0]

        profiles = []
        for iid, project, title, _kind, _sev, _at in rows.incidents:
            p = projects.get(project)
            traits = {}
            if p is not None:
                traits = {"vendor": p.vendor.strip().casefold(), "stage": p.stage}
                traits["automation"] = str(getattr(p, "automation", "") or "")
            profiles.append(
                profile(
                    iid,
                    facts[iid],
                    primary.get(iid, []),
                    role,
                    category,
                    title=title,
                    traits=traits,
                    tags=p.tags if p is not None else (),
                )
            )
        mine = next(pr for pr in profiles if pr.incident_id == target)
        return rank_similar(mine, profiles, leads_to_map(tax.leads_to_edges()), limit=limit)

    def why(self, codes: list[str], limit: int = 10) -> list[WhySuggestion]:
        """Upstream modes worth asking about for an incident with these modes (aliases accepted)."""
        from kb.graph.analyses import rank_why
        from kb.graph.patterns import mode_namer

        if not codes:
            raise KBError("give at least one taxonomy code", "codes")
        current = []
        for code in codes:
            resolved = self.taxonomy.resolve(code)
            if resolved is None:
                raise KBError(self.taxonomy.unknown_code(code), "codes")
            current.append(resolved)
        tax = self.taxonomy
        with gc_paused():
            return rank_why(self._facts(), current, tax.leads_to_edges(), mode_namer(tax), limit=limit)

    def mode_cycles(self, max_length: int = 6) -> list[list[str]]:
        """Cycles among modes across incidents' cause links: vicious circles, reported as findings."""
        from kb.graph.analyses import find_mode_cycles, lift_links

        if max_length < 2:
            raise KBError(f"must be at least 2, got {max_length}", "--max-length")
        with gc_paused():
            return find_mode_cycles(lift_links(f.causes for f in self._facts().values()), max_length=max_length)

    def export_graph(
        self,
        fmt: str,
        out: str | os.PathLike[str] | None = None,
        incident: str | None = None,
        project: str | None = None,
    ) -> str | bytes:
        """The graph (or one incident's or project's part) as graphml, gexf, json, dot or mermaid.

        Mermaid for one incident is its chain (kb.graph.export.chain_mermaid). With `out`, the result
        is also written to that path.
        """
        from kb.graph import export

        if fmt not in export.FORMATS:
            raise KBError(f"unknown format {fmt!r} (use one of {', '.join(export.FORMATS)})", "--format")
        if incident is not None and project is not None:
            raise KBError("give --incident or --project, not both", "--incident")
        if fmt == "mermaid" and incident is not None:
            data: str | bytes = export.chain_mermaid(self.chain(incident))
        else:
            data = export.render(self._build_graph(project=project, incident=incident), fmt)
        if out is not None:
            export.write_file(out, data)
        return data
