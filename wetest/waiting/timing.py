"""Where a test's time goes: seconds spent inside ``eventually``/``consistently``, by subject.

``bench/suite_profile.py`` splits each test's wall time into waiting and working. The waits are
the part only the library can see, so ``eventually`` and ``consistently`` carry :func:`timed`,
which adds each call's seconds to the ``Tally`` the plugin activates around a test's call (the
same pattern as ``checks.Ledger``). Outside a test, or in a thread the test started, no tally
is active and a wait costs one ContextVar lookup more.

Keys are ``"<wait> <subject>"``: the wait (``eventually`` or ``consistently``) and what it
watched (the plural of a watched ``objects.Probe``, ``workflowexecutions`` say, or ``polled``
for a callable: DataStorage queries, Events, metrics).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

from wetest.kube import objects

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class Tally:
    """Seconds per ``"<wait> <subject>"`` key for one running test."""

    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, key: str, seconds: float) -> None:
        self.seconds[key] = self.seconds.get(key, 0.0) + seconds


_ACTIVE: ContextVar[Tally | None] = ContextVar("wetest_wait_tally", default=None)


def activate(tally: Tally) -> Token[Tally | None]:
    """Count the waits of the current context into tally until :func:`deactivate`."""
    return _ACTIVE.set(tally)


def deactivate(token: Token[Tally | None]) -> None:
    _ACTIVE.reset(token)


def subject(probe: object) -> str:
    """What a wait watched: a Probe's resource plural, else ``polled``."""
    return probe.ref.plural if isinstance(probe, objects.Probe) else "polled"


def timed(wait: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Add the decorated wait's seconds (its first argument is the probe) to the active tally."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def counted(*args: P.args, **kwargs: P.kwargs) -> R:
            __tracebackhide__ = True
            tally = _ACTIVE.get()
            if tally is None:
                return fn(*args, **kwargs)
            started = time.monotonic()
            try:
                return fn(*args, **kwargs)
            finally:
                key = f"{wait} {subject(args[0] if args else kwargs.get('probe'))}"
                tally.add(key, time.monotonic() - started)

        return counted

    return decorate
