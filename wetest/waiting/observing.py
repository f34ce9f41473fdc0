"""Turn a probe into a stream of observed states that ends at the deadline.

An ``objects.Probe`` is watch-driven (one read, then every change as the API server sends it,
so a wait reacts within milliseconds); anything else is a callable, polled on a schedule. A
callable that raises is observed as a ``ProbeFailed`` state, so a wait keeps trying through a
transient error (an audit service still starting) and the message shows the error.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from wetest.kube import objects, watching

Source = objects.Probe | Callable[[], object]


@dataclass(frozen=True)
class ProbeFailed:
    """A callable probe raised; its state for this observation is the error."""

    error: str

    def __repr__(self) -> str:
        return f"probe raised {self.error}"


def backoff(first: float, cap: float, factor: float = 1.5) -> Iterator[float]:
    """Return poll gaps first, first*factor, ... up to cap."""
    delay = first
    while True:
        yield delay
        delay = min(delay * factor, cap)


def states(probe: Source, deadline: float, gaps: Iterable[float]) -> Iterator[object]:
    """Yield states until the deadline (a ``time.monotonic()`` value); at least one."""
    if isinstance(probe, objects.Probe):
        return watching.states(probe, deadline=deadline)
    return _polled(probe, deadline, gaps)


def _polled(
    probe: Callable[[], object], deadline: float, gaps: Iterable[float]
) -> Iterator[object]:
    for gap in itertools.chain(gaps, itertools.repeat(0.5)):
        yield _call(probe)
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(gap, left))


def _call(probe: Callable[[], object]) -> object:
    try:
        return probe()
    except Exception as exc:  # a failing probe is an observation, not the end of the wait
        return ProbeFailed(f"{type(exc).__name__}: {exc}")
