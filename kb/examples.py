"""The example files the README's tour uses, copied out of the installed package for a user to try.

They ship inside kb (kb/_data/examples in a wheel, examples/ in a checkout) so the tour runs the
same on any machine. A file already at the target with other content is never overwritten.
"""

from __future__ import annotations

import os
from pathlib import Path

from kb.errors import KBError
from kb.taxonomy import default_examples_dir


def copy_examples(target: str | os.PathLike[str]) -> list[Path]:
    """Copy every example file under `target`; returns the files written (unchanged ones are skipped)."""
    source = default_examples_dir()
    root = Path(target).expanduser()
    files = sorted(p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    plan = [(p, root / p.relative_to(source)) for p in files]
    for src, dest in plan:  # refuse before writing anything
        if dest.exists() and (not dest.is_file() or dest.read_bytes() != src.read_bytes()):
            raise KBError("already exists with other content; nothing was copied", str(dest))
    written = []
    for src, dest in plan:
        if dest.exists():
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(src.read_bytes())
        written.append(dest)
    return written
