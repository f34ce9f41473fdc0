"""Several tests in flight per process: threads whose waits overlap.

A conformance test mostly waits: for the controller's reconcile, a ``consistently`` window, a
cooldown. With one test at a time per process, a run's length is the sum of those waits
divided by the number of processes, and ``-n 0`` or ``-n 2`` spends most of it idle. The
``in_flight`` setting (default 16) is how many tests the whole run keeps going at once; each
process runs ``ceil(in_flight / processes)`` of them side by side in threads (*lanes*): 16
lanes at ``-n 0``, 8 per worker at ``-n 2``, 1 at ``-n 16``, where pytest's own loop runs.
``--wetest-in-flight 1`` is pytest's one-at-a-time, as are ``--pdb`` and ``--trace``.

What makes this safe is what already makes ``-n 12`` safe: each test has its own namespace,
and whatever a test disrupts it takes a component lock for (``flock``, which excludes threads
of one process as it does processes). What pytest keeps once per process is made per thread
by ``wetest.plugin.threadsafe``.

Under xdist a worker takes tests from its queue into its lanes, and the controller's scheduler
keeps ``lanes + 1`` tests queued on each worker instead of two.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Generator
from typing import Any

import pytest

from wetest.plugin import session, threadsafe, workers

_LANES_KEY = pytest.StashKey[int]()
_running: _Lanes | None = None
"""The lanes of the running loop (None outside it)."""


def in_flight(config: pytest.Config) -> int:
    """How many tests of the run can be in flight at once (processes times lanes)."""
    return _processes(config) * lanes(config)


def lanes(config: pytest.Config) -> int:
    """How many tests this run's processes each keep in flight."""
    if _LANES_KEY not in config.stash:
        config.stash[_LANES_KEY] = _lanes(config)
    return config.stash[_LANES_KEY]


def _lanes(config: pytest.Config) -> int:
    if _debugging(config) is not None:
        return 1
    wanted = session.get(config).in_flight
    return max(1, math.ceil(wanted / _processes(config)))


def _debugging(config: pytest.Config) -> str | None:
    """The debugger option that asks for one test at a time, if given."""
    option = config.option
    for name, flag in (("usepdb", "--pdb"), ("trace", "--trace")):
        if getattr(option, name, False):
            return flag
    return None


def _processes(config: pytest.Config) -> int:
    if workers.is_worker(config):
        return workers.count(config)
    return max(1, int(getattr(config.option, "numprocesses", 0) or 0))


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    """Run the tests in lanes; leave the loop to pytest (or xdist) with one lane."""
    config = session.config
    if config.option.collectonly or session.testsfailed or lanes(config) < 2:
        return None
    if getattr(config.option, "numprocesses", None) and not workers.is_worker(config):
        return None  # the xdist controller runs no tests
    alone = [item for item in session.items if not side_by_side(item)]
    if alone:
        if len(alone) < len(session.items):  # some would gain: say why they do not
            _say(
                config,
                f"one test at a time: {len(alone)} of the tests ({alone[0].nodeid}, ...) "
                "cannot run beside others (no wetest fixture, or a fixture that changes the "
                f"whole process: {', '.join(sorted(PROCESS_WIDE))})",
            )
        return None
    if workers.is_worker(config):
        source: _Source = _XdistQueue(config)
    else:
        source = _Items(session.items)
    global _running
    _running = _Lanes(session, source, lanes(config))
    try:
        _running.run()
    finally:
        _running = None
    return True


STACK_FIXTURE = "we_stack"
"""The fixture whose set-up opens the other lanes (``_Lanes.opened``)."""

PROCESS_WIDE = frozenset(
    {
        "monkeypatch",
        "pytester",
        "testdir",
        "capsys",
        "capsysbinary",
        "capfd",
        "capfdbinary",
        "caplog",
        "recwarn",
    }
)
"""pytest fixtures that change the whole process (its environment, cwd, stdout, log or warning
handlers) for the duration of a test."""


def side_by_side(item: pytest.Item) -> bool:
    """Whether a test may run beside others in one process.

    A wetest test (one that asks for a ``we_`` fixture) works in its own namespace and takes
    locks for what it disrupts; a test that asks for none is somebody else's and is assumed to
    expect pytest's one test at a time, as is one whose fixtures change the whole process.
    """
    names = set(getattr(item, "fixturenames", ()))
    return any(name.startswith("we_") for name in names) and not names & PROCESS_WIDE


def pytest_report_header(config: pytest.Config) -> str | None:
    if workers.is_worker(config) or session.SETTINGS_KEY not in config.stash:
        return None
    settings = session.get(config)
    given = f"in_flight {settings.in_flight}, {settings.source_of('in_flight')}"
    debugger = _debugging(config)
    if debugger is not None:
        return f"wetest: one test at a time under {debugger} ({given})"
    if lanes(config) < 2:
        return f"wetest: one test at a time per process ({given})"
    return (
        f"wetest: up to {in_flight(config)} tests in flight, {lanes(config)} per process ({given})"
    )


