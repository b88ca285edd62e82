"""kb's user cache directory: copies of work kb can always redo (parsed YAML, the TUI's parsed CSS).

KB_CACHE_DIR moves it; else the platform's user cache directory (`~/.cache/kb` on Linux). Each kind
of copy has a directory of its own in it. Deleting any of it is always safe. (`kb --help`'s copy is
found by kb.launch, which may import nothing but os and sys, so it names the same place itself.)
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(kind: str) -> Path:
    """The directory for one kind of kept copy (not created here)."""
    root = os.environ.get("KB_CACHE_DIR")
    if root:
        return Path(root).expanduser() / kind
    import platformdirs  # only when asked: its import costs a read command a tenth of its start-up

    return Path(platformdirs.user_cache_dir("kb", appauthor=False)) / kind
