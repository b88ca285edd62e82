"""incident_chains (m011, kb.store.chains): each incident's chain kept packed in one row, written
with the incident, dropped by trigger when a child row changes behind kb's back, packed from the
child rows when absent; and the analyses give the same answers with or without the rows."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from kb.service import KB
from kb.store.chains import missing_chains, stale_chains, write_chains
from kb.store.queries.graph import SEP, ChainGroup, load_chain_groups
from kb.synth import SynthSpec, generate
from kb.synth.write import write_portfolio
from tests.test_graph_patterns import hand  # noqa: F401  (fixture)

FIXTURE_M001 = Path(__file__).parent / "fixtures" / "db_schema_m001.sqlite"


def _row(kb: KB, iid: str) -> tuple[str, str, str, str] | None:
    return kb.db.execute(
        "SELECT causes, modes, links, codes FROM incident_chains WHERE incident_id = ?", [iid]
    ).fetchone()


def test_saving_an_incident_writes_its_packed_chain(hand: KB) -> None:  # noqa: F811
    """HB-0001 as written in tests/test_graph_patterns.py: t (trigger, latency) because [m];
    m (ops.no-monitoring) because [o, x]; o (org.unclear-ownership); x (no mode); classified
    silent.quiet-shutdown and ops.unmonitored. Packed by cause id (m, o, t, x), links by cause
    then named cause, codes sorted."""
    assert _row(hand, "HB-0001") == (
        SEP.join(["m", "0", "o", "0", "t", "1", "x", "0"]),
        SEP.join(["ops.no-monitoring", "org.unclear-ownership", "integration.latency", ""]),
        SEP.join(["m", "0", "o", "m", "1", "x", "t", "0", "m"]),
        SEP.join(["ops.unmonitored", "silent.quiet-shutdown"]),
    )
    # HB-0005: no classification, so an empty codes text (a row all the same)
    assert _row(hand, "HB-0005") is not None and _row(hand, "HB-0005")[3] == ""  # type: ignore[index]
    assert missing_chains(hand.db.conn) == 0 and stale_chains(hand.db.conn) == []


def test_a_child_row_changed_by_hand_drops_the_row_and_the_analyses_follow(hand: KB) -> None:  # noqa: F811
    before = {i.code: i.incidents for i in hand.root_causes().items}
    assert before.get("org.unclear-ownership", 0) >= 1
    # HB-0005's only condition (o: org.unclear-ownership) renamed behind kb's back
    hand.db.execute("UPDATE causes SET mode = 'ops.no-monitoring' WHERE incident_id = 'HB-0005' AND cause_id = 'o'")
    hand.db.conn.commit()
    assert _row(hand, "HB-0005") is None and missing_chains(hand.db.conn) == 1
    after = {i.code: i.incidents for i in hand.root_causes().items}
    assert after["org.unclear-ownership"] == before["org.unclear-ownership"] - 1
    assert after["ops.no-monitoring"] == before.get("ops.no-monitoring", 0) + 1
    # writing the row again (as saving the incident does) makes it whole
    write_chains(hand.db.conn, ["HB-0005"])
    assert missing_chains(hand.db.conn) == 0 and stale_chains(hand.db.conn) == []


def test_links_and_classifications_changed_by_hand_drop_the_row_too(hand: KB) -> None:  # noqa: F811
    hand.db.execute("DELETE FROM cause_links WHERE incident_id = 'HB-0003'")
    hand.db.execute("UPDATE classifications SET confidence = 'low' WHERE incident_id = 'HB-0002'")
    hand.db.conn.commit()
    assert _row(hand, "HB-0003") is None and _row(hand, "HB-0002") is None
    assert _row(hand, "HB-0001") is not None


def test_analyses_are_the_same_with_and_without_the_packed_rows(hand: KB) -> None:  # noqa: F811
    def answers() -> tuple[object, ...]:
        return (
            hand.root_causes().model_dump(),
            [k.model_dump() for k in hand.keystones()],
            [c.model_dump() for c in hand.recurring_chains(min_count=1)],
            hand.graph_patterns(quarter="2026Q3", min_count=1).root_causes.model_dump(),
        )

    with_rows = answers()
    stored = _by_incident(load_chain_groups(hand.db.conn))
    hand.db.execute("DELETE FROM incident_chains")
    hand.db.conn.commit()
    assert missing_chains(hand.db.conn) == 5
    packed = _by_incident(load_chain_groups(hand.db.conn))
    assert sorted(stored) == ["HB-0001", "HB-0002", "HB-0003", "HB-0005"]
    assert packed == stored
    assert answers() == with_rows


def test_incidents_with_and_without_rows_share_one_group_per_chain(tmp_path: Path) -> None:
    """A synthetic portfolio, where many incidents share a chain: each distinct chain is one group
    (its incidents' texts equal, no two groups' equal), whether an incident's texts were stored or
    packed at read time; the analyses follow."""
    kb = KB(tmp_path / "kb.sqlite", actor="t")
    write_portfolio(kb, generate(SynthSpec(projects=5, incidents=120, periods=4, flag_events=0, seed=3)), tmp_path)

    def answers() -> tuple[object, ...]:
        return (
            kb.root_causes().model_dump(),
            [k.model_dump() for k in kb.keystones(limit=1000)],
            [c.model_dump() for c in kb.recurring_chains(min_count=1)],
        )

    with_rows = answers()
    stored = load_chain_groups(kb.db.conn)
    live = [r[0] for r in kb.db.execute("SELECT id FROM incidents WHERE duplicate_of IS NULL")]
    texts = {g.ids[0]: (g.causes, g.modes, g.links, g.codes) for g in stored}
    assert len(set(texts.values())) == len(stored) < len(live)  # chains shared, each group distinct
    # every other incident loses its row: packed at read time, it joins the group of its stored twins
    kb.db.execute("DELETE FROM incident_chains WHERE rowid % 2 = 0")
    kb.db.conn.commit()
    assert 0 < missing_chains(kb.db.conn) < len(live)
    mixed = load_chain_groups(kb.db.conn)
    assert _by_incident(mixed) == _by_incident(stored)
    assert len(mixed) == len(stored)
    assert all(g.ids == sorted(g.ids) for g in [*stored, *mixed])  # each group's ids in order
    assert answers() == with_rows
    kb.close()


def _by_incident(groups: list[ChainGroup]) -> dict[str, tuple[object, ...]]:
    """Incident id -> its severity and chain texts, each incident once."""
    out: dict[str, tuple[object, ...]] = {}
    for g in groups:
        for iid, severity in zip(g.ids, g.severities, strict=True):
            assert iid not in out
            out[iid] = (severity, g.causes, g.modes, g.links, g.codes)
    return out


def test_an_upgrade_packs_every_existing_incident(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    shutil.copyfile(FIXTURE_M001, db)
    conn = sqlite3.connect(db)
    incidents = conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
    causes = conn.execute("SELECT count(*) FROM causes").fetchone()[0]
    conn.close()
    assert incidents == 5 and causes > 0
    with KB(db) as kb:
        assert kb.db.execute("SELECT count(*) FROM incident_chains").fetchone()[0] == 5
        assert missing_chains(kb.db.conn) == 0 and stale_chains(kb.db.conn) == []
        assert kb.check().ok
