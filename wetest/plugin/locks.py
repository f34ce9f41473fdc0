"""Per-component stack locks: a disruptive test excludes only the tests that use what it disrupts.

The stack has five components a test can depend on or disrupt:

``apiserver``   etcd + kube-apiserver (+ kube-controller-manager): every stack test uses it
``tekton``      the Tekton tier (the stand-in driver, or real Tekton) that runs PipelineRuns
``datastorage`` the DataStorage process
``postgres``    its PostgreSQL, which every DataStorage (an isolated test's private one too,
                unless it has a private PostgreSQL) stores into: a test that uses DataStorage
                uses it
``controller``  the controller under test

Each test that uses the stack takes one ``flock`` per component on
``<shared>/locks/<component>.lock``: **exclusive** on the components it disrupts, **shared** on the
ones it uses, none on the rest. It takes all of them or none (``_take_all``: on a busy lock it
drops what it holds, waits for that one, and starts over), so it never holds one lock while it
waits for another: no deadlock, and a disruptive test waiting for the controller does not stop
the DataStorage tests meanwhile. The locks are released when the test's lock fixture ends (or
its process dies).

What a test **disrupts**: ``@pytest.mark.we_disruptive("controller")`` names them (any of the
five); a bare ``@pytest.mark.we_disruptive`` disrupts all five (the old one-lock behaviour).
A test on an isolated instance (``wetest.plugin.isolation``) takes no lock on what its instance
owns (its controller; Tekton with a private stand-in driver; DataStorage and PostgreSQL with a
private PostgreSQL) and shared ones on the rest; on the real Tekton tier, or with a PostgreSQL
wetest did not start, a Tekton pause or a PostgreSQL restart keeps its exclusive lock.

What a test **uses**: ``@pytest.mark.we_uses("datastorage", ...)`` when given; else inferred
from its fixtures (``USES``): ``we_stack`` → apiserver; ``we_create`` → controller, tekton,
datastorage (the controller delivers audit events for every execution); ``we_target`` →
controller; ``we_datastorage``/``we_audit`` → datastorage. A test that drives the controller
without ``we_create`` (raw ``we_kube`` writes of WorkflowExecutions) must say ``we_uses``.

So a controller restart (``we_disruptive("controller")``) overlaps the DataStorage API tests and
the CRD schema tests, a DataStorage outage (``we_disruptive("datastorage")``) overlaps the
schema tests, and two disruptions of different components overlap when neither test uses what
the other disrupts. ``markers._schedule_rank`` hands the tests that use the stack but not the
controller out last, so they are what the other workers run while the disruptive tests hold
the controller. ``flock`` does not favour a waiting exclusive lock over new shared ones, which
is why disruptive tests are handed out after every test that uses what they disrupt.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import pytest

from wetest.plugin import timing, workers

COMPONENTS = ("apiserver", "tekton", "datastorage", "postgres", "controller")
"""Every lockable component."""

USES: dict[str, tuple[str, ...]] = {
    "we_stack": ("apiserver",),
    "we_create": ("controller", "tekton", "datastorage", "postgres"),
    "we_target": ("controller",),
    "we_datastorage": ("datastorage", "postgres"),
    "we_audit": ("datastorage", "postgres"),
}
"""The components a fixture's test uses, when it has no ``we_uses`` marker."""


def _named(item: pytest.Item, marker: str) -> frozenset[str] | None:
    """The components a marker names (all of them when it names none); None without the marker."""
    found = item.get_closest_marker(marker)
    if found is None:
        return None
    return frozenset(str(a) for a in found.args) or frozenset(COMPONENTS)


def disrupts(item: pytest.Item) -> frozenset[str]:
    """The components a test takes exclusively (its ``we_disruptive`` marker)."""
    return _named(item, "we_disruptive") or frozenset()


