"""The synthetic portfolio generator: deterministic, valid, and carrying the patterns it promises."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.service import KB
from kb.synth import SynthSpec, generate
from kb.synth.portfolio import ChainBuilder
from kb.synth.write import write_portfolio

TINY = ["--projects", "8", "--incidents", "60", "--periods", "6", "--flag-events", "50"]
TREND_SIGNALS = {"usage-decline", "adoption-decline", "quality-decay", "override-rise", "cost-creep", "capacity-gap"}


def _export(db: Path, out: Path, *synth_args: str) -> dict[str, bytes]:
    runner = CliRunner()
    r = runner.invoke(main, ["--db", str(db), "synth", *synth_args, "--out-dir", str(db.parent / "src")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["--db", str(db), "export", "--dir", str(out)])
    assert r.exit_code == 0, r.output
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.yaml"))}


def test_same_seed_same_export_byte_for_byte(tmp_path: Path) -> None:
    a = _export(tmp_path / "a" / "kb.sqlite", tmp_path / "a-out", *TINY, "--seed", "7")
    b = _export(tmp_path / "b" / "kb.sqlite", tmp_path / "b-out", *TINY, "--seed", "7")
    c = _export(tmp_path / "c" / "kb.sqlite", tmp_path / "c-out", *TINY, "--seed", "8")
    assert len(a) == 8 + 60  # one file per project and per incident
    assert a == b
    assert a.keys() == c.keys()  # same ids ...
    assert a != c  # ... different contents


@pytest.fixture(scope="module")
def portfolio_kb(tmp_path_factory: pytest.TempPathFactory):
    spec = SynthSpec(projects=60, incidents=600, periods=8, flag_events=500, seed=3)
    portfolio = generate(spec)
    root = tmp_path_factory.mktemp("synth")
    handle = KB(root / "kb.sqlite", actor="synth")
    report = write_portfolio(handle, portfolio, root / "src")
    yield portfolio, handle, report
    handle.close()


def test_sizes_are_exactly_as_asked(portfolio_kb) -> None:
    _, handle, report = portfolio_kb
    assert handle.db.execute("SELECT count(*) FROM projects").fetchone()[0] == 60
    assert handle.db.execute("SELECT count(*) FROM incidents").fetchone()[0] == 600
    assert handle.db.execute("SELECT count(*) FROM flag_events").fetchone()[0] == 500
    assert report.flag_events == 500
    per_incident = handle.db.execute("SELECT count(*) FROM causes GROUP BY incident_id").fetchall()
    assert len(per_incident) == 600
    assert {n for (n,) in per_incident} <= set(range(1, 7))
    # every write went through the store: one change-log row per project and per incident
    assert handle.db.execute("SELECT count(*) FROM changelog WHERE op = 'synth'").fetchone()[0] == 660
    # and the search index holds every incident
    assert handle.db.execute("SELECT count(*) FROM incident_text_fts").fetchone()[0] == 600


def test_ids_are_sequential_and_duplicates_point_backwards(portfolio_kb) -> None:
    _, handle, _ = portfolio_kb
    ids = [r[0] for r in handle.db.execute("SELECT id FROM incidents ORDER BY id")]
    assert ids[0] == "INC-000001" and ids[-1] == "INC-000600"
    for dup, target, same_project in handle.db.execute(
        "SELECT d.id, d.duplicate_of, d.project = t.project FROM incidents d JOIN incidents t ON t.id = d.duplicate_of"
    ):
        assert target < dup and same_project


def test_some_actions_are_overdue(portfolio_kb) -> None:
    portfolio, handle, _ = portfolio_kb
    as_of = portfolio.spec.as_of.isoformat()
    overdue = handle.db.execute("SELECT count(*) FROM actions WHERE status = 'open' AND due < ?", [as_of]).fetchone()
    assert overdue[0] > 0
    assert handle.db.execute("SELECT count(*) FROM projects WHERE owner = ''").fetchone()[0] > 0


def test_chains_walk_the_taxonomy_backwards() -> None:
    """a leads to b leads to c: a chain of three triggered by c is exactly c <- b <- a."""

    def mode(name: str) -> SimpleNamespace:
        return SimpleNamespace(name=name, signals=[f"{name} happened"], summary=name, mitigations=[f"fix {name}"])

    tax = SimpleNamespace(
        modes={"x.a": mode("A"), "x.b": mode("B"), "x.c": mode("C")},
        leads_to_edges=lambda: [("x.a", "x.b"), ("x.b", "x.c")],
    )
    builder = ChainBuilder(tax)  # type: ignore[arg-type]
    seen_c = 0
    for seed in range(40):
        codes, because = builder.chain(random.Random(seed), 3)
        assert sorted(codes) == ["x.a", "x.b", "x.c"]  # three distinct modes, none repeated
        if codes[0] == "x.c":
            seen_c += 1
            assert codes == ["x.c", "x.b", "x.a"]
            assert because == [[1], [2], []]
    assert seen_c > 0


def test_quiet_shutdowns_are_designed_and_detected(portfolio_kb) -> None:
    portfolio, handle, _ = portfolio_kb
    verdicts = {v.project: v for v in handle.silent_scan(as_of=portfolio.spec.as_of)}
    quiet = [p for p in portfolio.plans if p.pattern == "quiet-shutdown"]
    assert quiet
    for plan in quiet:
        off = handle.db.execute(
            "SELECT comment FROM flag_events WHERE flag_key = ? AND environment = 'production' AND action = 'disabled'",
            [plan.flag],
        ).fetchall()
        assert off == [("",)]  # one production disable, with no reason given
        assert plan.shutdown_at is not None
        near = handle.db.execute(
            "SELECT count(*) FROM incidents WHERE project = ? AND started_at >= ?",
            [plan.slug, (plan.shutdown_at.date() - timedelta(days=14)).isoformat()],
        ).fetchone()[0]
        assert near == 0  # no incident anywhere near the flip
        assert "quiet-shutdown" in {s.code for s in verdicts[plan.slug].signals}


def test_trend_patterns_fire_and_healthy_ones_stay_quiet(portfolio_kb) -> None:
    portfolio, handle, _ = portfolio_kb
    verdicts = {v.project: {s.code for s in v.signals} for v in handle.silent_scan(as_of=portfolio.spec.as_of)}
    expected = {"declining-usage": "usage-decline", "rising-overrides": "override-rise", "cost-creep": "cost-creep"}
    checked = 0
    for plan in portfolio.plans:
        if plan.project.stage == "retired":
            continue
        periods = handle.db.execute("SELECT count(*) FROM health WHERE project = ?", [plan.slug]).fetchone()[0]
        if plan.pattern in expected and periods >= 6:
            assert expected[plan.pattern] in verdicts[plan.slug], plan.slug
            checked += 1
        if plan.pattern == "healthy":
            assert not (verdicts[plan.slug] & TREND_SIGNALS), plan.slug
    assert checked >= 3


def test_stale_projects_report_nothing_recent(portfolio_kb) -> None:
    portfolio, handle, _ = portfolio_kb
    recent = portfolio.spec.quarters[-2].start.isoformat()
    stale = [p.slug for p in portfolio.plans if p.pattern == "stale"]
    assert stale
    for slug in stale:
        assert handle.db.execute("SELECT count(*) FROM health WHERE project = ?", [slug]).fetchone()[0] == 0
        late = handle.db.execute(
            "SELECT count(*) FROM incidents WHERE project = ? AND (started_at >= ? OR detected_at >= ?)",
            [slug, recent, recent],
        ).fetchone()[0]
        assert late == 0


def test_synth_refuses_a_filled_database(run) -> None:
    run.ok("synth", *TINY)
    result = run.fails("synth", *TINY)
    assert "already holds projects" in result.stderr


def test_synth_rejects_a_bad_period(run) -> None:
    result = run.fails("synth", *TINY, "--last-period", "2026Q5")
    assert "--last-period" in result.stderr and "2026Q5" in result.stderr
