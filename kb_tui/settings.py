"""User settings: theme, cursor blink and key remapping, from KB_* environment variables or a file.

Like Posting, every binding has an id, so a user remaps keys by id without editing code, e.g.
`keymap: {app.quick_log: ctrl+l}` in `<config dir>/kb/tui.yaml`, or KB_KEYMAP='{"app.help": "f12"}'.
Environment beats the file, the file beats the defaults. Read with the standard library (and PyYAML
only when the file exists), because this runs before the first frame and must stay cheap.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class TUISettings:
    theme: str = "textual-dark"
    cursor_blink: bool = True
    keymap: dict[str, str] = field(default_factory=dict)


def settings_file() -> Path:
    from kb.config import config_dir

    return config_dir() / "kb_tui.yaml"


def _file_values(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    import yaml

    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}  # a broken settings file must not keep the UI from opening
    return loaded if isinstance(loaded, dict) else {}


def _env_values() -> dict[str, Any]:
    out: dict[str, Any] = {}
    if theme := os.environ.get("KB_THEME"):
        out["theme"] = theme
    if (blink := os.environ.get("KB_CURSOR_BLINK")) is not None:
        out["cursor_blink"] = blink.strip().lower() not in ("0", "false", "no", "off")
    if keymap := os.environ.get("KB_KEYMAP"):
        with contextlib.suppress(ValueError):
            out["keymap"] = json.loads(keymap)
    return out


def load_settings(path: Path | None = None) -> TUISettings:
    values = {**_file_values(path or settings_file()), **_env_values()}
    settings = TUISettings()
    if isinstance(values.get("theme"), str):
        settings.theme = values["theme"]
    if isinstance(values.get("cursor_blink"), bool):
        settings.cursor_blink = values["cursor_blink"]
    keymap = values.get("keymap")
    if isinstance(keymap, dict):
        settings.keymap = {str(k): str(v) for k, v in keymap.items()}
    return settings
