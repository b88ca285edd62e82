"""Taxonomy 2.0 (issue 16): every concept the public cases lacked has a mode, with a causal role and a source.

CONCEPTS pins each concept listed under the issue's "Why" to the mode that now holds it, so renaming or
dropping one fails here by name. The validator rules added in v2 are exercised on small taxonomies
written by the tests.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kb.cli import main
from kb.taxonomy import CAUSAL_ROLES, Taxonomy, load_taxonomy, validate_taxonomy

REPO = Path(__file__).resolve().parents[1]
TAXONOMY_DIR = REPO / "taxonomy"

# The list of concepts without a home in v1 -> the v2 mode that holds it.
CONCEPTS: dict[str, str] = {
    "fairness / bias / disparate impact": "harm.unfair-outcomes",
    "safety and harmful output": "harm.unsafe-output",
    "adversarial or hostile input and data poisoning": "security.hostile-input",
    "legal liability for a model's output": "harm.legal-liability",
    "harmful feedback loops from live data": "ops.harmful-feedback-loop",
    "automation of irreversible, high-stakes decisions without a brake": "integration.unbraked-automation",
    "development cost overrun": "econ.development-overrun",
    "a model that does not transfer to a new site or population": "model.no-transfer",
    "proxy features and spurious correlation": "model.spurious-correlation",
    "research-grade code": "model.research-grade-code",
    "a policy reversal by a public body": "external.policy-reversal",
}

# Every v1 code (taxonomy 1.0.0, 51 modes): each must still resolve in v2.
V1_CODES = [
    "data.siloed",
    "data.inconsistent-schema",
    "data.poor-quality",
    "data.access-politics",
    "data.regulatory-constraints",
    "data.budget-inverted",
    "data.stale-inputs",
    "drift.distribution-shift",
    "drift.upstream-change",
    "drift.seasonality",
    "drift.stationarity-assumption",
    "econ.nonlinear-cost",
    "econ.roi-ignores-running-cost",
    "external.vendor-dependency",
    "external.regulation-change",
    "external.explainability-demand",
    "integration.latency",
    "integration.plumbing",
    "integration.legacy-systems",
    "integration.uncertainty-blind",
    "integration.unactionable-output",
    "integration.capacity-gap",
    "integration.last-mile-deferred",
    "ops.no-monitoring",
    "ops.outcome-lag",
    "ops.crisis-retraining",
    "ops.no-rollback",
    "ops.unbudgeted-maintenance",
    "ops.feedback-starvation",
    "org.unclear-ownership",
    "org.misaligned-incentives",
    "org.magical-model",
    "org.demo-reality-gap",
    "org.eroded-trust",
    "org.manual-overrides",
    "org.skill-gaps",
    "org.risk-averse-legal",
    "org.no-change-management",
    "org.fragmented-accountability",
    "org.miscommunication",
    "org.prestige-project",
    "silent.quiet-shutdown",
    "silent.gradual-degradation",
    "silent.sunk-cost",
    "silent.unused-output",
    "value.no-baseline",
    "value.proxy-metrics",
    "value.vague-brief",
    "value.accuracy-illusion",
    "value.pilot-production-gap",
    "value.cold-start",
]


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return load_taxonomy(TAXONOMY_DIR)


def test_version_is_two(tax: Taxonomy) -> None:
    assert tax.version == "2.0.0"


def test_v1_had_51_codes_and_all_still_resolve(tax: Taxonomy) -> None:
    assert len(V1_CODES) == 51 and len(set(V1_CODES)) == 51
    assert [c for c in V1_CODES if tax.resolve(c) != c] == []


@pytest.mark.parametrize(("concept", "code"), sorted(CONCEPTS.items()))
def test_each_missing_concept_has_a_mode(tax: Taxonomy, concept: str, code: str) -> None:
    assert code in tax.modes, f"concept {concept!r} expects mode {code!r}"
    assert code not in V1_CODES, f"{concept!r} must not be held by a stretched v1 mode"


@pytest.mark.parametrize("code", sorted(set(CONCEPTS.values())))
def test_new_modes_are_complete(tax: Taxonomy, code: str) -> None:
    mode = tax.modes[code]
    assert mode.signals and mode.questions and mode.mitigations and mode.leads_to
    assert mode.causal_role in CAUSAL_ROLES
    public = {d.title for d in tax.documents if d.kind == "public"}
    if mode.origin == "field":
        assert any(s.document in public and s.ref for s in mode.sources)
        assert mode.see_also
    else:  # research-grade code is the essays' own subject
        assert code == "model.research-grade-code"
        assert any(s.quote and s.document == "Why Research-Grade ML Fails in Production" for s in mode.sources)


def test_every_mode_has_a_causal_role(tax: Taxonomy) -> None:
    roles = {m.causal_role for m in tax.modes.values()}
    assert roles == {"condition", "trigger", "outcome"}
    # spot checks worked out from the modes' meaning, not read off the files
    assert tax.modes["drift.upstream-change"].causal_role == "trigger"
    assert tax.modes["security.hostile-input"].causal_role == "trigger"
    assert tax.modes["org.unclear-ownership"].causal_role == "condition"
    assert tax.modes["silent.quiet-shutdown"].causal_role == "outcome"
    assert tax.modes["harm.unfair-outcomes"].causal_role == "outcome"


def test_public_documents_have_urls_and_no_files(tax: Taxonomy) -> None:
    public = [d for d in tax.documents if d.kind == "public"]
    assert {d.id for d in public} >= {"avid", "aiid-cset", "nist-ai-rmf", "mit-ai-risk"}
    assert all(d.url.startswith("https://") and not d.file for d in public)


def test_show_json_carries_causal_role(tmp_path: Path) -> None:
    db = tmp_path / "kb.db"
    res = CliRunner().invoke(main, ["--db", str(db), "taxonomy", "show", "harm.unfair-outcomes", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["causal_role"] == "outcome" and data["origin"] == "field"
    assert any(s["ref"].startswith("E0100") for s in data["sources"])


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "taxonomy"
    shutil.copytree(TAXONOMY_DIR, root)
    return root


def _edit_mode(root: Path, code: str, **changes: object) -> None:
    path = root / "modes" / f"{code.split('.')[0]}.yaml"
    modes = yaml.safe_load(path.read_text(encoding="utf-8"))
    for m in modes:
        if m["code"] == code:
            for k, v in changes.items():
                if v is None:
                    m.pop(k, None)
                else:
                    m[k] = v
    path.write_text(yaml.safe_dump(modes, sort_keys=False), encoding="utf-8")


def test_validate_refuses_a_mode_without_causal_role(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit_mode(root, "ops.no-monitoring", causal_role=None)
    problems = validate_taxonomy(root)
    assert problems[0] == "taxonomy/modes/ops.yaml: ops.no-monitoring: causal_role: Field required"
    # the unloaded mode's incoming links are reported too, so the rest are about it
    assert all("ops.no-monitoring" in p for p in problems)


def test_validate_refuses_a_field_mode_citing_only_an_essay(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit_mode(
        root,
        "harm.unfair-outcomes",
        sources=[{"document": "Why Research-Grade ML Fails in Production", "quote": "biased"}],
    )
    where = "taxonomy/modes/harm.yaml: harm.unfair-outcomes"
    assert validate_taxonomy(root) == [f"{where}: origin: a mode from the wider field must cite a public document"]


def test_validate_refuses_a_public_citation_without_ref(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit_mode(
        root, "harm.unsafe-output", sources=[{"document": "NIST AI Risk Management Framework 1.0 (NIST AI 100-1)"}]
    )
    where = "taxonomy/modes/harm.yaml: harm.unsafe-output"
    assert validate_taxonomy(root) == [f"{where}: sources[0].ref: a public citation needs the code or section it names"]


def test_validate_refuses_a_mode_without_mitigations(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit_mode(root, "model.no-transfer", mitigations=[])
    assert validate_taxonomy(root) == [
        "taxonomy/modes/model.yaml: model.no-transfer: mitigations: a mode needs at least one"
    ]
