"""Search cost is linear in the query (issue 14: 8,000 repeated words took 91 s, nearly all in
FTS5's snippet building, which costs terms x text)."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.models import Incident, Project
from kb.service import KB
from kb.store.search import MAX_TERMS, fts_query
from tests._hostile import run_hostile


def test_repeated_words_are_searched_once(kb: KB) -> None:
    q = fts_query("latency " * 8000)
    assert q == '"latency"'
    q = fts_query("Latency LATENCY latency drift")
    assert q == '"latency" "drift"'


def test_terms_are_capped(kb: KB) -> None:
    words = [f"w{i}" for i in range(8000)]
    q = fts_query(" ".join(words))
    assert q is not None
    assert q.split() == [f'"w{i}"' for i in range(MAX_TERMS)]


def test_8000_repeated_words_find_what_one_finds(db_path: Path) -> None:
    with KB(db_path) as kb:
        kb.add_project(Project(slug="p", owner="ann"))
        for i in range(30):
            kb.add_incident(Incident(project="p", title=f"latency spike {i}", summary="latency " * 200))
        kb.add_incident(Incident(project="p", title="unrelated"))
    one = run_hostile(db_path, "search", "--json", "latency").output
    many = run_hostile(db_path, "search", "--json", " ".join(["latency"] * 8000)).output
    assert one == many and one.count('"id"') == 20


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_the_query_is_quoted_as_sqlite_utils_quotes_it(text: str) -> None:
    """kb.store.search quotes each word itself (no sqlite-utils on the read path); sqlite-utils' quote_fts
    of the same words gives the same expression."""
    from sqlite_utils import Database

    found = re.findall(r"[\w]+(?:['’][\w]+)*", text, flags=re.UNICODE)
    words = list(dict.fromkeys(w.casefold() for w in found))[:MAX_TERMS]
    expected = Database(memory=True).quote_fts(" ".join(words)) if words else None
    assert fts_query(text) == expected
