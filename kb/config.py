"""Where the database lives and who is acting: flags beat environment beat defaults."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

APP = "kb"

# platformdirs is imported where a directory is asked for: with --db or $KB_DB (every script and
# test) a command never needs it, and importing it costs a read command a tenth of its start-up


def default_db_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP, appauthor=False)) / "kb.sqlite"


def config_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir(APP, appauthor=False))


def log_dir() -> Path:
    """Where kb keeps the traceback of an unexpected error (the user state dir)."""
    import platformdirs

    return Path(platformdirs.user_state_dir(APP, appauthor=False))


def resolve_db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("KB_DB")
    if env:
        return Path(env).expanduser()
    return default_db_path()


def resolve_actor(explicit: str | None = None) -> str:
    if explicit:
        return explicit
    env = os.environ.get("KB_ACTOR")
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"
