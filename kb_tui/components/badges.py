"""Small coloured labels for verdicts, stages and severities, shared by every table."""

from __future__ import annotations

from rich.text import Text

VERDICT_STYLES: dict[str, tuple[str, str]] = {
    "healthy": ("healthy", "bold green"),
    "watch": ("watch", "bold yellow"),
    "silent-failure": ("SILENT", "bold white on red"),
}

STAGE_STYLES: dict[str, str] = {
    "pilot": "cyan",
    "production": "green",
    "paused": "yellow",
    "disabled": "red",
    "retired": "dim",
}


def verdict_badge(verdict: str | None, *, pad: bool = True) -> Text:
    """A verdict as a badge; None means the detector has not given one (or is not installed)."""
    if verdict is None:
        return Text("–", style="dim")
    label, style = VERDICT_STYLES.get(verdict, (verdict, ""))
    return Text(f" {label} " if pad else label, style=style)


def stage_text(stage: str) -> Text:
    return Text(stage, style=STAGE_STYLES.get(stage, ""))


def severity_text(severity: int) -> Text:
    style = {1: "bold red", 2: "red", 3: "yellow"}.get(severity, "")
    return Text(f"S{severity}", style=style)


def owner_text(owner: str) -> Text:
    """An empty owner is itself a finding, so it is shown, not left blank."""
    return Text(owner) if owner else Text("(nobody)", style="italic red")
