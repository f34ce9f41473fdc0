"""Default wait timings, and the one timeout scale that stretches them on slow machines.

A wait's budget is ``(its timeout argument, else the active defaults' timeout) * scale``. The
scale is, in order: the wait's ``scale=`` argument; the one the pytest plugin activated for the
test (the ``timeout_scale`` setting — option, env or file — times the ``we_wait`` marker's
``scale``); else the ``timeout_scale`` setting resolved now by ``wetest.config`` (env
``WETEST_TIMEOUT_SCALE``, ``[tool.wetest] timeout_scale``), so a script without the plugin
gets the same knob. Nothing is read at import time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from wetest.config import sources
from wetest.errors import ConfigError

SCALE_KEY = "timeout_scale"


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
FIELDS = tuple(f.name for f in dataclasses.fields(WaitDefaults))


@dataclass(frozen=True)
class Active:
    """What the plugin activated for the running test: timings and the scale."""

    defaults: WaitDefaults = DEFAULTS
    scale: float | None = None


_active = Active()
"""A module global, not a ContextVar: a test's own threads must see its defaults too."""


def active() -> Active:
    """The timings and scale in force (the plugin's for the running test, else the built-in)."""
    return _active


@contextmanager
def activated(defaults: WaitDefaults = DEFAULTS, scale: float | None = None) -> Iterator[Active]:
    """Make defaults and scale those of every wait until the block ends (the plugin's hook)."""
    global _active
    before = _active
    _active = Active(defaults, None if scale is None else _checked(scale, "the timeout scale"))
    try:
        yield _active
    finally:
        _active = before


def with_overrides(base: WaitDefaults, **overrides: float) -> WaitDefaults:
    """Return base with some timings replaced; an unknown name or a value <= 0 is refused."""
    unknown = sorted(set(overrides) - set(FIELDS))
    if unknown:
        raise ConfigError(
            f"Unknown wait timing(s) {', '.join(unknown)}. Use one of: {', '.join(FIELDS)}."
        )
    for name, value in overrides.items():
        _checked(value, f"the wait timing {name}")
    return dataclasses.replace(base, **{k: float(v) for k, v in overrides.items()})


def resolve_scale(scale: float | None) -> float:
    """Return the caller's scale, else the active one, else the timeout_scale setting now."""
    if scale is not None:
        return _checked(scale, "the timeout scale argument")
    if _active.scale is not None:
        return _active.scale
    found = sources.resolve_key(SCALE_KEY)
    return float(found.value)


def _checked(scale: float, source: str) -> float:
    if scale <= 0:
        raise ConfigError(f"{source} must be a positive number; it is {scale!r}. Use e.g. 2.")
    return float(scale)
