"""Service operations for the backup, check and other upkeep (issue 9)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from kb.ops.base import Service

if TYPE_CHECKING:
    pass


class CheckReport(BaseModel):
    """What `kb check` found: `checks` maps each check to "ok" or its first problem."""

    ok: bool
    problems: list[str]
    checks: dict[str, str]


class MaintService(Service):
    """Checks of the store's health."""

    def check(self) -> CheckReport:
        """Integrity, foreign keys, search index, causes and history triggers, all read-only."""
        from kb.store.integrity import run_checks

        results = run_checks(self.db)
        problems = [p for found in results.values() for p in found]
        checks = {name: "ok" if not found else found[0] for name, found in results.items()}
        return CheckReport(ok=not problems, problems=problems, checks=checks)