def uses(item: pytest.Item) -> frozenset[str]:
    """The components a test takes shared: its ``we_uses`` marker, else its fixtures."""
    given = _named(item, "we_uses")
    if given is not None:  # DataStorage stores into PostgreSQL: using one uses the other
        return given | {"apiserver"} | ({"postgres"} if "datastorage" in given else set())
    names = getattr(item, "fixturenames", ())
    return frozenset(c for name in names for c in USES.get(name, ()))


def validate(item: pytest.Item) -> None:
    """Fail collection on a component name that is not one of COMPONENTS."""
    for marker in ("we_disruptive", "we_uses"):
        found = item.get_closest_marker(marker)
        unknown = [a for a in (found.args if found else ()) if a not in COMPONENTS]
        if unknown:
            raise pytest.UsageError(
                f"{item.nodeid}: {marker} names unknown components {unknown}. "
                f"Use any of: {', '.join(COMPONENTS)}."
            )


def modes(item: pytest.Item, isolated: frozenset[str] = frozenset()) -> list[tuple[str, int]]:
    """(component, LOCK_EX | LOCK_SH) for each lock the test takes.

    ``isolated``: the components a private instance stands in for
    (``wetest.plugin.isolation``): no lock on them; what the test disrupts of the rest it
    disrupts on its instance, so it only uses (shared) the main stack's.
    """
    exclusive, shared = disrupts(item), uses(item)
    if isolated:
        exclusive, shared = frozenset(), (exclusive | shared) - isolated
    return [
        (c, fcntl.LOCK_EX if c in exclusive else fcntl.LOCK_SH)
        for c in COMPONENTS
        if c in exclusive or c in shared
    ]


@contextlib.contextmanager
def holding(
    item: pytest.Item, folder: Path, isolated: frozenset[str] = frozenset()
) -> Iterator[float]:
    """Take all of the test's locks; yield the seconds spent waiting for them."""
    with contextlib.ExitStack() as stack:
        asked = time.monotonic()
        wanted = [
            (stack.enter_context((folder / f"{component}.lock").open("w")), mode)
            for component, mode in modes(item, isolated)
        ]
        _take_all(wanted)
        yield time.monotonic() - asked


def _take_all(wanted: Sequence[tuple[IO[str], int]]) -> None:
    """Take every lock or none: never hold one while waiting for another.

    A test that held its exclusive DataStorage lock while waiting for the controller would
    stop the DataStorage tests for nothing; so on the first lock that is busy, drop the
    ones held, wait until that one is free, and start over.
    """
    while True:
        held: list[IO[str]] = []
        for handle, mode in wanted:
            try:
                fcntl.flock(handle, mode | fcntl.LOCK_NB)
            except BlockingIOError:
                for taken in held:
                    fcntl.flock(taken, fcntl.LOCK_UN)
                fcntl.flock(handle, mode)  # wait for it, then try the whole set again
                fcntl.flock(handle, fcntl.LOCK_UN)
                break
            held.append(handle)
        else:
            return


@pytest.fixture(autouse=True)
def _we_barrier(request: pytest.FixtureRequest) -> Iterator[None]:
    """Hold the test's component locks for its setup, call and teardown (inert without a stack).

    A controller restart or a DataStorage outage in one worker must not fail a test that uses
    the controller or DataStorage in another; see the module docstring for the scheme. A test
    on an isolated instance (``wetest.plugin.isolation``) disrupts only that instance: it
    takes shared locks on the rest, and its instance starts once they are held.
    """
    if "we_stack" not in request.fixturenames:
        yield
        return
    from wetest.plugin import isolation

    folder = workers.shared_dir(request.config) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    isolated = isolation.claim(request)
    unlocked = isolated.unlocked if isolated is not None else frozenset()
    try:
        with holding(request.node, folder, unlocked) as waited:
            request.node.stash[timing.LOCK_WAIT] = waited
            with isolation.running(request, isolated):
                yield
    finally:
        if isolated is not None:
            isolated.lock.close()  # the slot, if running() never started
