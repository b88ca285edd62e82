"""The team repository's layout: what `kb export` writes and `kb import` / `kb sync` read back.

    projects/<slug>.yaml            one project            (the YAML document format)
    incidents/<id>.yaml             one incident
    decisions/<quarter>/<slug>.yaml a project's review decisions for a quarter, oldest first
    reviews/<quarter>.json          a frozen review (never changes once written)
    flags/<source>/<YYYY-MM>.ndjson flag events of one source and month, one JSON object a line
    health/<slug>.csv               a project's health periods, in `kb health import` format

Pure functions from rows to file text and back: the same rows always give the same bytes, so a
pull request shows exactly what changed. Row ids local to one database never appear.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from typing import Any

import yaml

from kb.errors import KBError

TEAM_DIRS = ("decisions", "reviews", "flags", "health")  # beside projects/ and incidents/
KINDS = ("projects", "incidents", *TEAM_DIRS)


def kind_of(relpath: str) -> str | None:
    """Which kind of record a path holds (by its top folder and suffix), or None for other files."""
    parts = PurePosixPath(relpath).parts
    if len(parts) < 2:
        return None
    top, suffix = parts[0], PurePosixPath(relpath).suffix
    expected = {
        "projects": (".yaml", 2),
        "incidents": (".yaml", 2),
        "decisions": (".yaml", 3),
        "reviews": (".json", 2),
        "flags": (".ndjson", 3),
        "health": (".csv", 2),
    }.get(top)
    if expected is None or suffix != expected[0] or len(parts) != expected[1]:
        return None
    return top


def _safe(name: str, what: str) -> str:
    """A path component from data: no separators, no dot names (a hostile value must not escape)."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
        raise KBError(f"cannot be a file name: {name!r}", what)
    return name


# --- decisions ---------------------------------------------------------------------------------


def render_decisions(rows: Iterable[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["quarter"], row["project"]), []).append(row)
    for (quarter, project), items in groups.items():
        doc = {
            "kind": "decisions",
            "quarter": quarter,
            "project": project,
            "decisions": [{k: v for k, v in r.items() if k not in ("quarter", "project")} for r in items],
        }
        path = f"decisions/{_safe(quarter, 'decision quarter')}/{_safe(project, 'decision project')}.yaml"
        yield path, yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def parse_decisions(text: str, source: str) -> list[dict[str, Any]]:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise KBError(f"not valid YAML: {' '.join(str(exc).split())}", source) from None
    if not isinstance(doc, dict) or doc.get("kind") != "decisions" or not isinstance(doc.get("decisions"), list):
        raise KBError("expected `kind: decisions` with `quarter`, `project` and a `decisions:` list", source)
    out = []
    for n, item in enumerate(doc["decisions"]):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("decision", "at", "actor")):
            raise KBError(f"decisions[{n}]: needs text fields decision, at and actor", source)
        out.append(
            {
                **{k: (None if v is None else str(v)) for k, v in item.items()},
                "quarter": str(doc["quarter"]),
                "project": str(doc["project"]),
            }
        )
    return out


# --- frozen reviews ----------------------------------------------------------------------------


def render_review(row: dict[str, Any]) -> tuple[str, str]:
    doc = {
        "quarter": row["quarter"],
        "frozen_at": row["frozen_at"],
        "actor": row["actor"],
        "body": json.loads(row["body"]),
    }
    return f"reviews/{_safe(row['quarter'], 'review quarter')}.json", json.dumps(
        doc, indent=1, ensure_ascii=False
    ) + "\n"


def parse_review(text: str, source: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KBError(f"line {exc.lineno}: not valid JSON ({exc.msg})", source) from None
    if not isinstance(doc, dict) or not all(isinstance(doc.get(k), str) for k in ("quarter", "frozen_at", "actor")):
        raise KBError("expected quarter, frozen_at and actor (text) and the review `body`", source)
    if not isinstance(doc.get("body"), dict):
        raise KBError("body: expected the frozen review as a JSON object", source)
    # the stored body is compact JSON, as kb writes it when it freezes a review
    return {**doc, "body": json.dumps(doc["body"], ensure_ascii=False, separators=(",", ":"))}


# --- flag events -------------------------------------------------------------------------------


def render_flags(rows: Iterable[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    files: dict[str, list[str]] = {}
    for row in rows:
        path = (
            f"flags/{_safe(row['source'], 'flag event source')}/{_safe(str(row['at'])[:7], 'flag event month')}.ndjson"
        )
        files.setdefault(path, []).append(json.dumps(row, ensure_ascii=False, sort_keys=True))
    for path, lines in files.items():
        yield path, "\n".join(lines) + "\n"


def parse_flags(text: str, source: str) -> list[dict[str, Any]]:
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise KBError(f"not valid JSON ({exc.msg})", f"{source}: line {n}") from None
        if not isinstance(row, dict) or not all(isinstance(row.get(k), str) for k in ("event_key", "source", "at")):
            raise KBError("expected a flag event object with event_key, source and at", f"{source}: line {n}")
        out.append(row)
    return out


# --- health ------------------------------------------------------------------------------------


def _cell(value: Any, column: str, bools: tuple[str, ...]) -> str:
    if value is None:
        return ""
    if column in bools:
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def render_health(rows: Iterable[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    from kb.silent.health import BOOLS, COLUMNS

    files: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        files.setdefault(row["project"], []).append(row)
    for project, items in files.items():
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in items:
            writer.writerow([_cell(row.get(c), c, BOOLS) for c in COLUMNS])
        yield f"health/{_safe(project, 'health project')}.csv", buf.getvalue()
