"""Service operations for the quarterly reviews and decisions (issue 6)."""

from __future__ import annotations


class ReviewOps:
    """Mixed into kb.service.KB; methods here are what the CLI and the TUI call."""