def _say(config: pytest.Config, text: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and not workers.is_worker(config):
        reporter.write_line(f"wetest: {text}")


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Keep ``lanes + 1`` tests queued on each worker, in the plugin's order."""
    if lanes(config) < 2 or config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling  # xdist's controller only

    depth = lanes(config) + 1

    class Scheduling(LoadGroupScheduling):  # type: ignore[misc]
        """``--dist loadgroup`` that fills each worker's lanes instead of two tests."""

        def schedule(self) -> None:
            super().schedule()
            for _ in range(depth):
                for node in self.nodes:
                    self._reschedule(node)

        def _reschedule(self, node: Any) -> None:
            if node.shutting_down:
                return
            if not self.workqueue:
                node.shutdown()
                return
            if self._pending_of(self.assigned_work[node]) >= depth:
                return
            self._assign_work_unit(node)

    return Scheduling(config, log)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[object]) -> Generator[None, object, object]:
    """Open the other lanes once the first test has the stack (``we_stack``)."""
    result = yield
    if _running is not None and fixturedef.argname == STACK_FIXTURE:
        _running.opened()
    return result


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_logstart() -> Generator[None, object, object]:
    with threadsafe.REPORTING:
        return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> Generator[None, object, object]:
    with threadsafe.REPORTING:
        if _running is not None:
            _running.reported(report)
        return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_logfinish() -> Generator[None, object, object]:
    with threadsafe.REPORTING:
        return (yield)


class _Source:
    """Where the lanes take their next test from, and whom they tell when it is done."""

    def take(self) -> tuple[int, pytest.Item] | None:
        raise NotImplementedError

    def done(self, index: int, duration: float) -> None:
        """Called after the test's reports are sent."""

    def wake(self) -> None:
        """Make lanes blocked in :meth:`take` return (the run is stopping)."""

    def before_report(self) -> None:
        """Called in the lane, under ``REPORTING``, before its test's report is handed on."""


class _Items(_Source):
    """The session's items, in order (no xdist)."""

    def __init__(self, items: list[pytest.Item]) -> None:
        self._items = iter(enumerate(items))
        self._lock = threading.Lock()

    def take(self) -> tuple[int, pytest.Item] | None:
        with self._lock:
            return next(self._items, None)


class _XdistQueue(_Source):
    """An xdist worker's queue: the indices the controller sent, until its shutdown marker."""

    def __init__(self, config: pytest.Config) -> None:
        # xdist runs its worker module as the channel's code (``__channelexec__``), not as
        # ``xdist.remote``: its interactor and marker are found by name, not imported.
        found = [
            p for p in config.pluginmanager.get_plugins() if type(p).__name__ == "WorkerInteractor"
        ]
        self._worker: Any = found[0]
        marker = self._worker.handle_command.__globals__["Marker"]
        self._shutdown = marker.SHUTDOWN
        self._worker.channel.setcallback(self._worker.handle_command, endmarker=marker.SHUTDOWN)
        self._local = threading.local()

    def take(self) -> tuple[int, pytest.Item] | None:
        index = self._worker.torun.get()
        if index is self._shutdown:
            self._worker.torun.put(index)  # the other lanes stop too
            return None
        self._local.index = index
        return index, self._worker.session.items[index]

    def before_report(self) -> None:
        """The xdist worker tags each report with the index of "the" test it runs: this lane's."""
        self._worker.item_index = self._local.index

    def done(self, index: int, duration: float) -> None:
        with threadsafe.REPORTING:
            self._worker.sendevent("runtest_protocol_complete", item_index=index, duration=duration)

    def wake(self) -> None:
        self._worker.torun.put(self._shutdown)


class _Lanes:
    """Threads that each run tests one after another until the source is empty.

    The main thread waits for them and takes Ctrl-C; a lane's error stops the others. The
    first test's set-up runs alone until it has the stack (``we_stack``), which the others
    would wait for anyway: when the stack is missing the run stops after one error, not one
    per lane. The rest of its set-up (an isolated instance's start: 3-4 s) runs beside them.
    """

    def __init__(self, session: pytest.Session, source: _Source, count: int) -> None:
        self._session = session
        self._source = source
        self._count = count
        self._stopping = threading.Event()
        self._first_set_up = threading.Event()
        self._errors: list[BaseException] = []

    def reported(self, report: pytest.TestReport) -> None:
        """Called in a lane, under ``REPORTING``, before its test's report is handed on."""
        self._source.before_report()
        if report.when == "setup":
            self._first_set_up.set()

    def opened(self) -> None:
        """The first test has the stack: the other lanes may start."""
        self._first_set_up.set()

    def run(self) -> None:
        with threadsafe.installed(self._session) as begin:
            # daemon: a lane stuck in a test must not hold an interrupted run
            threads = [
                threading.Thread(
                    target=self._lane, args=(begin,), name=f"wetest-lane-{i}", daemon=True
                )
                for i in range(self._count)
            ]
            try:
                threads[0].start()
                self._first_set_up.wait()
                for thread in threads[1:]:
                    if not self._stopped():
                        thread.start()
                for thread in threads:
                    if thread.is_alive():
                        thread.join()
            except BaseException:
                self._stop()
                raise
        if self._errors:
            raise self._errors[0]
        if self._session.shouldfail:
            raise self._session.Failed(self._session.shouldfail)
        if self._session.shouldstop:
            raise self._session.Interrupted(self._session.shouldstop)

    def _lane(self, begin: Callable[[], None]) -> None:
        try:
            while not self._stopped():
                taken = self._source.take()
                if taken is None:
                    return
                index, item = taken
                begin()
                started = time.perf_counter()
                item.ihook.pytest_runtest_protocol(item=item, nextitem=threadsafe.Above(item))
                self._source.done(index, time.perf_counter() - started)
        except BaseException as exc:  # handed to the main thread
            self._errors.append(exc)
        finally:
            self._first_set_up.set()  # the first lane ended before any set-up (nothing to run)
            if self._stopped() or self._errors:
                self._stop()

    def _stop(self) -> None:
        self._stopping.set()
        self._source.wake()

    def _stopped(self) -> bool:
        return self._stopping.is_set() or bool(self._session.shouldfail or self._session.shouldstop)
