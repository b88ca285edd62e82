"""The seed portfolio's illustrative signals: kb seed gives the demo verdicts the README promises."""

from __future__ import annotations

from datetime import date

from kb.service import KB

TREND_SIGNALS = {"usage-decline", "adoption-decline", "quality-decay", "override-rise", "cost-creep"}


def _signals(kb: KB, as_of: date) -> dict[str, set[str]]:
    return {v.project: {s.code for s in v.signals} for v in kb.silent_scan(as_of=as_of)}


def test_seed_signals_show_the_designed_patterns(kb: KB) -> None:
    kb.seed()
    got = _signals(kb, date(2026, 10, 15))
    # the quiet shutdown: forecast-driven-orders off since 2026-08-20 with no comment and no incident near it
    assert {"quiet-shutdown", "abandoned"} <= got["demand-forecast"]
    assert "quality-decay" in got["demand-forecast"]
    assert {"usage-decline", "adoption-decline"} <= got["support-deflection-bot"]
    assert "capacity-gap" in got["lead-scoring"] and "capacity-gap" in got["card-fraud-flagger"]
    assert "override-rise" in got["replenishment-advisor"]
    assert "cost-creep" in got["contract-summariser"]
    # disables with a reason (rollbacks, compliance stops) are not quiet
    for slug in ("delivery-eta", "contract-summariser", "tenant-screening", "insurance-claims-triage"):
        assert "quiet-shutdown" not in got.get(slug, set()), slug
    # noisy but flat series fire no trend signal
    for slug in ("product-recs", "energy-load-forecast", "delivery-eta"):
        assert not got.get(slug, set()) & (TREND_SIGNALS | {"capacity-gap"}), slug


def test_seed_is_idempotent_with_its_signals(kb: KB) -> None:
    kb.seed()
    counts = [kb.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("flag_events", "health", "changelog")]
    assert counts[:2] == [18, 40]  # 18 events in flags-unleash.json, 40 rows in health.csv
    kb.seed()
    again = [kb.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("flag_events", "health", "changelog")]
    assert again == counts
    unmapped = {e.flag_key for e in kb.unmapped_flag_events()}
    assert unmapped == {"checkout-redesign"}
