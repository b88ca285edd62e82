"""The YAML document format: reading files with error lines, writing deterministic exports.

A file holds `projects: [...]` and/or `incidents: [...]`, or is one project (`kind: project`) or
one incident (a mapping with `title` and `project`; its `kind` is the incident kind). YAML is only
ever read with the safe loader, so tags like `!!python/object` are refused.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from kb.approxdate import ApproxDate
from kb.errors import KBError, first_error, loc_text
from kb.models import Incident, Project
from kb.timeutil import clip, to_text

try:
    _BaseLoader: type = yaml.CSafeLoader
    _Dumper: type = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader
    _Dumper = yaml.SafeDumper

# A document may expand (through aliases) to at most this many nodes: far above any real file
# (an export of 10,000 incidents is ~1M nodes with no alias at all), far below an alias bomb.
MAX_EXPANDED_NODES = 2_000_000


class StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """The safe loader, stricter: a duplicate key is an error naming both lines; timestamps stay
    text, so `kb.timeutil` alone decides which dates are valid (PyYAML would raise a bare
    ValueError on `2026-02-30`); a bad `!!int`/`!!float` is a YAML error with its line."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key: SafeConstructor refuses it with its line
                    continue
                if first is not None:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"duplicate key {clip(key)} (first on line {first}, again on line {line})",
                        key_node.start_mark,
                    )
                seen[key] = line
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:
        return self.construct_scalar(node)

    def construct_yaml_int(self, node: yaml.Node) -> Any:
        return _scalar_or_error(self, node, yaml.constructor.SafeConstructor.construct_yaml_int, "an integer")

    def construct_yaml_float(self, node: yaml.Node) -> Any:
        return _scalar_or_error(self, node, yaml.constructor.SafeConstructor.construct_yaml_float, "a number")


def _scalar_or_error(loader: Any, node: yaml.Node, construct: Any, what: str) -> Any:
    try:
        return construct(loader, node)
    except (ValueError, OverflowError):
        raise yaml.constructor.ConstructorError(
            None, None, f"{clip(node.value)} is not {what} kb can read", node.start_mark
        ) from None


StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", StrictLoader.construct_yaml_timestamp)
StrictLoader.add_constructor("tag:yaml.org,2002:int", StrictLoader.construct_yaml_int)
StrictLoader.add_constructor("tag:yaml.org,2002:float", StrictLoader.construct_yaml_float)


def _expanded_size(root: yaml.Node, limit: int) -> int:
    """Nodes the document holds once every alias is expanded, counted without expanding (each
    distinct node is sized once), stopping as soon as the count passes `limit`."""
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in size:
            continue
        kids: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            kids = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            kids = [n for pair in node.value for n in pair]
        if not done:
            stack.append((node, True))
            stack.extend((k, False) for k in kids if id(k) not in size)
            continue
        total = 1 + sum(size.get(id(k), 0) for k in kids)
        size[id(node)] = total
        if total > limit:
            return total
    return size.get(id(root), 0)


@dataclass
class Bundle:
    """What a set of files holds, in file order, with where each record came from."""

    projects: list[tuple[Project, str]] = field(default_factory=list)
    incidents: list[tuple[Incident, str]] = field(default_factory=list)


