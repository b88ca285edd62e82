"""SQL fragments that state a domain rule, written once for every query that needs it.

kb.rules holds the same rules for Python values; these are their SQL twins.
"""

from __future__ import annotations


def incident_time(alias: str = "") -> str:
    """When an incident happened (kb.rules.incident_time): started, else detected."""
    return f"coalesce({alias}started_at, {alias}detected_at)"


def incident_time_since(alias: str = "") -> str:
    """The incident happened at or after the one `?` parameter given twice (written in two branches so
    SQLite can use the started_at index: started then or later, or never started and detected then or later)."""
    return f"({alias}started_at >= ? OR ({alias}started_at IS NULL AND {alias}detected_at >= ?))"


def incident_time_before(alias: str = "") -> str:
    """The incident happened before the one `?` parameter given twice (two branches, as `incident_time_since`)."""
    return f"({alias}started_at < ? OR ({alias}started_at IS NULL AND {alias}detected_at < ?))"


def incident_time_in(alias: str = "", start: str = ":start", end: str = ":end") -> str:
    """The incident happened in the half-open window [start, end) (two branches, as `incident_time_since`)."""
    a = alias
    return (
        f"(({a}started_at >= {start} AND {a}started_at < {end}) "
        f"OR ({a}started_at IS NULL AND {a}detected_at >= {start} AND {a}detected_at < {end}))"
    )


def touches_modes(alias: str = "") -> str:
    """The incident is classified under one of the codes of a JSON array parameter, or one of its causes
    names one (the parameter given twice): what a filter on a mode means everywhere (`--mode`, the
    taxonomy browser's incident list)."""
    return (
        f"({alias}id IN (SELECT incident_id FROM classifications WHERE code IN (SELECT value FROM json_each(?)))"
        f" OR {alias}id IN (SELECT incident_id FROM causes WHERE mode IN (SELECT value FROM json_each(?))))"
    )
