"""The TUI's settings (theme, cursor blink, key remapping) from kb's one settings model (kb.config).

Every binding has an id, so a user remaps keys by id without editing code: `keymap = {"app.quick_log"
= "ctrl+l"}` in the [tui] table of kb's config.toml, or KB_KEYMAP='{"app.help": "f12"}'.
"""

from __future__ import annotations

import logging

from kb.config import TUISettings, load
from kb.errors import KBError

log = logging.getLogger(__name__)


def load_settings() -> TUISettings:
    """`kb tui` has already refused a bad setting with one line; an app started any other way opens
    with the defaults rather than not at all, and logs why."""
    try:
        return load().tui
    except KBError as exc:
        log.warning("settings ignored: %s", exc)
        return TUISettings()
