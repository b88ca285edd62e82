"""`kb taxonomy list/show` on the read path: the pydantic-free taxonomy view (kb.taxonomy_index) is the
validated model, and the SQL usage counts (kb.store.queries.taxonomy) are kb.taxonomy.incidents_by_mode."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kb import taxonomy as pyd
from kb.cli import main
from kb.models import Incident, Project
from kb.service import KB
from kb.store.chains import missing_chains, write_chains
from kb.store.queries import taxonomy as usage_sql
from kb.taxonomy_files import default_taxonomy_dir
from kb.taxonomy_index import TaxonomyIndex, packaged, read_index


def _same(index: TaxonomyIndex, model: pyd.Taxonomy) -> None:
    assert index.version == model.version
    assert [c.document() for c in index.categories] == [c.model_dump(mode="json") for c in model.categories]
    assert list(index.modes) == list(model.modes)
    for code, mode in model.modes.items():
        assert index.modes[code].document() == mode.model_dump(mode="json"), code
    assert index.alias_map == model.alias_map
    assert index.leads_to_edges() == model.leads_to_edges()
    for code in [*model.modes, *model.alias_map, " ops.no-monitoring ", "ops.nope", "", "ops"]:
        assert index.resolve(code) == model.resolve(code), code


def test_the_packaged_view_is_the_validated_model() -> None:
    _same(packaged(), pyd.load_taxonomy())


@pytest.fixture
def renamed(tmp_path: Path) -> Path:
    """The packaged taxonomy with retired codes: one in the top-level map (a chain), one on a mode."""
    root = tmp_path / "taxonomy"
    shutil.copytree(default_taxonomy_dir(), root)
    index = yaml.safe_load((root / "taxonomy.yaml").read_text(encoding="utf-8"))
    index["aliases"] = {"ops.blind": "ops.unwatched", "ops.unwatched": "ops.no-monitoring"}
    (root / "taxonomy.yaml").write_text(yaml.safe_dump(index, sort_keys=False), encoding="utf-8")
    modes = yaml.safe_load((root / "modes" / "org.yaml").read_text(encoding="utf-8"))
    for mode in modes:
        if mode["code"] == "org.unclear-ownership":
            mode["aliases"] = ["org.no-owner"]
    (root / "modes" / "org.yaml").write_text(yaml.safe_dump(modes, sort_keys=False), encoding="utf-8")
    return root


def test_the_view_of_a_taxonomy_with_retired_codes_is_the_model(renamed: Path) -> None:
    model = pyd.load_taxonomy(renamed)
    assert model.resolve("ops.blind") == "ops.no-monitoring" and model.resolve("org.no-owner")
    _same(read_index(renamed), model)


def test_sql_usage_is_incidents_by_mode(db_path: Path, tmp_path: Path, renamed: Path) -> None:
    from kb.synth import SynthSpec, generate
    from kb.synth.write import write_portfolio

    with KB(db_path, "tester") as kb:
        write_portfolio(kb, generate(SynthSpec(projects=6, incidents=150, periods=4, flag_events=5, seed=11)), tmp_path)
        kb.seed()
        # older records carrying retired codes, a code no taxonomy knows, and a merged duplicate
        conn = kb.db.conn
        ids = [r[0] for r in conn.execute("SELECT id FROM incidents ORDER BY id LIMIT 12")]
        conn.execute("UPDATE classifications SET code = 'ops.blind' WHERE incident_id = ? AND pos = 0", [ids[0]])
        conn.execute("UPDATE causes SET mode = 'org.no-owner' WHERE incident_id = ? AND mode IS NOT NULL", [ids[1]])
        conn.execute("UPDATE causes SET mode = 'gone.nowhere' WHERE incident_id = ? AND mode IS NOT NULL", [ids[2]])
        kb.merge_incident(ids[3], ids[4])
        conn.commit()
        model = pyd.load_taxonomy(renamed)
        codes = read_index(renamed).current_codes()
        expected = pyd.incidents_by_mode(model, kb.incidents())
        # the hand edits above dropped those incidents' packed chains (m011 triggers): counted from their
        # child rows first, then from the rows written again, with the same answers
        assert missing_chains(conn) == 3
        for state in ("three chains unpacked", "every chain packed"):
            by_mode, by_category = usage_sql.usage_counts(conn, codes)
            assert {c: len(u) for c, u in expected.items() if u} == by_mode, state
            for cat in model.categories:
                touching = {u.incident_id for m in model.modes_in(cat.code) for u in expected[m.code]}
                assert by_category.get(cat.code, 0) == len(touching), (state, cat.code)
            for code in model.modes:
                rows = usage_sql.mode_incidents(conn, codes, code)
                want = sorted(expected[code], key=lambda u: (usage_sql.ROLES.index(u.role), u.incident_id))
                assert [(r.id, r.role) for r in rows] == [(u.incident_id, u.role) for u in want], (state, code)
                assert usage_sql.co_occurring(conn, codes, code) == pyd.co_occurring(expected, code), (state, code)
            write_chains(conn)
            conn.commit()
            assert missing_chains(conn) == 0
        assert by_mode["ops.no-monitoring"] > 10 and any(u.role == "cause" for u in expected["org.unclear-ownership"])


@pytest.fixture
def two(db_path: Path) -> Path:
    with KB(db_path, "tester") as kb:
        kb.add_project(Project(slug="fraud-review"))
        base = {"project": "fraud-review", "title": "t"}
        kb.add_incident(
            Incident.model_validate(
                {
                    **base,
                    "title": "frozen scores",
                    "started_at": "2021Q3",
                    "modes": [{"code": "ops.no-monitoring", "role": "contributing"}],
                    "causes": [{"id": "a", "statement": "no owner", "mode": "org.unclear-ownership"}],
                }
            )
        )
        kb.add_incident(
            Incident.model_validate(
                {
                    **base,
                    "kind": "outage",
                    "started_at": "2026-02-10T08:00:00Z",
                    "modes": [{"code": "ops.no-monitoring", "role": "primary"}],
                }
            )
        )
        kb.add_incident(Incident.model_validate({**base, "modes": [{"code": "ops.no-monitoring"}]}))
        kb.merge_incident("INC-0003", "INC-0002")  # a duplicate counts nowhere
    return db_path


def test_taxonomy_list_and_show_by_hand(two: Path) -> None:
    listed = CliRunner().invoke(main, ["--db", str(two), "taxonomy", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    modes = {m["code"]: m["incidents"] for c in json.loads(listed.output)["categories"] for m in c["modes"]}
    assert modes["ops.no-monitoring"] == 2 and modes["org.unclear-ownership"] == 1
    assert sum(modes.values()) == 3
    tree = CliRunner().invoke(main, ["--db", str(two), "taxonomy", "list"])
    assert "ops.no-monitoring  " in tree.output and "2 incidents" in tree.output and "1 incident\n" in tree.output

    shown = CliRunner().invoke(main, ["--db", str(two), "taxonomy", "show", "ops.no-monitoring", "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert data["requested"] == "ops.no-monitoring" and data["code"] == "ops.no-monitoring"
    # the primary one first; an approximate start prints as its first day in JSON, as before
    assert data["incidents"] == [
        {
            "id": "INC-0002",
            "project": "fraud-review",
            "title": "t",
            "kind": "outage",
            "started_at": "2026-02-10T08:00:00+00:00",
            "role": "primary",
        },
        {
            "id": "INC-0001",
            "project": "fraud-review",
            "title": "frozen scores",
            "kind": "degradation",
            "started_at": "2021-07-01",
            "role": "contributing",
        },
    ]
    assert data["co_occurring"] == [{"code": "org.unclear-ownership", "name": _name(), "incidents": 1}]
    text = CliRunner().invoke(main, ["--db", str(two), "taxonomy", "show", "ops.no-monitoring"], env={"COLUMNS": "200"})
    lines = text.output.splitlines()
    assert "  INC-0002  primary      2026-02-10  t (fraud-review)" in lines
    assert "  INC-0001  contributing 2021Q3  frozen scores (fraud-review)" in lines
    assert "Incidents (2)" in lines


def _name() -> str:
    return pyd.load_taxonomy().modes["org.unclear-ownership"].name
