"""Where kb's packaged data lives (taxonomy, seed cases, examples) and how its YAML is read.

Shared by kb.taxonomy (which validates with pydantic) and kb.taxonomy_index (the read commands'
pydantic-free view), so both read the same files the same way.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from kb.cachedir import cache_dir

log = logging.getLogger(__name__)


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
    """YAML text through the safe loader (the C one where PyYAML has it, several times faster)."""
    import yaml

    try:
        loader: type = yaml.CSafeLoader
    except AttributeError:  # pragma: no cover - depends on how PyYAML was built
        loader = yaml.SafeLoader
    return yaml.load(text, Loader=loader)


def read_yaml(path: Path) -> Any:
    """A YAML file kb shipped (errors propagate: kb's tests keep the packaged files valid).

    What a file parses to is kept as JSON in the user cache directory, named by the SHA-256 of the
    file's bytes, so an edited file is parsed again and a read command pays neither PyYAML's import
    nor its parse (`kb taxonomy list` reads 13 files: about 15x faster from JSON). Only a value that
    JSON gives back equal is kept; a cache that cannot be read or written is passed over.
    """
    data = path.read_bytes()
    cached = cache_dir("yaml") / f"{hashlib.sha256(data).hexdigest()}.json"
    try:
        return json.loads(cached.read_bytes())
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        log.warning("kb: ignoring the cached parse of %s (%s)", path, exc)
    value = load_yaml(data.decode("utf-8"))
    _keep(cached, value)
    return value


def _keep(cached: Path, value: Any) -> None:
    """Write the JSON atomically (kb.fsio: a reader never sees half a file); skip values JSON would
    change (a YAML date) and any file-system error, which only costs the next read a parse."""
    from kb.errors import KBError
    from kb.fsio import atomic_write, private_dir

    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if json.loads(text) != value:
            return
        private_dir(cached.parent)
        atomic_write(cached, text.encode("utf-8"))
    except (KBError, TypeError, ValueError) as exc:
        log.debug("kb: not caching %s (%s)", cached.name, exc)
