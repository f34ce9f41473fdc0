"""``eventually`` and ``consistently``: the two waits every suite uses.

A probe is an ``objects.Probe`` (watch-driven) or a callable (polled; see ``observing``). Every
observation goes into a ``History`` so that a failure shows what was seen and when, not only
that time ran out. Timings default to the active ``WaitDefaults`` (the built-in ones, or a
test's ``we_wait`` marker) and are multiplied by one timeout scale (see ``defaults``). The
helpers hide themselves from pytest tracebacks so the failure points at the test.

Both are generic over what they return: a callable probe's return type, or for an
``objects.Probe`` the Kubernetes JSON it observed (the object dict, None while absent, or the
list of a collection's items), typed ``Any`` like every body in ``wetest.kube``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, overload

from wetest.errors import ConsistencyViolated, TerminalStateReached, WaitTimeout
from wetest.kube.objects import Probe
from wetest.waiting import describe, observing, timing
from wetest.waiting.defaults import WaitDefaults, active, resolve_scale
from wetest.waiting.expectations import Expectation
from wetest.waiting.history import History

T = TypeVar("T")


@overload
def eventually(
    probe: Probe,
    expectation: Expectation,
    *,
    timeout: float | None = None,
    interval: float | None = None,
    description: str | None = None,
    scale: float | None = None,
    defaults: WaitDefaults | None = None,
) -> Any: ...


@overload
def eventually(
    probe: Callable[[], T],
    expectation: Expectation,
    *,
    timeout: float | None = None,
    interval: float | None = None,
    description: str | None = None,
    scale: float | None = None,
    defaults: WaitDefaults | None = None,
) -> T: ...


@timing.timed("eventually")
def eventually(
    probe: observing.Source,
    expectation: Expectation,
    *,
    timeout: float | None = None,
    interval: float | None = None,
    description: str | None = None,
    scale: float | None = None,
    defaults: WaitDefaults | None = None,
) -> Any:
    """Wait until the probe's state matches; return that state.

    Raises TerminalStateReached as soon as the expectation says success is impossible, and
    WaitTimeout when the (scaled) timeout passes. ``interval`` fixes the poll gap of a callable
    probe; by default it backs off from ``defaults.first_poll`` to ``defaults.max_poll``.
    """
    __tracebackhide__ = True
    defaults = defaults or active().defaults
    budget = (defaults.timeout if timeout is None else timeout) * resolve_scale(scale)
    gaps: Iterable[float] = (
        observing.backoff(defaults.first_poll, defaults.max_poll)
        if interval is None
        else itertools.repeat(interval)
    )
    history = History()
    for state in observing.states(probe, history.started + budget, gaps):
        history.add(state)
        if _matches(expectation, state):
            return state
        reason = None if isinstance(state, observing.ProbeFailed) else expectation.terminal(state)
        if reason:
            raise TerminalStateReached(_terminal(probe, expectation, description, history, reason))
    raise WaitTimeout(_timed_out(probe, expectation, description, history, budget))


@overload
def consistently(
    probe: Probe,
    expectation: Expectation,
    *,
    duration: float | None = None,
    interval: float | None = None,
    description: str | None = None,
    scale: float | None = None,
    defaults: WaitDefaults | None = None,
) -> Any: ...


@overload
def consistently(
    probe: Callable[[], T],
    expectation: Expectation,
    *,
    duration: float | None = None,
    interval: float | None = None,
    description: str | None = None,
    scale: float | None = None,
    defaults: WaitDefaults | None = None,
) -> T: ...


@timing.timed("consistently")
def consistently(
    probe: observing.Source,
    expectation: Expectation,
    *,
    duration: float | None = None,
    interval: float | None = None,
    description: str | None = None,
    scale: float | None = None,
    defaults: WaitDefaults | None = None,
) -> Any:
    """Check that every state observed for ``duration`` matches; return the last one.

    A watched object is checked on every change; a callable every ``interval`` seconds.
    Raises ConsistencyViolated at the first state that does not match.
    """
    __tracebackhide__ = True
    defaults = defaults or active().defaults
    budget = (defaults.duration if duration is None else duration) * resolve_scale(scale)
    gaps = itertools.repeat(defaults.interval if interval is None else interval)
    history = History()
    for state in observing.states(probe, history.started + budget, gaps):
        history.add(state)
        if not _matches(expectation, state):
            raise ConsistencyViolated(_violated(probe, expectation, description, history, budget))
    return history.last.state if history.last else None


def _matches(expectation: Expectation, state: object) -> bool:
    """Return False for a probe that raised: its error is evidence, never a match."""
    return not isinstance(state, observing.ProbeFailed) and expectation.match(state)


def _elapsed(history: History) -> float:
    return time.monotonic() - history.started


def _timed_out(
    probe: object,
    expectation: Expectation,
    description: str | None,
    history: History,
    budget: float,
) -> str:
    return _message(
        probe,
        history,
        f"Timed out after {_elapsed(history):.2f}s (timeout {budget:.2f}s) waiting for "
        f"{describe.subject(expectation, description)} on {describe.name_of(probe)}.",
    )


def _terminal(
    probe: object, expectation: Expectation, description: str | None, history: History, reason: str
) -> str:
    return _message(
        probe,
        history,
        f"Stopped waiting for {describe.subject(expectation, description)} on "
        f"{describe.name_of(probe)} after {_elapsed(history):.2f}s: {reason}.",
    )


def _violated(
    probe: object,
    expectation: Expectation,
    description: str | None,
    history: History,
    budget: float,
) -> str:
    return _message(
        probe,
        history,
        f"Expected {describe.subject(expectation, description)} to hold on "
        f"{describe.name_of(probe)} for {budget:.2f}s, but it stopped holding after "
        f"{_elapsed(history):.2f}s.",
    )


def _message(probe: object, history: History, headline: str) -> str:
    """The headline, then what every wait failure shows: last state and history."""
    return describe.report(headline, describe.name_of(probe), history)
