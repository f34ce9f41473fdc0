"""Default wait timings, and the one timeout scale that stretches them on slow machines.

Nothing is read at import time: the scale is passed by the caller (the plugin passes
``settings.timeout_scale``) and ``WETEST_TIMEOUT_SCALE`` is read only when a wait starts
without one, so a library user gets the same knob without the plugin.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from wetest.errors import ConfigError

SCALE_ENV = "WETEST_TIMEOUT_SCALE"


@dataclass(frozen=True)
class WaitDefaults:
    """Timings in seconds, before scaling."""

    timeout: float = 15.0
    """Long enough for a controller's watch-requeue-write round trip on a loaded CI runner."""
    interval: float = 0.2
    """Gap between polls of ``consistently``; also a fixed gap for ``eventually`` if given."""
    first_poll: float = 0.1
    """``eventually`` polls a callable after 0.1 s first, then backs off ..."""
    max_poll: float = 0.5
    """... to 0.5 s: DataStorage and API servers are not hammered (gomega's 10 ms is too chatty)."""
    duration: float = 1.5
    """How long ``consistently`` watches for something that must not happen. A wrong write
    after a change lands within one reconcile (tens of milliseconds on envtest) and a repeated
    audit batch within one retry (the reference controller retries after 0.25-2 s, and an
    in-flight batch is re-sent at once after a restart): 1.5 s sees both, and every second
    added here is paid by each test that proves an absence. Scale it with the timeout scale."""


DEFAULTS = WaitDefaults()


def resolve_scale(scale: float | None) -> float:
    """Return the caller's scale, else WETEST_TIMEOUT_SCALE, else 1.0 (read now, not at import)."""
    if scale is not None:
        return _checked(scale, "the timeout scale argument")
    raw = os.environ.get(SCALE_ENV, "").strip()
    if not raw:
        return 1.0
    try:
        return _checked(float(raw), f"{SCALE_ENV}={raw!r}")
    except ValueError:
        raise ConfigError(f"{SCALE_ENV}={raw!r} is not a number. Set it to e.g. 2.") from None


def _checked(scale: float, source: str) -> float:
    if scale <= 0:
        raise ConfigError(f"The timeout scale must be positive; {source} gives {scale}.")
    return scale
