"""The seed cases shipped with kb: records, with their illustrative health and flag history."""

from __future__ import annotations

import csv

from kb.ops.base import Service, Session
from kb.ops.records import ImportReport, RecordService
from kb.ops.silent import SilentService


class SeedService(Service):
    def __init__(self, session: Session, records: RecordService, silent: SilentService) -> None:
        super().__init__(session)
        self.records = records
        self.silent = silent

    def seed(self, public: bool = False) -> ImportReport:
        """Load the seed cases shipped with kb, with their illustrative health and flag history.

        One transaction, and idempotent: a second run changes nothing (flag events are keyed by
        their vendor ids; health is loaded only while the seed projects have none of their own).
        `public` loads instead the ten public ML failures in seed_cases/public (no signals).
        """
        from kb.store.silent import seed_health_count
        from kb.taxonomy import default_seed_dir

        root = default_seed_dir()
        if public:
            return self.records.import_paths([str(p) for p in sorted((root / "public").glob("*.yaml"))])
        signals = root / "signals"
        with self.transaction():
            report = self.records.import_paths([str(p) for p in sorted(root.glob("*.yaml"))])
            health = signals / "health.csv"
            if health.exists():
                with health.open(encoding="utf-8") as fh:
                    slugs = sorted({row["project"] for row in csv.DictReader(fh)})
                if not seed_health_count(self.db, slugs):
                    self.silent.import_health(health)
            for log in sorted(signals.glob("flags-*.json")):
                self.silent.import_flags(log)
        return report
