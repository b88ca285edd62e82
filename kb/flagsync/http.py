"""GET with the token in a header, bounded retries on rate limits and transient failures, one-line errors.

A 429 waits for its Retry-After (seconds or an HTTP date) or LaunchDarkly's X-Ratelimit-Reset
(epoch milliseconds); 500/502/503/504, timeouts and dropped connections back off exponentially.
Both are bounded. Any other status, or a body that is not JSON, fails at once. Error text names
the page and the request's path, never a header, and any stray copy of the token is masked.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from kb.config import Secret
from kb.errors import KBError

log = logging.getLogger("kb.flagsync")

TRANSIENT = frozenset({500, 502, 503, 504})
MAX_RATE_LIMIT_WAITS = 5
MAX_WAIT_S = 120.0
FIRST_BACKOFF_S = 0.5
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class PullError(KBError):
    """A page the pull could not read; nothing is written when one is raised. `status`: the HTTP status, if any."""

    def __init__(self, message: str, where: str = "", status: int | None = None) -> None:
        super().__init__(message, where)
        self.status = status


def mask(text: str, token: Secret) -> str:
    secret = token.reveal()
    return text.replace(secret, "***") if secret else text


def _retry_after(resp: httpx.Response, now: Callable[[], float]) -> float | None:
    value = resp.headers.get("Retry-After")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - now())
    reset = resp.headers.get("X-Ratelimit-Reset")  # LaunchDarkly: epoch milliseconds
    if reset and reset.strip().isdigit():
        return max(0.0, int(reset) / 1000 - now())
    return None


class Fetcher:
    """One HTTP client for one pull; the token goes into the Authorization header and nowhere else."""

    def __init__(
        self,
        base_url: str,
        auth_header: str,
        token: Secret,
        *,
        retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        timeout: httpx.Timeout = TIMEOUT,
    ) -> None:
        self.base = urlsplit(base_url)
        self.token = token
        self.retries = retries
        self.sleep = sleep
        self.requests = 0
        self.last = ""  # the path and query of the latest request, for error messages
        self.client = httpx.Client(
            headers={"Authorization": auth_header, "Accept": "application/json", "User-Agent": "kb-flags-pull"},
            timeout=timeout,
            follow_redirects=True,  # httpx drops Authorization when a redirect leaves the origin
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def same_origin(self, link: str, what: str) -> str:
        """A next-page link as a URL on the base origin: the token is never sent to another host."""
        parts = urlsplit(link)
        if parts.netloc and parts.netloc != self.base.netloc:
            raise PullError(f"the {what} link points at another host ({parts.netloc}); refusing to send the token")
        path = parts.path if parts.path.startswith("/") else f"{self.base.path.rstrip('/')}/{parts.path}"
        return f"{self.base.scheme}://{self.base.netloc}{path}" + (f"?{parts.query}" if parts.query else "")

    def get_json(self, url: str, params: dict[str, Any] | list[tuple[str, Any]] | None, where: str) -> Any:
        """The decoded JSON body of a 2xx answer; PullError naming `where` otherwise."""
        waits = 0
        attempt = 0
        while True:
            request = self.client.build_request("GET", url, params=params or None)  # [] would drop the query
            shown = mask(f"{request.url.raw_path.decode('ascii', 'replace')}", self.token)
            self.requests += 1
            self.last = shown
            try:
                resp = self.client.send(request)
            except httpx.TimeoutException:
                problem = "timed out"
            except httpx.TransportError as exc:
                problem = f"connection failed ({type(exc).__name__})"
            else:
                if resp.status_code == 429:
                    delay = _retry_after(resp, time.time)
                    waits += 1
                    if waits > MAX_RATE_LIMIT_WAITS:
                        raise PullError(f"still rate limited after {MAX_RATE_LIMIT_WAITS} waits (GET {shown})", where)
                    if delay is None:
                        delay = FIRST_BACKOFF_S * 2 ** (waits - 1)
                    if delay > MAX_WAIT_S:
                        raise PullError(f"rate limited; the server asks to wait {delay:.0f} s (GET {shown})", where)
                    log.info("%s: rate limited (429), waiting %.1f s", where, delay)
                    self.sleep(delay)
                    continue
                if resp.status_code in TRANSIENT:
                    problem = f"HTTP {resp.status_code}"
                elif resp.is_success:
                    try:
                        return resp.json()
                    except ValueError as exc:
                        raise PullError(f"the answer is not JSON ({exc}) (GET {shown})", where) from None
                else:
                    hint = {401: " (is the token right?)", 403: " (does the token have read access?)"}
                    raise PullError(
                        f"HTTP {resp.status_code} {resp.reason_phrase}{hint.get(resp.status_code, '')} (GET {shown})",
                        where,
                        resp.status_code,
                    )
            if attempt >= self.retries:
                tries = f" after {attempt + 1} attempts" if attempt else ""
                raise PullError(f"{problem}{tries} (GET {shown})", where)
            delay = FIRST_BACKOFF_S * 2**attempt
            attempt += 1
            log.info("%s: %s, retrying in %.1f s", where, problem, delay)
            self.sleep(delay)
