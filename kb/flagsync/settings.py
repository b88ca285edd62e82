"""A flag system's pull settings, checked: kb.config reads them (option > KB_<VENDOR>_<KEY> > config file).

See kb.config for where each comes from (`[sources.<vendor>]` in config.toml, or a `--config FILE` of
`[<vendor>]` tables). The token stays a `kb.config.Secret`, whose repr and str never show it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from kb.config import VENDORS, Secret, config_file, load
from kb.errors import KBError

# the vendors' hosted services; Unleash is always self-hosted or on a per-customer host
DEFAULT_URLS = {
    "launchdarkly": "https://app.launchdarkly.com",
    "flagsmith": "https://api.flagsmith.com",
    "growthbook": "https://api.growthbook.io/api",
}


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
    """Each setting from the first place that gives it (kb.config.load): option, KB_<VENDOR>_<KEY>, the
    --config file, config.toml, default; then checked."""
    if vendor not in VENDORS:
        raise KBError(f"unknown flag system {vendor!r}; use one of {', '.join(VENDORS)}", "vendor")
    given = {"url": url, "project": project, "environment": environment, "token": token}
    settings = load(
        {f"sources.{vendor}.{k}": v for k, v in given.items()},
        environ=environ,
        section_file=("sources", config_path) if config_path else None,
    )
    source = settings.sources[vendor]
    table = f"[{vendor}] in {config_path}" if config_path else f"[sources.{vendor}] in {config_file(environ)}"
    base = (source.url or DEFAULT_URLS.get(vendor, "")).rstrip("/")
    if not base:
        raise KBError(
            f"no base URL for {vendor}: give --url, set KB_{vendor.upper()}_URL or add url to {table}",
            "--url",
        )
    if not base.startswith(("https://", "http://")):
        raise KBError(f"{base!r} is not an http(s) URL", "--url")
    if "@" in urlsplit(base).netloc:
        # the URL is stored and shown; credentials in it would be too
        raise KBError(f"the URL carries credentials; give the token as KB_{vendor.upper()}_TOKEN instead", "--url")
    if not source.token:
        raise KBError(
            f"no API token for {vendor}: set KB_{vendor.upper()}_TOKEN (or --token, or token in {table})",
            "--token",
        )
    return PullSettings(vendor, base, source.project, source.environment, source.token)
