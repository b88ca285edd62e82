"""The graph tests' fixture portfolio and taxonomy (tests/fixtures/graph), and checks that they are what they claim.

Other tests/test_graph_*.py modules import `fixture_taxonomy`, `FIXTURE_CODES` and `load_portfolio` from here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kb.service import KB
from kb.taxonomy import Mode, Source, Taxonomy

FIXTURES = Path(__file__).parent / "fixtures" / "graph"
PORTFOLIO = FIXTURES / "portfolio.yaml"
TAXONOMY = FIXTURES / "taxonomy.yaml"

# short names used in the hand computations of every graph test
QS = "silent.quiet-shutdown"
GD = "silent.gradual-degradation"
UO = "silent.unused-output"
NM = "ops.no-monitoring"
OW = "org.unclear-ownership"
DS = "drift.distribution-shift"
LAT = "integration.latency"
CAP = "integration.capacity-gap"
NB = "value.no-baseline"
NC = "econ.nonlinear-cost"
VD = "external.vendor-dependency"
ET = "org.eroded-trust"


def fixture_taxonomy() -> Taxonomy:
    """The small taxonomy in tests/fixtures/graph/taxonomy.yaml as a Taxonomy model."""
    raw = yaml.safe_load(TAXONOMY.read_text(encoding="utf-8"))
    modes = {
        code: Mode(
            code=code,
            category=code.split(".", 1)[0],
            summary=spec["name"],
            description=spec["name"],
            sources=[Source(document="test fixture", quote=spec["name"])],
            **spec,
        )
        for code, spec in raw["modes"].items()
    }
    return Taxonomy(version=raw["version"], aliases=raw["aliases"], modes=modes)


FIXTURE_CODES = sorted(yaml.safe_load(TAXONOMY.read_text(encoding="utf-8"))["modes"])


def use_fixture_taxonomy(kb: KB) -> Taxonomy:
    """Make this KB use the fixture taxonomy instead of the shipped one (KB.taxonomy is a cached property)."""
    tax = fixture_taxonomy()
    kb.__dict__["taxonomy"] = tax
    return tax


def load_portfolio(kb: KB) -> KB:
    use_fixture_taxonomy(kb)
    kb.import_paths([str(PORTFOLIO)])
    return kb


@pytest.fixture
def portfolio(kb: KB) -> KB:
    return load_portfolio(kb)


def test_fixture_taxonomy_has_three_leads_to_edges_and_an_alias() -> None:
    tax = fixture_taxonomy()
    assert len(tax.modes) == 14
    assert sorted(tax.leads_to_edges()) == [(NC, NM), (NM, GD), (OW, NM)]
    assert tax.resolve("ops.unmonitored") == NM


def test_fixture_codes_exist_in_the_shipped_taxonomy() -> None:
    """The CLI tests import the portfolio against the real taxonomy: every code it uses must be live there."""
    from kb.taxonomy import load_taxonomy

    shipped = load_taxonomy()
    assert [c for c in FIXTURE_CODES if c not in shipped.modes] == []


def test_portfolio_loads_four_incidents_and_one_duplicate(portfolio: KB) -> None:
    rows = portfolio.incident_rows(include_duplicates=True)
    assert sorted((r.id, r.duplicate_of) for r in rows) == [
        ("GR-0001", None),
        ("GR-0002", None),
        ("GR-0003", None),
        ("GR-0004", None),
        ("GR-0005", "GR-0001"),
    ]
