"""Where kb's packaged data lives (taxonomy, seed cases, examples) and how its YAML is read.

Shared by kb.taxonomy (which validates with pydantic) and kb.taxonomy_index (the read commands'
pydantic-free view), so both read the same files the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

try:  # the C loader is several times faster; the pure-Python one is a fine fallback
    LOADER: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    LOADER = yaml.SafeLoader


def _package_dir() -> Path:
    import kb

    return Path(kb.__file__).resolve().parent


def data_dir(name: str) -> Path:
    """A wheel carries the data under kb/_data/<name>; an editable install reads the repo's top level."""
    pkg = _package_dir()
    shipped = pkg / "_data" / name
    if shipped.is_dir():
        return shipped
    return pkg.parent / name


def default_taxonomy_dir() -> Path:
    return data_dir("taxonomy")


def default_seed_dir() -> Path:
    return data_dir("seed_cases")


def default_examples_dir() -> Path:
    return data_dir("examples")


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=LOADER)


def read_yaml(path: Path) -> Any:
    """A YAML file kb shipped (errors propagate: kb's tests keep the packaged files valid)."""
    return load_yaml(path.read_text(encoding="utf-8"))
