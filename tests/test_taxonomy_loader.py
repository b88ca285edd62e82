"""kb.taxonomy: loading, lookups (resolve/suggest/search), validation of broken copies, quote matching.

Broken taxonomies are written as modified copies of the shipped one into tmp_path, so each test breaks
exactly one thing and the expected message is known independently of the validator's code.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from kb.taxonomy import (
    Taxonomy,
    default_seed_dir,
    default_taxonomy_dir,
    load_taxonomy,
    normalise_quote,
    quote_in_document,
    validate_taxonomy,
)

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "taxonomy"
BROKEN_FIXTURE = Path(__file__).parent / "fixtures" / "taxonomy_broken"


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return load_taxonomy(SHIPPED)


Editor = Callable[[str, Callable[[Any], Any]], Path]


@pytest.fixture
def broken(tmp_path: Path) -> Editor:
    """Copy the shipped taxonomy into tmp_path; `edit(relpath, fn)` rewrites one YAML file via fn."""
    root = tmp_path / "taxonomy"
    shutil.copytree(SHIPPED, root)

    def edit(rel: str, fn: Callable[[Any], Any]) -> Path:
        path = root / rel
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data = fn(data) or data
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
        return root

    return edit


def _mode(data: list[dict[str, Any]], code: str) -> dict[str, Any]:
    return next(m for m in data if m["code"] == code)


# --- loading -----------------------------------------------------------------------------------


def test_loads_every_category_file_in_order(tax: Taxonomy) -> None:
    cats = [c.code for c in tax.categories]
    first_of_each = []
    for code in tax.modes:
        cat = code.split(".")[0]
        if cat not in first_of_each:
            first_of_each.append(cat)
    assert first_of_each == cats  # modes keep file order, category by category
    assert next(iter(tax.modes)) == "data.siloed"  # first mode of the first file
    assert all(m.category == m.code.split(".")[0] for m in tax.modes.values())


def test_default_load_is_cached() -> None:
    assert load_taxonomy() is load_taxonomy()


def test_default_dirs_exist() -> None:
    assert (default_taxonomy_dir() / "taxonomy.yaml").is_file()
    assert any(default_seed_dir().glob("*.yaml"))


def test_accepts_the_index_file_path_too() -> None:
    assert load_taxonomy(SHIPPED / "taxonomy.yaml").modes.keys() == load_taxonomy(SHIPPED).modes.keys()


# --- lookups -----------------------------------------------------------------------------------


def test_resolve_live_unknown_and_whitespace(tax: Taxonomy) -> None:
    assert tax.resolve("ops.no-monitoring") == "ops.no-monitoring"
    assert tax.resolve("  ops.no-monitoring ") == "ops.no-monitoring"
    assert tax.resolve("ops.nope") is None
    assert tax.resolve("") is None


def test_aliases_from_both_places_resolve(broken: Editor) -> None:
    def top(d: dict[str, Any]) -> None:
        d["aliases"] = {"ops.monitoring-todo": "ops.no-monitoring", "ops.older": "ops.monitoring-todo"}

    broken("taxonomy.yaml", top)

    def per_mode(d: list[dict[str, Any]]) -> None:
        _mode(d, "silent.quiet-shutdown")["aliases"] = ["silent.flag-off"]

    root = broken("modes/silent.yaml", per_mode)
    assert validate_taxonomy(root) == []
    t = load_taxonomy(root)
    assert t.resolve("ops.monitoring-todo") == "ops.no-monitoring"
    assert t.resolve("ops.older") == "ops.no-monitoring"  # chains are followed
    assert t.resolve("silent.flag-off") == "silent.quiet-shutdown"
    assert t.mode("silent.flag-off").code == "silent.quiet-shutdown"


def test_mode_raises_keyerror_with_suggestion(tax: Taxonomy) -> None:
    assert tax.mode("integration.latency").name.startswith("Latency")
    with pytest.raises(KeyError, match=r"ops\.no-monitoring"):
        tax.mode("ops.no-monitorng")


def test_suggest_handles_typos_and_words(tax: Taxonomy) -> None:
    assert tax.suggest("ops.no-monitorng")[0] == "ops.no-monitoring"
    assert tax.suggest("silent.quiet-shutdwn")[0] == "silent.quiet-shutdown"
    assert "ops.no-monitoring" in tax.suggest("monitoring")
    assert "integration.latency" in tax.suggest("latency", n=5)
    assert len(tax.suggest("drift", n=2)) <= 2
    assert tax.suggest("") == []
    assert tax.suggest("zzzzqqqq") == []


def test_search_ranks_code_then_name_then_signals(tax: Taxonomy) -> None:
    assert tax.search("integration.latency")[0].code == "integration.latency"
    assert tax.search("latency")[0].code == "integration.latency"
    assert tax.search("hot potato")[0].code == "org.unclear-ownership"
    assert tax.search("feature flag")[0].code == "silent.quiet-shutdown"
    assert tax.search("sunk cost")[0].code == "silent.sunk-cost"
    # a typo still finds it
    assert "drift.seasonality" in [m.code for m in tax.search("seasonalty")[:3]]
    # signal words count, less than names
    override_hits = [m.code for m in tax.search("override")]
    assert "org.manual-overrides" in override_hits[:2]


def test_search_empty_lists_all_and_nonsense_lists_none(tax: Taxonomy) -> None:
    assert [m.code for m in tax.search("")] == list(tax.modes)
    assert tax.search("qqqqzzzz") == []


def test_leads_to_edges(tax: Taxonomy) -> None:
    edges = tax.leads_to_edges()
    assert ("org.unclear-ownership", "ops.no-monitoring") in edges
    assert len(edges) == sum(len(m.leads_to) for m in tax.modes.values())
    assert all(a in tax.modes and b in tax.modes for a, b in edges)


# --- validation of broken copies ----------------------------------------------------------------


def test_duplicate_code(broken: Editor) -> None:
    def dup(d: list[dict[str, Any]]) -> None:
        d.append({**_mode(d, "ops.no-monitoring"), "name": "Second copy"})

    problems = validate_taxonomy(broken("modes/ops.yaml", dup))
    assert any("modes/ops.yaml" in p and "duplicate code 'ops.no-monitoring'" in p for p in problems), problems


def test_duplicate_code_across_files(broken: Editor) -> None:
    def move(d: list[dict[str, Any]]) -> None:
        d.append({**_mode(d, "silent.sunk-cost"), "code": "silent.quiet-shutdown"})

    problems = validate_taxonomy(broken("modes/silent.yaml", move))
    assert any("duplicate code 'silent.quiet-shutdown'" in p for p in problems), problems


def test_dangling_leads_to(broken: Editor) -> None:
    def dangle(d: list[dict[str, Any]]) -> None:
        _mode(d, "ops.no-monitoring")["leads_to"].append("drift.distribution-shfit")

    problems = validate_taxonomy(broken("modes/ops.yaml", dangle))
    assert problems == [
        "taxonomy/modes/ops.yaml: ops.no-monitoring: leads_to: unknown code 'drift.distribution-shfit' "
        "(did you mean drift.distribution-shift?)"
    ]


def test_unknown_alias_target(broken: Editor) -> None:
    def alias(d: dict[str, Any]) -> None:
        d["aliases"] = {"ops.monitoring-later": "ops.no-such-mode"}

    problems = validate_taxonomy(broken("taxonomy.yaml", alias))
    assert len(problems) == 1
    assert problems[0].startswith("taxonomy/taxonomy.yaml: aliases: 'ops.monitoring-later' points at unknown code")
    assert "'ops.no-such-mode'" in problems[0]


def test_alias_clashing_with_live_code(broken: Editor) -> None:
    def alias(d: dict[str, Any]) -> None:
        d["aliases"] = {"ops.no-rollback": "ops.no-monitoring"}

    problems = validate_taxonomy(broken("taxonomy.yaml", alias))
    assert problems == ["taxonomy/taxonomy.yaml: aliases: 'ops.no-rollback' is a live code and cannot also be an alias"]


def test_per_mode_alias_clashing_with_live_code(broken: Editor) -> None:
    def alias(d: list[dict[str, Any]]) -> None:
        _mode(d, "ops.no-monitoring")["aliases"] = ["ops.no-rollback"]

    problems = validate_taxonomy(broken("modes/ops.yaml", alias))
    assert any("ops.no-monitoring: aliases: 'ops.no-rollback' is a live code" in p for p in problems), problems


def test_undocumented_cycle_is_reported_with_its_path(broken: Editor) -> None:
    def loop(d: list[dict[str, Any]]) -> None:
        _mode(d, "silent.sunk-cost")["leads_to"] = ["value.proxy-metrics"]  # proxy-metrics -> sunk-cost exists

    problems = validate_taxonomy(broken("modes/silent.yaml", loop))
    assert problems == [
        "taxonomy/taxonomy.yaml: cycles: undocumented cycle in leads_to: "
        "silent.sunk-cost -> value.proxy-metrics -> silent.sunk-cost (break it or document it)"
    ]


def test_many_undocumented_cycles_are_capped(broken: Editor) -> None:
    def loop(d: list[dict[str, Any]]) -> None:
        _mode(d, "silent.quiet-shutdown")["leads_to"] = ["org.unclear-ownership"]

    problems = validate_taxonomy(broken("modes/silent.yaml", loop))
    assert 1 < len(problems) <= 21
    assert all("undocumented cycle" in p for p in problems), problems
    assert any("org.unclear-ownership -> silent.quiet-shutdown -> org.unclear-ownership" in p for p in problems)


def test_removing_the_cycle_documentation_makes_it_an_error(broken: Editor) -> None:
    def undocument(d: dict[str, Any]) -> None:
        d["cycles"] = []

    problems = validate_taxonomy(broken("taxonomy.yaml", undocument))
    assert len(problems) == 1
    assert "undocumented cycle" in problems[0]
    for code in ("org.eroded-trust", "org.manual-overrides", "ops.feedback-starvation", "silent.gradual-degradation"):
        assert code in problems[0]


def test_documented_cycle_that_is_not_a_cycle(broken: Editor) -> None:
    def bogus(d: dict[str, Any]) -> None:
        d["cycles"].append({"modes": ["ops.no-monitoring", "ops.no-rollback"], "why": "not real"})

    problems = validate_taxonomy(broken("taxonomy.yaml", bogus))
    assert problems == [
        "taxonomy/taxonomy.yaml: cycles[1]: not a cycle in leads_to "
        "(missing edge ops.no-monitoring -> ops.no-rollback, ops.no-rollback -> ops.no-monitoring)"
    ]


def test_source_title_not_in_documents(broken: Editor) -> None:
    def retitle(d: list[dict[str, Any]]) -> None:
        _mode(d, "econ.nonlinear-cost")["sources"][0]["document"] = "Organizations Buy AI"

    problems = validate_taxonomy(broken("modes/econ.yaml", retitle))
    assert problems == [
        "taxonomy/modes/econ.yaml: econ.nonlinear-cost: sources[0].document: 'Organizations Buy AI' "
        "is not a title in documents"
    ]


def test_schema_errors_name_file_mode_and_field(broken: Editor) -> None:
    def bad(d: list[dict[str, Any]]) -> None:
        m = _mode(d, "econ.nonlinear-cost")
        m["stage"] = "launch"
        m["colour"] = "red"
        del m["summary"]

    problems = validate_taxonomy(broken("modes/econ.yaml", bad))
    joined = "\n".join(problems)
    assert "taxonomy/modes/econ.yaml: econ.nonlinear-cost: stage:" in joined
    assert "taxonomy/modes/econ.yaml: econ.nonlinear-cost: colour: Extra inputs are not permitted" in joined
    assert "taxonomy/modes/econ.yaml: econ.nonlinear-cost: summary: Field required" in joined


def test_code_must_match_its_file(broken: Editor) -> None:
    def wrong(d: list[dict[str, Any]]) -> None:
        _mode(d, "econ.nonlinear-cost")["code"] = "ops.nonlinear-cost"

    problems = validate_taxonomy(broken("modes/econ.yaml", wrong))
    assert any("ops.nonlinear-cost" in p and "prefix is 'ops'" in p for p in problems), problems


def test_bad_code_format(broken: Editor) -> None:
    def wrong(d: list[dict[str, Any]]) -> None:
        _mode(d, "econ.nonlinear-cost")["code"] = "econ.Nonlinear_Cost"

    problems = validate_taxonomy(broken("modes/econ.yaml", wrong))
    assert any("must be <category>.<kebab-case-name>" in p for p in problems), problems


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    root = tmp_path / "taxonomy"
    shutil.copytree(SHIPPED, root)
    (root / "modes" / "econ.yaml").write_text("- code: econ.x\n  name: [unclosed\n", encoding="utf-8")
    problems = validate_taxonomy(root)
    assert any(p.startswith(str(root / "modes" / "econ.yaml") + ":") and "invalid YAML" in p for p in problems)


def test_missing_modes_file_and_unknown_category_file(tmp_path: Path) -> None:
    root = tmp_path / "taxonomy"
    shutil.copytree(SHIPPED, root)
    (root / "modes" / "econ.yaml").rename(root / "modes" / "money.yaml")
    problems = validate_taxonomy(root)
    assert any("modes/econ.yaml: missing" in p for p in problems), problems
    assert any("modes/money.yaml: no category 'money'" in p for p in problems), problems


def test_missing_directory(tmp_path: Path) -> None:
    problems = validate_taxonomy(tmp_path / "nowhere")
    assert len(problems) == 1 and "taxonomy.yaml: missing" in problems[0]


def test_load_raises_valueerror_listing_problems(broken: Editor) -> None:
    def dangle(d: list[dict[str, Any]]) -> None:
        _mode(d, "ops.no-monitoring")["leads_to"].append("ops.gone")

    root = broken("modes/ops.yaml", dangle)
    with pytest.raises(ValueError, match=r"unknown code 'ops\.gone'"):
        load_taxonomy(root)


def test_broken_fixture_reports_each_kind_of_problem() -> None:
    problems = validate_taxonomy(BROKEN_FIXTURE)
    joined = "\n".join(problems)
    assert "duplicate code 'ops.no-monitoring'" in joined
    assert "leads_to: unknown code 'ops.nowhere'" in joined
    assert "'ops.old-monitoring' points at unknown code 'ops.does-not-exist'" in joined
    assert "'silent.quiet-shutdown' is a live code and cannot also be an alias" in joined
    assert "undocumented cycle in leads_to" in joined
    assert "'Not A Document' is not a title in documents" in joined
    assert len(problems) == 6


# --- quotes ------------------------------------------------------------------------------------

DAMAGED = "But production doesn\u00e2t care about your validation score. Itâs \u00e2just refactor\u00e2 it."


def test_normalise_quote_maps_curly_punctuation_and_whitespace() -> None:
    assert normalise_quote("  the vendor\u2019s  \u201cplug and play\u201d \u2014 done\n") == (
        'the vendor\'s "plug and play" - done'
    )


def test_clean_quote_matches_damaged_text() -> None:
    assert quote_in_document("But production doesn't care about your validation score.", DAMAGED)
    assert quote_in_document("But production doesn\u2019t care", DAMAGED)
    assert quote_in_document('"just refactor"', DAMAGED)


def test_curly_text_matches_straight_quote_and_whitespace_differences() -> None:
    text = "What was sold as \u201cplug and play\u201d becomes\n ongoing   engineering work"
    assert quote_in_document('sold as "plug and play" becomes ongoing engineering work', text)


def test_wrong_quotes_are_not_found() -> None:
    assert not quote_in_document("But production does not care about your validation score.", DAMAGED)
    assert not quote_in_document("but production doesn't care", DAMAGED)  # case-sensitive
    assert not quote_in_document("doesnt care", DAMAGED)  # the wildcard stands for one character, not zero
    assert not quote_in_document("doesnxt care", DAMAGED)  # ... and only for punctuation
    assert not quote_in_document("", DAMAGED)


def test_wildcard_does_not_swallow_letters() -> None:
    # 'â' in the damaged text may stand for punctuation in the quote, never the other way round
    assert not quote_in_document("doesnât care", "doesnt care")
    assert not quote_in_document("don't", "donut")
