"""Service operations for the causal graph (issue 4)."""

from __future__ import annotations


class GraphOps:
    """Mixed into kb.service.KB; methods here are what the CLI and the TUI call."""
