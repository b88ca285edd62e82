"""Full-text search: ranking, snippets, filters, and hostile query text."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.models import Incident, Project
from kb.service import KB
from kb.store.search import HIT_CLOSE, HIT_OPEN


def _portfolio(kb: KB) -> None:
    kb.add_project(Project(slug="churn", stage="production"))
    kb.add_project(Project(slug="fraud", stage="production"))
    kb.add_incident(
        Incident(
            id="INC-0001",
            project="churn",
            title="Latency spike switched the churn model off",
            kind="quiet-shutdown",
            started_at="2026-02-10",
            summary="Checkout latency doubled.",
            modes=[{"code": "integration.latency", "role": "primary"}],
        )
    )
    kb.add_incident(
        Incident(
            id="INC-0002",
            project="fraud",
            title="Review queue overflow",
            kind="degradation",
            started_at="2026-03-01",
            summary="Five hundred alerts an hour for a team that reviews fifty; latency was not the problem.",
            causes=[{"id": "c1", "statement": "nobody sized the review team", "mode": "integration.capacity-gap"}],
            actions=[{"title": "cap alerts at review capacity"}],
        )
    )
    kb.add_incident(
        Incident(
            id="INC-0003",
            project="fraud",
            title="Vendor price change",
            kind="degradation",
            started_at="2025-11-01",
            causes=[{"id": "c1", "statement": "vendor repriced the scoring API", "mode": "external.vendor-dependency"}],
        )
    )


@pytest.fixture
def kb_with_data(kb: KB) -> KB:
    _portfolio(kb)
    return kb


def test_title_match_ranks_above_summary_match(kb_with_data: KB) -> None:
    hits = kb_with_data.search("latency")
    assert [h.id for h in hits] == ["INC-0001", "INC-0002"]
    assert f"{HIT_OPEN}Latency{HIT_CLOSE}" in hits[0].snippet


def test_cause_statements_and_action_titles_are_searched(kb_with_data: KB) -> None:
    assert [h.id for h in kb_with_data.search("repriced")] == ["INC-0003"]
    assert [h.id for h in kb_with_data.search("capacity")] == ["INC-0002"]  # an action title, not the mode code
    hit = kb_with_data.search("sized")[0]
    assert f"{HIT_OPEN}sized{HIT_CLOSE}" in hit.snippet


def test_stemming_finds_word_forms(kb_with_data: KB) -> None:
    assert [h.id for h in kb_with_data.search("reviewing")] == ["INC-0002"]


def test_filters(kb_with_data: KB) -> None:
    kb = kb_with_data
    assert [h.id for h in kb.search("latency", project="fraud")] == ["INC-0002"]
    assert [h.id for h in kb.search("latency", kind="quiet-shutdown")] == ["INC-0001"]
    assert [h.id for h in kb.search("vendor", mode="external.vendor-dependency")] == ["INC-0003"]
    assert [h.id for h in kb.search("latency", mode="integration.latency")] == ["INC-0001"]
    assert [h.id for h in kb.search("vendor", since=date(2026, 1, 1))] == []
    assert {h.id for h in kb.search("latency", since=date(2026, 1, 1))} == {"INC-0001", "INC-0002"}


def test_search_text_is_never_parsed_as_fts_syntax(kb_with_data: KB) -> None:
    kb = kb_with_data
    # `OR` is searched as a word: no incident holds "vendor", "or" and "latency" together
    assert kb.search("vendor OR latency") == []
    for hostile in ['"', "AND", "(", ")", "*", "NOT latency", 'latency"', "NEAR(a b)", "col:latency", "^latency", "'"]:
        kb.search(hostile)  # must not raise
    assert [h.id for h in kb.search("latency)")] == ["INC-0001", "INC-0002"]
    assert [h.id for h in kb.search('"latency')] == ["INC-0001", "INC-0002"]


def test_cli_search_prints_snippets_and_json(run) -> None:
    run.ok("import", str(Path(__file__).parent / "fixtures" / "docs" / "example.yaml"))
    out = run.ok("search", "latency").output
    assert "INC-0001" in out and "latency" in out
    data = json.loads(run.ok("search", "latency", "--json").output)
    assert data[0]["id"] == "INC-0001"
    assert HIT_OPEN not in data[0]["snippet"] and "latency" in data[0]["snippet"]
    run.fails("search", "latency", "--mode", "ops.no-monitor")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=40))
def test_any_query_text_is_safe(kb_with_data: KB, query: str) -> None:
    hits = kb_with_data.search(query)
    assert {h.id for h in hits} <= {"INC-0001", "INC-0002", "INC-0003"}


OPERATORS = ['"', "AND", "OR", "NOT", "(", ")", "*", "^", ":", "NEAR", "latency", "-", "+", "{", "}"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.lists(st.sampled_from(OPERATORS), max_size=8).map(" ".join))
def test_fts_operators_are_safe(kb_with_data: KB, query: str) -> None:
    hits = kb_with_data.search(query)
    # only the word "latency" can match anything, and then only the two incidents that contain it
    assert {h.id for h in hits} <= {"INC-0001", "INC-0002"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=30))
def test_cli_search_never_crashes(run, query: str) -> None:
    if not run.db_path.exists():
        run.ok("init")
    result = run("search", "--", query)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
