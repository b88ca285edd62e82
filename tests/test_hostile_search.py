"""Hostile search queries: any text, with any filter, is searched for and never parsed. `kb search`
exits 0 (or 1 with one line for a bad filter value), never a traceback, and never writes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.models import INCIDENT_KINDS
from kb.service import KB
from tests._hostile import db_digest, run_hostile

SEED = Path(__file__).parent / "fixtures" / "silent" / "portfolio.yaml"

FTS_SYNTAX = ['"', "'", "(", ")", "*", "^", ":", "-", "+", "AND", "OR", "NOT", "NEAR", "NEAR(", "{", "}", "title:"]
queries = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from([*FTS_SYNTAX, "vendor", "scorer", "switched", "off", " "]), max_size=12).map(" ".join),
    st.lists(st.sampled_from([*FTS_SYNTAX, "vendor", "x"]), max_size=12).map("".join),
)
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def search_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("hostile-search") / "kb.sqlite"
    with KB(db) as kb:
        kb.import_paths([str(SEED)])
    return db


@SETTINGS
@given(query=queries)
def test_any_query_is_answered_and_nothing_is_written(search_db: Path, query: str) -> None:
    before = db_digest(search_db)
    result = run_hostile(search_db, "search", "--", query)
    assert result.exit_code == 0, result.output
    result = run_hostile(search_db, "search", "--json", "--", query)
    assert result.exit_code == 0 and result.stdout.lstrip().startswith("[")
    assert db_digest(search_db) == before


@SETTINGS
@given(
    query=queries,
    project=st.one_of(st.none(), st.text(max_size=20), st.just("churn-scorer")),
    kind=st.one_of(st.none(), st.sampled_from(INCIDENT_KINDS)),  # a click.Choice: other words are usage errors
    since=st.one_of(st.none(), st.text(max_size=12), st.just("2026-01-01")),
    mode=st.one_of(st.none(), st.text(max_size=20), st.just("silent.quiet-shutdown")),
)
def test_any_filters(
    search_db: Path, query: str, project: str | None, kind: str | None, since: str | None, mode: str | None
) -> None:
    args = ["search"]
    for opt, value in (("--project", project), ("--kind", kind), ("--since", since), ("--mode", mode)):
        if value is not None:
            args += [f"{opt}={value}"]
    before = db_digest(search_db)
    run_hostile(search_db, *args, "--", query)
    assert db_digest(search_db) == before


def test_fts_operators_are_words_not_syntax(search_db: Path) -> None:
    """`vendor OR zzqx` would match the vendor incident if OR were parsed; as words it needs all
    three words and finds nothing."""
    plain = run_hostile(search_db, "search", "--json", "vendor")
    assert plain.exit_code == 0 and plain.stdout.strip() != "[]"
    with_or = run_hostile(search_db, "search", "--json", "vendor OR zzqx")
    assert with_or.exit_code == 0 and with_or.stdout.strip() == "[]"
