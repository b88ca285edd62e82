"""Service operations for the backup, check and other upkeep (issue 9)."""

from __future__ import annotations


class MaintOps:
    """Mixed into kb.service.KB; methods here are what the CLI and the TUI call."""
