"""User settings: theme and key remapping, from KB_* environment variables or a YAML file.

Like Posting, every binding has an id, so a user remaps keys by id without editing code, e.g.
`keymap: {app.quick_log: ctrl+l}` in `<config dir>/kb/tui.yaml` or KB_KEYMAP='{"app.help": "f12"}'.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TUISettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KB_", extra="ignore")

    theme: str = "textual-dark"
    cursor_blink: bool = True
    keymap: dict[str, str] = Field(default_factory=dict)


def settings_file() -> Path:
    from kb.config import config_dir

    return config_dir() / "tui.yaml"


def load_settings(path: Path | None = None) -> TUISettings:
    """Environment beats the file, the file beats the defaults; a broken file is ignored, not fatal."""
    target = path or settings_file()
    data: dict[str, Any] = {}
    if target.is_file():
        try:
            loaded = yaml.safe_load(target.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            loaded = None
        if isinstance(loaded, dict):
            data = {k: v for k, v in loaded.items() if k in TUISettings.model_fields}
    env = TUISettings()
    merged = {**data, **env.model_dump(exclude_unset=True)}
    return TUISettings.model_validate(merged) if merged else env
