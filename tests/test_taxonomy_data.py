"""The shipped taxonomy data: coverage of the issue's patterns, fixed codes, structure, and every quote.

COVERAGE lists each failure pattern named in issue 3 with the code expected to hold it, so removing or
renaming a mode that carries a pattern fails here, loudly, instead of silently shrinking the taxonomy.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import networkx as nx
import pytest

from kb.taxonomy import Taxonomy, default_taxonomy_dir, load_taxonomy, quote_in_document, validate_taxonomy
from tests.external import seeds_dir

REPO = Path(__file__).resolve().parents[1]
TAXONOMY_DIR = REPO / "taxonomy"


def seeds_docs_dir() -> Path:
    """The three source essays: ../shared/seeds beside the repo, or $KB_SEEDS_DIR.

    Missing, they skip the test with the reason (a user's clone has no essays); under CI
    (KB_REQUIRE_EXTERNAL=1, see tests/external.py) they fail it, because CI always has them.
    """
    return seeds_dir()


# Every pattern of issue 3's coverage list -> the mode that holds it. Patterns the issue lists
# together but the documents treat separately are split into one key each; none is dropped.
COVERAGE: dict[str, str] = {
    # data
    "data: siloed across platforms": "data.siloed",
    "data: inconsistent schema and semantics": "data.inconsistent-schema",
    "data: incomplete or erroneous": "data.poor-quality",
    "data: politically inaccessible / owners won't share": "data.access-politics",
    "data: regulatory constraints on use": "data.regulatory-constraints",
    "data: budget spent on models instead of data (80/20 inverted)": "data.budget-inverted",
    "data: stale, delayed or biased inputs in production": "data.stale-inputs",
    # drift
    "drift: distribution shift (behaviour, market, product mix)": "drift.distribution-shift",
    'drift: upstream change (a field renamed "real quick", UI change)': "drift.upstream-change",
    "drift: seasonality": "drift.seasonality",
    "drift: the stationarity assumption of research work": "drift.stationarity-assumption",
    # operations
    'operations: no monitoring until after launch ("Monitoring TODO")': "ops.no-monitoring",
    "operations: outcomes observable only after a long lag (credit defaults)": "ops.outcome-lag",
    "operations: no retraining plan, retraining in crisis without validation": "ops.crisis-retraining",
    "operations: retraining in crisis without rollback": "ops.no-rollback",
    "operations: no versioning or rollback": "ops.no-rollback",
    "operations: maintenance overhead unbudgeted": "ops.unbudgeted-maintenance",
    "operations: the perpetual integration tax unbudgeted": "ops.unbudgeted-maintenance",
    # integration / last mile
    "integration: latency under real traffic": "integration.latency",
    "integration: APIs, pipelines, authentication, error handling for model failures": "integration.plumbing",
    "integration: legacy systems (batch, fixed schemas)": "integration.legacy-systems",
    "integration: downstream systems or UI that cannot handle uncertainty or show confidence": (
        "integration.uncertainty-blind"
    ),
    "integration: business process that cannot act on predictions": "integration.unactionable-output",
    "integration: nobody with authority to act": "integration.unactionable-output",
    "integration: output volume above human action capacity (500 flagged per hour, 50 reviewed)": (
        "integration.capacity-gap"
    ),
    # organisation
    'organisation: unclear ownership after launch ("hot potato")': "org.unclear-ownership",
    "organisation: misaligned incentives between research, product, ops and leadership": "org.misaligned-incentives",
    "organisation: unrealistic expectations": "org.magical-model",
    'organisation: the "magical model" fallacy': "org.magical-model",
    "organisation: vendor demo versus reality": "org.demo-reality-gap",
    "organisation: resistance to automation": "org.eroded-trust",
    "organisation: eroded trust": "org.eroded-trust",
    "organisation: skill gaps between building, deploying and operating": "org.skill-gaps",
    "organisation: risk-averse legal policy": "org.risk-averse-legal",
    "organisation: missing change management": "org.no-change-management",
    "organisation: fragmented accountability": "org.fragmented-accountability",
    "organisation: miscommunication between teams": "org.miscommunication",
    "organisation: ML treated as a demo or prestige project": "org.prestige-project",
    # value and strategy
    "value: no counterfactual or baseline": "value.no-baseline",
    "value: proxy metrics and success metrics that shift": "value.proxy-metrics",
    'value: vague brief ("let\'s use AI here")': "value.vague-brief",
    "value: the illusion of accuracy (accuracy is not the failure mode)": "value.accuracy-illusion",
    "value: pilot success that does not predict production": "value.pilot-production-gap",
    "value: cold start eroding trust": "value.cold-start",
    # economics
    "economics: infrastructure cost that grows non-linearly ($1,000 pilot, $50,000 production)": (
        "econ.nonlinear-cost"
    ),
    "economics: ROI calculations that ignore ongoing cost": "econ.roi-ignores-running-cost",
    # external
    "external: vendor dependency (pricing, model updates, downtime)": "external.vendor-dependency",
    "external: regulation changing faster than deployment": "external.regulation-change",
    "external: explainability demanded after deployment": "external.explainability-demand",
    # silent failure
    "silent: quiet feature-flag shutdown with no postmortem or announcement": "silent.quiet-shutdown",
    "silent: gradual degradation nobody admits": "silent.gradual-degradation",
    "silent: sunk cost keeping a failing project alive": "silent.sunk-cost",
    "silent: output technically operational but organisationally unused": "silent.unused-output",
}

# Codes other modules and issues already depend on: they must exist exactly as written.
FIXED_CODES = [
    "silent.quiet-shutdown",
    "silent.gradual-degradation",
    "silent.sunk-cost",
    "silent.unused-output",
    "ops.no-monitoring",
    "org.unclear-ownership",
    "drift.distribution-shift",
    "drift.upstream-change",
    "integration.latency",
    "integration.capacity-gap",
    "value.no-baseline",
    "econ.nonlinear-cost",
    "external.vendor-dependency",
    "org.eroded-trust",
]

CATEGORIES = ["data", "drift", "ops", "integration", "org", "value", "econ", "external", "silent"]
# Taxonomy 2.0 (issue 16) appends three categories after the original nine, which keep their order.
CATEGORIES_V2 = [*CATEGORIES, "model", "harm", "security"]

# The causal chain the issue names, in the taxonomy's codes.
NAMED_CHAIN = [
    "org.unclear-ownership",
    "ops.no-monitoring",
    "drift.distribution-shift",
    "silent.gradual-degradation",
    "silent.quiet-shutdown",
]


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return load_taxonomy(TAXONOMY_DIR)


def test_shipped_taxonomy_validates() -> None:
    assert validate_taxonomy(TAXONOMY_DIR) == []


def test_default_dir_is_the_shipped_taxonomy() -> None:
    assert (default_taxonomy_dir() / "taxonomy.yaml").is_file()
    assert load_taxonomy().modes.keys() == load_taxonomy(TAXONOMY_DIR).modes.keys()


@pytest.mark.parametrize(("pattern", "code"), sorted(COVERAGE.items()))
def test_every_issue_pattern_has_a_mode(tax: Taxonomy, pattern: str, code: str) -> None:
    assert code in tax.modes, f"pattern {pattern!r} expects mode {code!r}, which does not exist"


def test_coverage_spans_every_category(tax: Taxonomy) -> None:
    assert {c.split(".")[0] for c in COVERAGE.values()} == set(CATEGORIES)  # issue 3's nine; v2's in test_taxonomy_v2


@pytest.mark.parametrize("code", FIXED_CODES)
def test_fixed_codes_exist(tax: Taxonomy, code: str) -> None:
    assert code in tax.modes


def test_categories_are_the_fixed_nine_then_v2_in_order(tax: Taxonomy) -> None:
    assert [c.code for c in tax.categories] == CATEGORIES_V2
    for cat in CATEGORIES_V2:
        assert tax.modes_in(cat), f"category {cat} has no modes"


def test_every_mode_is_usable_in_a_postmortem(tax: Taxonomy) -> None:
    """A mode a person cannot recognise or act on is useless: signals, questions and mitigations are required."""
    for mode in tax.modes.values():
        assert mode.code.startswith(mode.category + ".")
        assert mode.signals, f"{mode.code} has no signals"
        assert mode.questions, f"{mode.code} has no questions"
        assert mode.mitigations, f"{mode.code} has no mitigations"
        assert mode.sources, f"{mode.code} has no sources"
        assert mode.summary.strip() and mode.description.strip()


def test_version_is_semver(tax: Taxonomy) -> None:
    parts = tax.version.split(".")
    assert len(parts) == 3 and all(p.isdigit() for p in parts)


def test_named_chain_is_a_path_in_leads_to(tax: Taxonomy) -> None:
    edges = set(tax.leads_to_edges())
    for a, b in itertools.pairwise(NAMED_CHAIN):
        assert (a, b) in edges, f"missing leads_to edge {a} -> {b}"


def test_leads_to_is_a_dag_once_documented_cycles_are_cut(tax: Taxonomy) -> None:
    graph = nx.DiGraph(tax.leads_to_edges())
    assert tax.cycles, "the distrust vicious circle should be documented"
    for cyc in tax.cycles:
        assert cyc.why.strip()
        # cutting the closing edge of each documented cycle must leave no cycle at all
        graph.remove_edge(cyc.modes[-1], cyc.modes[0])
    assert nx.is_directed_acyclic_graph(graph), list(nx.simple_cycles(graph))


def test_distrust_cycle_is_the_documented_one(tax: Taxonomy) -> None:
    modes = tax.cycles[0].modes
    assert "org.eroded-trust" in modes and "org.manual-overrides" in modes
    assert "silent.gradual-degradation" in modes


def test_silent_modes_end_chains(tax: Taxonomy) -> None:
    """The quiet shutdown is how failures end: nothing follows from it."""
    assert tax.modes["silent.quiet-shutdown"].leads_to == []
    graph = nx.DiGraph(tax.leads_to_edges())
    assert nx.has_path(graph, "org.unclear-ownership", "silent.quiet-shutdown")


@pytest.mark.seeds
def test_document_titles_match_the_files(tax: Taxonomy) -> None:
    """Titles are the documents' own first line (001 has none: its opening sentences stand in)."""
    docs = seeds_docs_dir()
    essays = [d for d in tax.documents if d.kind == "essay"]
    assert len(essays) == 3
    for doc in essays:
        text = (docs / doc.file).read_text(encoding="utf-8")
        assert text.startswith(doc.title), f"{doc.file} does not start with {doc.title!r}"
    assert "untitled" in tax.document("buy-deploy").note.lower() or "no title" in tax.document("buy-deploy").note


@pytest.mark.seeds
def test_every_taxonomy_quote_is_in_its_document(tax: Taxonomy) -> None:
    docs = seeds_docs_dir()
    texts = {d.title: (docs / d.file).read_text(encoding="utf-8") for d in tax.documents if d.kind == "essay"}
    public = {d.title for d in tax.documents if d.kind == "public"}
    missing = []
    count = 0
    for mode in tax.modes.values():
        for i, src in enumerate(mode.sources):
            if src.document in public:
                assert src.ref and not src.quote, f"{mode.code}: sources[{i}] cites a public document by ref"
                continue
            count += 1
            assert src.document in texts, f"{mode.code}: sources[{i}] names unknown document {src.document!r}"
            if not quote_in_document(src.quote, texts[src.document]):
                missing.append(f"{mode.code}: sources[{i}]: {src.quote!r}")
    assert not missing, "quotes not found in their documents:\n" + "\n".join(missing)
    assert count >= len([m for m in tax.modes.values() if m.origin == "essays"])


def test_every_document_is_cited(tax: Taxonomy) -> None:
    cited = {s.document for m in tax.modes.values() for s in m.sources}
    assert cited == {d.title for d in tax.documents}


def test_avid_cross_references_use_known_codes(tax: Taxonomy) -> None:
    # post-deployment codes, plus the SEP codes the v2 field modes cite (REFERENCE.md, avidtools enums.py)
    known = {"P0101", "P0102", "P0103", "P0104", "P0105", "P0201", "P0202", "P0203", "P0204"}
    known |= {"S0401", "S0403", "S0601", "E0100", "E0301", "P0400", "L04"}
    refs = [(m.code, s.code) for m in tax.modes.values() for s in m.see_also if s.taxonomy == "AVID"]
    assert refs
    assert all(code in known for _, code in refs), refs
    assert ("drift.distribution-shift", "P0101") in refs
