"""Probe a user-given DataStorage URL on /health (ENV-005), failing fast with the fix."""

from __future__ import annotations

import httpx

from wetest.errors import DependencyMissing

PREFIX = "Data Storage REQUIRED but not available at"


def require(url: str, timeout: float = 5.0) -> None:
    """Raise DependencyMissing (message starts with ENV-005's text) unless /health is 200."""
    probe = f"{url.rstrip('/')}/health"
    try:
        ok = httpx.get(probe, timeout=timeout).status_code == 200
        reason = "" if ok else "it did not answer 200"
    except httpx.HTTPError as exc:
        ok, reason = False, f"{type(exc).__name__}: {exc}"
    if not ok:
        raise DependencyMissing(
            f"{PREFIX} {url} ({reason})",
            [probe],
            "wetest up (starts the bundled DataStorage), or unset WETEST_DATASTORAGE_URL",
            verb="",
        )
