"""The words of the document format (stages, kinds, statuses...): plain literals, no pydantic.

kb.models validates against these types; the CLI offers them as choices at import time, so they
live where `kb incident list` can read them without loading pydantic.
"""

from __future__ import annotations

from typing import Literal

Stage = Literal["pilot", "production", "paused", "disabled", "retired"]
Monitoring = Literal["none", "training-metrics", "input-drift", "outcomes"]
IncidentKind = Literal[
    "quiet-shutdown",
    "rollback",
    "degradation",
    "outage",
    "compliance-stop",
    "abandonment",
    "near-miss",
    "never-performed-as-claimed",
    "emergency-takedown",
    "never-deployed",
    "harmful-output",
]
Status = Literal["open", "mitigated", "resolved"]
DetectedBy = Literal[
    "monitoring",
    "user-report",
    "downstream-team",
    "audit",
    "review",
    "nobody",
    "customers",
    "external-researchers",
    "press",
    "regulators",
    "courts",
]
Postmortem = Literal["none", "draft", "published", "waived"]
# Who wrote the postmortem: for public failures it is often not the team.
PostmortemSource = Literal["team", "third-party", "audit", "press", "regulator", "court"]
# How much the model decides on the project (AIID CSET autonomy levels, in kb's words).
Automation = Literal["advisory", "alerting", "automated"]
Role = Literal["primary", "contributing"]
Confidence = Literal["known", "potential"]
ActionStatus = Literal["open", "done", "wont-do"]
ActionKind = Literal["mitigate", "prevent", "process", "retire", "redesign"]

STAGES: tuple[str, ...] = Stage.__args__  # type: ignore[attr-defined]
MONITORING_LEVELS: tuple[str, ...] = Monitoring.__args__  # type: ignore[attr-defined]
INCIDENT_KINDS: tuple[str, ...] = IncidentKind.__args__  # type: ignore[attr-defined]
STATUSES: tuple[str, ...] = Status.__args__  # type: ignore[attr-defined]
DETECTED_BY: tuple[str, ...] = DetectedBy.__args__  # type: ignore[attr-defined]
POSTMORTEMS: tuple[str, ...] = Postmortem.__args__  # type: ignore[attr-defined]
POSTMORTEM_SOURCES: tuple[str, ...] = PostmortemSource.__args__  # type: ignore[attr-defined]
AUTOMATION_LEVELS: tuple[str, ...] = Automation.__args__  # type: ignore[attr-defined]
ACTION_KINDS: tuple[str, ...] = ActionKind.__args__  # type: ignore[attr-defined]
ACTION_STATUSES: tuple[str, ...] = ActionStatus.__args__  # type: ignore[attr-defined]
