"""Where to pull from and with which token: the command line beats the environment beats the config file.

The config file is `sources.toml` in kb's config directory (or --config FILE), one table per vendor:

    [unleash]
    url = "https://unleash.example.com"
    project = "default"
    environment = "production"
    token = "..."          # better: KB_UNLEASH_TOKEN in the environment

Environment variables: KB_<VENDOR>_URL, KB_<VENDOR>_PROJECT, KB_<VENDOR>_ENVIRONMENT, KB_<VENDOR>_TOKEN.
The token is kept in a `Secret` whose repr and str never show it.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kb.errors import KBError

VENDORS = ("unleash", "launchdarkly", "flagsmith", "growthbook")
CONFIG_FILE = "sources.toml"
KEYS = ("url", "project", "environment", "token")

# the vendors' hosted services; Unleash is always self-hosted or on a per-customer host
DEFAULT_URLS = {
    "launchdarkly": "https://app.launchdarkly.com",
    "flagsmith": "https://api.flagsmith.com",
    "growthbook": "https://api.growthbook.io/api",
}


class Secret:
    """A token that never prints itself: not in a repr, an f-string, a log line or a traceback's locals."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True)
class PullSettings:
    vendor: str
    base_url: str
    project: str
    environment: str
    token: Secret = field(repr=False)

    @property
    def source_key(self) -> str:
        """What identifies this source's cursor: never the token."""
        return "|".join((self.vendor, self.base_url, self.project, self.environment))


def _config(path: Path | None, vendor: str) -> tuple[dict[str, Any], str]:
    if path is None:
        from kb.config import config_dir

        path = config_dir() / CONFIG_FILE
        if not path.exists():
            return {}, str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise KBError(f"cannot read the config file ({exc.strerror})", str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise KBError(f"not valid TOML ({exc})", str(path)) from None
    unknown = sorted(set(data) - set(VENDORS))
    if unknown:
        raise KBError(f"unknown table [{unknown[0]}]; the tables are {', '.join(VENDORS)}", str(path))
    table = data.get(vendor, {})
    if not isinstance(table, dict):
        raise KBError(f"[{vendor}] must be a table", str(path))
    bad = sorted(set(table) - set(KEYS))
    if bad:
        raise KBError(f"[{vendor}] {bad[0]}: unknown key; the keys are {', '.join(KEYS)}", str(path))
    for k, v in table.items():
        if not isinstance(v, str | int) or isinstance(v, bool):
            raise KBError(f"[{vendor}] {k}: must be a string", str(path))
    return {k: str(v) for k, v in table.items()}, str(path)


def resolve(
    vendor: str,
    *,
    url: str | None = None,
    project: str | None = None,
    environment: str | None = None,
    token: str | None = None,
    config_path: str | os.PathLike[str] | None = None,
    environ: dict[str, str] | None = None,
) -> PullSettings:
    """Each setting from the first place that gives it: option, KB_<VENDOR>_<KEY>, config file, default."""
    if vendor not in VENDORS:
        raise KBError(f"unknown flag system {vendor!r}; use one of {', '.join(VENDORS)}", "vendor")
    env = os.environ if environ is None else environ
    cfg, cfg_name = _config(Path(config_path).expanduser() if config_path else None, vendor)
    given = {"url": url, "project": project, "environment": environment, "token": token}
    values: dict[str, str] = {}
    for key in KEYS:
        value = given[key]
        if value is None:
            value = env.get(f"KB_{vendor.upper()}_{key.upper()}")
        if value is None:
            value = cfg.get(key)
        values[key] = (value or "").strip()
    base = (values["url"] or DEFAULT_URLS.get(vendor, "")).rstrip("/")
    if not base:
        raise KBError(
            f"no base URL for {vendor}: give --url, set KB_{vendor.upper()}_URL or add url to [{vendor}] in {cfg_name}",
            "--url",
        )
    if not base.startswith(("https://", "http://")):
        raise KBError(f"{base!r} is not an http(s) URL", "--url")
    if "@" in urlsplit(base).netloc:
        # the URL is stored and shown; credentials in it would be too
        raise KBError(f"the URL carries credentials; give the token as KB_{vendor.upper()}_TOKEN instead", "--url")
    if not values["token"]:
        raise KBError(
            f"no API token for {vendor}: set KB_{vendor.upper()}_TOKEN (or --token, or token in [{vendor}] "
            f"in {cfg_name})",
            "--token",
        )
    return PullSettings(vendor, base, values["project"], values["environment"], Secret(values["token"]))
