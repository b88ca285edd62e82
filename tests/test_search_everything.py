"""Search finds what is recorded (issue 17): modes by code and name, classification evidence, tags,
timeline, links, lessons, impact and the project's own words; filters list on their own, newest
first; --mode takes a category. Each test is one of the misses the issue lists, or one of the
fields it names, with the incidents worked out from the fixture by hand.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kb.errors import KBError
from kb.models import Incident, Project
from kb.service import KB

FIXTURE_M001 = Path(__file__).parent / "fixtures" / "db_schema_m001.sqlite"


def _ids(hits: list) -> list[str]:
    return [h.id for h in hits]


@pytest.fixture
def small(kb: KB) -> KB:
    """Three incidents whose searchable words sit in exactly one field each (see each test)."""
    kb.add_project(
        Project(
            slug="sepsis",
            name="Sepsis alert",
            team="clinical-informatics",
            vendor="Epic Systems",
            decision="which patients a nurse checks first",
            notes="bought as part of the EHR contract",
        )
    )
    kb.add_project(Project(slug="pricing", name="Home pricing", team="offers"))
    kb.add_incident(
        Incident(
            id="INC-0001",
            project="sepsis",
            title="Alert missed most cases at a new site",
            started_at="2021-06-01",
            modes=[
                {"code": "drift.distribution-shift", "role": "primary", "evidence": "the model is a black box to us"}
            ],
            tags=["external-validation"],
            timeline=[{"at": "2021-06-21", "text": "Michigan researchers publish the audit"}],
            links=[{"title": "JAMA Internal Medicine paper", "url": "https://example.org/jama"}],
        )
    )
    kb.add_incident(
        Incident(
            id="INC-0002",
            project="pricing",
            title="Offers kept buying while prices fell",
            started_at="2021-11-01",
            causes=[{"id": "c1", "statement": "the market turned", "mode": "drift.seasonality", "trigger": True}],
        )
    )
    kb.add_incident(
        Incident(
            id="INC-0003",
            project="pricing",
            title="Scores ignored by the offers team",
            started_at="2020-03-01",
            modes=[{"code": "org.eroded-trust", "role": "primary"}],
        )
    )
    return kb


def test_a_mode_name_finds_the_incidents_classified_under_it(small: KB) -> None:
    # "distribution shift" is written nowhere but in the code drift.distribution-shift and its name
    assert _ids(small.search("distribution shift")) == ["INC-0001"]
    assert _ids(small.search("drift.seasonality")) == ["INC-0002"]  # a cause's mode counts too
    name = small.taxonomy.mode("org.eroded-trust").name
    assert _ids(small.search(name)) == ["INC-0003"]


def test_classification_evidence_is_searched(small: KB) -> None:
    assert _ids(small.search("black box")) == ["INC-0001"]


def test_tags_timeline_and_link_titles_are_searched(small: KB) -> None:
    assert _ids(small.search("external-validation")) == ["INC-0001"]
    assert _ids(small.search("Michigan researchers")) == ["INC-0001"]
    assert _ids(small.search("JAMA")) == ["INC-0001"]


def test_the_projects_words_are_searched(small: KB) -> None:
    assert _ids(small.search("vendor")) == ["INC-0001"]  # the only project with a vendor
    assert _ids(small.search("Epic")) == ["INC-0001"]
    assert _ids(small.search("clinical informatics")) == ["INC-0001"]  # team
    assert _ids(small.search("nurse")) == ["INC-0001"]  # decision
    assert _ids(small.search("EHR contract")) == ["INC-0001"]  # notes
    assert set(_ids(small.search("home pricing"))) == {"INC-0002", "INC-0003"}  # name


def test_editing_a_project_updates_what_finds_its_incidents(small: KB) -> None:
    assert small.search("Zestimate") == []
    small.edit_project("pricing", {"vendor": "Zestimate"})
    assert set(_ids(small.search("Zestimate"))) == {"INC-0002", "INC-0003"}
    small.edit_project("pricing", {"vendor": ""})
    assert small.search("Zestimate") == []
    assert small.check().ok


def test_lessons_and_impact_text_are_searched(small: KB) -> None:
    small.edit_incident(
        "INC-0002",
        {
            "lessons": {"went_wrong": ["never automate irreversible purchases"], "got_lucky": ["a quiet market"]},
            "impact": {"text": "five hundred million written down", "people_affected": 2000},
        },
    )
    assert _ids(small.search("irreversible purchases")) == ["INC-0002"]
    assert _ids(small.search("quiet market")) == ["INC-0002"]
    assert _ids(small.search("written down")) == ["INC-0002"]
    assert small.check().ok


def test_an_empty_query_with_a_mode_lists_its_incidents_newest_first(kb: KB) -> None:
    kb.seed()
    # hand-read from seed_cases/: the four incidents classified drift.distribution-shift, by started_at
    # (SEED-0018 and SEED-0004 both started 2025-07-01: the higher id first)
    assert _ids(kb.search("", mode="drift.distribution-shift")) == ["SEED-0013", "SEED-0001", "SEED-0018", "SEED-0004"]
    found = set(_ids(kb.search("distribution shift", limit=50)))
    assert {"SEED-0001", "SEED-0004", "SEED-0013", "SEED-0018"} <= found


def test_mode_accepts_a_category(kb: KB) -> None:
    kb.seed()
    # every seed incident classified under, or with a cause in, a drift.* mode, newest first
    assert _ids(kb.search("", mode="drift", limit=50)) == [
        "SEED-0016",
        "SEED-0013",
        "SEED-0007",
        "SEED-0011",
        "SEED-0001",
        "SEED-0018",
        "SEED-0004",
    ]
    assert set(_ids(kb.search("upstream", mode="drift"))) == {"SEED-0011", "SEED-0007"}
    with pytest.raises(KBError, match="unknown taxonomy code 'drfit'"):
        kb.search("", mode="drfit")


def test_other_filters_list_alone(small: KB) -> None:
    from datetime import date

    assert _ids(small.search("", project="pricing")) == ["INC-0002", "INC-0003"]
    assert _ids(small.search("   ", since=date(2021, 1, 1))) == ["INC-0002", "INC-0001"]
    assert _ids(small.search("", kind="degradation")) == ["INC-0002", "INC-0001", "INC-0003"]
    assert small.search("") == []  # neither words nor filters: nothing, not everything


def test_cli_lists_by_mode_without_a_query(run) -> None:  # type: ignore[no-untyped-def]
    run.ok("seed")
    data = json.loads(run.ok("search", "--mode", "drift.distribution-shift", "--json").output)
    assert [h["id"] for h in data] == ["SEED-0013", "SEED-0001", "SEED-0018", "SEED-0004"]
    out = run.ok("search", "", "--mode", "drift").output
    assert "SEED-0016" in out
    run.fails("search", "--mode", "nosuch")


def test_an_existing_database_is_reindexed_by_the_upgrade(tmp_path: Path) -> None:
    """The committed m001 database: words it holds only in evidence, timeline, link titles, tags, mode
    codes and project fields are found once opening it has upgraded it (hand-read from the fixture)."""
    db = tmp_path / "old.sqlite"
    shutil.copyfile(FIXTURE_M001, db)
    with KB(db) as kb:
        assert _ids(kb.search("flip")) == ["INC-0001"]  # classification evidence
        assert _ids(kb.search("quarterly")) == ["INC-0001"]  # timeline
        assert _ids(kb.search("audit")) == ["INC-0001"]  # a link's title
        assert _ids(kb.search("upstream change")) == ["INC-0003"]  # mode code
        assert set(_ids(kb.search("Acme"))) == {"INC-0002", "INC-0003", "INC-0005"}  # project vendor
        assert _ids(kb.search("announced")) == ["INC-0001"]  # project notes
        assert kb.check().ok