def _line_of(node: yaml.Node | None, path: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the deepest node along `path` that exists."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in path:
        nxt = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for k, v in node.value:
                if getattr(k, "value", None) == part:
                    nxt = v
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            nxt = node.value[part]
        if nxt is None:
            break
        node = nxt
        line = node.start_mark.line + 1
    return line


def parse_text(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    try:
        loader = StrictLoader(text)
        try:
            node = loader.get_single_node()
            if node is not None and _expanded_size(node, MAX_EXPANDED_NODES) > MAX_EXPANDED_NODES:
                raise KBError(
                    f"the document expands (through aliases) to more than {MAX_EXPANDED_NODES:,} values; refused",
                    source,
                )
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        problem = exc.problem or exc.context or "malformed YAML"
        if exc.context and exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            problem += f" ({exc.context} started on line {exc.context_mark.line + 1})"
        raise KBError(f"malformed YAML: {problem}", where=f"{source}{line}") from None
    except yaml.YAMLError as exc:  # e.g. a control character: PyYAML's message spans lines
        raise KBError(f"malformed YAML: {' '.join(str(exc).split())}", where=source) from None
    return data, node


def _validate(
    model: type[Project] | type[Incident], data: Any, node: yaml.Node | None, base: tuple[int | str, ...], source: str
) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        loc, msg = first_error(exc)
        # a model-level error names its field inside the message; point at the record itself
        line = _line_of(node, base + loc)
        where = f"{source}:{line}" if line else source
        field_path = loc_text(base + loc)
        raise KBError(f"{field_path}: {msg}" if field_path else msg, where=where) from None


def parse_document(data: Any, node: yaml.Node | None, source: str, bundle: Bundle) -> None:
    if data is None:
        return
    if not isinstance(data, dict):
        raise KBError("expected a mapping with `projects:` and/or `incidents:`, or one project or incident", source)
    if "projects" in data or "incidents" in data:
        extra = sorted(set(map(str, data)) - {"projects", "incidents"})
        if extra:
            line = _line_of(node, (extra[0],))
            raise KBError(f"unknown top-level key {extra[0]!r}", f"{source}:{line}")
        for key, model in (("projects", Project), ("incidents", Incident)):
            items = data.get(key) or []
            if not isinstance(items, list):
                raise KBError(f"`{key}` must be a list", f"{source}:{_line_of(node, (key,))}")
            for n, item in enumerate(items):
                obj = _validate(model, item, node, (key, n), source)
                where = f"{source}:{_line_of(node, (key, n))}"
                (bundle.projects if key == "projects" else bundle.incidents).append((obj, where))  # type: ignore[arg-type]
        return
    if data.get("kind") == "project":
        body = {k: v for k, v in data.items() if k != "kind"}
        bundle.projects.append((_validate(Project, body, node, (), source), source))
        return
    if "title" in data or "project" in data:
        bundle.incidents.append((_validate(Incident, data, node, (), source), source))
        return
    raise KBError("not a kb document: expected `projects:`/`incidents:`, `kind: project`, or an incident", source)


def _files(path: Path) -> Iterator[Path]:
    if path.is_dir():
        # projects first (an export's projects/ sorts after incidents/), so incidents find their project
        found = sorted(
            (p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()),
            key=lambda p: ("projects" not in p.relative_to(path).parts[:-1], p),
        )
        if not found:
            raise KBError("no .yaml files in this directory", str(path))
        yield from found
    elif path.exists():
        yield path
    else:
        raise KBError("no such file or directory", str(path))


def _read_files(path: Path) -> Iterator[tuple[str, str]]:
    for f in _files(path):
        try:
            yield str(f), f.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise KBError("not UTF-8 text", str(f)) from None
        except OSError as exc:
            raise KBError(exc.strerror or "cannot read", str(f)) from None


def _read_stdin() -> str:
    """Standard input as UTF-8 text, or one line saying it is not (never a UnicodeDecodeError)."""
    buffer = getattr(sys.stdin, "buffer", None)
    try:
        return buffer.read().decode("utf-8") if buffer is not None else sys.stdin.read()
    except UnicodeDecodeError as exc:
        raise KBError(f"not UTF-8 text (byte {exc.start})", "<stdin>") from None


def iter_bundles(paths: list[str]) -> Iterator[Bundle]:
    """One bundle per file, read as it is needed, so an import of 100,000 files holds one at a time."""
    for raw in paths:
        sources = [("<stdin>", _read_stdin())] if raw == "-" else _read_files(Path(raw))
        for source, text in sources:
            data, node = parse_text(text, source)
            bundle = Bundle()
            parse_document(data, node, source, bundle)
            yield bundle


# --- writing -----------------------------------------------------------------------------------


class _ExportDumper(_Dumper):  # type: ignore[misc, valid-type]
    """Block style, stable order, dates and instants as plain ISO 8601 scalars, never anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _repr_datetime(dumper: yaml.SafeDumper, value: datetime) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", to_text(value) or "")


def _repr_date(dumper: yaml.SafeDumper, value: date) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", value.isoformat())


def _repr_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_str(value)


def _repr_approx(dumper: yaml.SafeDumper, value: ApproxDate) -> yaml.Node:
    return dumper.represent_str(value.text)  # `2021` comes out quoted, so it reads back as text


_ExportDumper.add_representer(ApproxDate, _repr_approx)
_ExportDumper.add_representer(datetime, _repr_datetime)
_ExportDumper.add_representer(date, _repr_date)
_ExportDumper.add_representer(str, _repr_str)


def document(model: Project | Incident) -> dict[str, Any]:
    """A record as the single document written to its own file."""
    data = model.model_dump(mode="python", by_alias=True, exclude_none=True)
    if isinstance(model, Project):
        return {"kind": "project", **data}
    return data


def to_yaml(data: Any) -> str:
    return yaml.dump(
        data, Dumper=_ExportDumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100, indent=2
    )
