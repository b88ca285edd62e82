"""Service operations for the flag logs, health metrics and the silent-failure detector (issue 5)."""

from __future__ import annotations


class SilentOps:
    """Mixed into kb.service.KB; methods here are what the CLI and the TUI call."""
