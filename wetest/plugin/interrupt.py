"""SIGINT, SIGTERM and SIGHUP stop a pytest session in order, and workers die with their parent.

By default SIGTERM kills pytest without its session finish (no results, no report) and leaves
the xdist workers running their tests; SIGINT sent to the controller process alone raises
KeyboardInterrupt there but the workers run on. Here the controlling process, on any stopping
signal: records it (run.json ``interrupted``), kills its xdist workers at once (their current
tests are recorded as cut off by the interruption, not as failures), and raises
KeyboardInterrupt so pytest finishes the session (results, report, stack stop), then exits
with 128 + the signal number (130, 143). A watchdog ends the process if that takes longer
than :data:`WATCHDOG` seconds. Each worker asks Linux to kill it when the controller dies, so
a SIGKILLed pytest leaves no worker behind.

This applies to every session that loads the plugin (a Ctrl-C exits 130 rather than pytest's
2); results are only written for wetest sessions. ``-p no:wetest`` turns it off.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import queue
import signal
import threading
from collections.abc import Callable
from contextlib import ExitStack
from types import FrameType
from typing import Any

import pytest

from wetest.errors import RunInterrupted
from wetest.plugin import workers
from wetest.stack import processes, state
from wetest.supervision import interruption

WATCHDOG = 4.0
"""Seconds from the signal to a forced exit (must leave `wetest run` time to stop the stack
within its 5 s promise); an orderly stop takes 0.5-2 s (tests/plugin/interrupting.py)."""

CUT_OFF_CLASS = f"{RunInterrupted.__module__}.{RunInterrupted.__qualname__}"
CUT_OFF_CAUSE = "run interrupted"


QUEUED_REPORTS = frozenset({"logstart", "testreport", "logfinish"})
"""xdist's worker events that carry a test's start, report and finish (its ``worker_*``)."""


class Interrupter:
    """The controlling process's signal handling and the bookkeeping of running tests."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.received: interruption.Interruption | None = None
        self.running: dict[str, str] = {}  # nodeid -> start time, of tests started not finished
        self.worker_procs: list[Any] = []  # xdist workers' subprocess.Popen objects
        self.finishing = False
        self.stack = ExitStack()
        self.last_words: Callable[[], object] | None = None  # the results writer (results.py)

    def install(self) -> None:
        self.stack.enter_context(interruption.handling(self.handle))

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.received is not None:
            return
        self.received = interruption.Interruption.now(signum)
        self._kill_workers()
        self._stop_own_stack()
        _watchdog(interruption.exit_code(signum), self.last_words)
        if not self.finishing:
            name = interruption.signal_name(signum)
            raise KeyboardInterrupt(f"wetest: run interrupted by {name}")

    def _kill_workers(self) -> None:
        """SIGKILL each live worker (Popen.kill skips one already reaped: no pid reuse)."""
        for proc in self.worker_procs:
            with contextlib.suppress(OSError):
                proc.kill()

    def _stop_own_stack(self) -> None:
        """Ask the run's own supervisor to stop now, while the results are written."""
        if workers.external(self.config) or workers.SHARED_KEY not in self.config.stash:
            return  # someone else's stack (wetest run stops its own), or none started
        record = state.read(self.config.stash[workers.SHARED_KEY])
        if record is not None:
            processes.signal_group(record.supervisor_pid, signal.SIGTERM)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_newgateway(self, gateway: Any) -> None:
        """On the xdist controller: keep each worker's process (execnet's popen) to kill it.

        Noted as soon as it exists: a worker still starting (waiting for the stack) must be
        killed too, or xdist's own teardown waits 10 s for it.
        """
        io = getattr(gateway, "_io", None)
        proc = getattr(io, "popen", None)
        if proc is not None and hasattr(proc, "kill"):
            self.worker_procs.append(proc)

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.running[nodeid] = _now()

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        self.running.pop(nodeid, None)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Before the results are written: no more KeyboardInterrupt, the signal's exit code."""
        self.finishing = True
        if self.received is not None:
            session.exitstatus = interruption.exit_code(self.received.signum)
            self._read_queued_reports()

    def _read_queued_reports(self) -> None:
        """Hand on what the workers reported before the signal and xdist had not yet read.

        The signal ends xdist's loop, which takes one worker event at a time from its queue;
        a test that finished just before it (its report received, not yet read) would be
        lost from the results, and counted as never run. Its start, report and finish are
        handed to the hooks as xdist would have; every other event of a stopping run is
        dropped.
        """
        dsession = self.config.pluginmanager.getplugin("dsession")
        events = getattr(dsession, "queue", None)
        while events is not None:
            try:
                callname, kwargs = events.get_nowait()
            except queue.Empty:
                return
            if callname in QUEUED_REPORTS:
                getattr(dsession, f"worker_{callname}")(**kwargs)

    def mark_cut_off(self, records: dict[str, dict[str, Any]], blank: Any) -> None:
        """Record the tests the signal cut off as such, not as failures of the controller."""
        if self.received is None:
            return
        name = interruption.signal_name(self.received.signum)
        for nodeid, started in self.running.items():
            record = records.setdefault(nodeid, blank(nodeid, started))
            record.update(
                outcome="error",
                when="call",
                error_class=CUT_OFF_CLASS,
                cause=CUT_OFF_CAUSE,
                message=(
                    f"The run was interrupted by {name} while this test ran, so it did not "
                    "finish. Re-run it: wetest run -- -k NAME"
                ),
                longrepr=None,
                stop=self.received.at,  # it ended at the signal (the report compares the two)
            )

    def summary(self, session: pytest.Session, recorded: int) -> dict[str, Any] | None:
        """run.json's ``interrupted``: the signal, when, the tests cut off, how many never ran."""
        if self.received is None:
            return None
        return {
            **self.received.to_json(),
            "cut_off": sorted(self.running),
            "not_run": max(0, int(session.testscollected) - recorded),
        }


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _watchdog(code: int, last_words: Callable[[], object] | None) -> None:
    """End the process if the orderly stop hangs, keeping the results recorded so far.

    It hangs on a teardown waiting for a dead stack, or on a machine so loaded that the
    orderly stop outlasts the promise.
    """

    def expire() -> None:
        if last_words is not None:
            with contextlib.suppress(Exception):  # exiting matters more than the last write
                last_words()
        os._exit(code)

    timer = threading.Timer(WATCHDOG, expire)
    timer.daemon = True
    timer.start()


KEY = pytest.StashKey[Interrupter]()


def get(config: pytest.Config) -> Interrupter | None:
    return config.stash.get(KEY, None)


def pytest_configure(config: pytest.Config) -> None:
    if workers.is_worker(config):
        owner = int(getattr(config, "workerinput", {}).get("wetest_owner", 0))
        if owner and os.getppid() == owner:
            processes.parent_death_signal(signal.SIGKILL, owner)()  # this worker itself
        # else a forked worker (plugin.forked_workers): it dies with the fork server, which
        # dies with the owner, and with its shim, which the owner kills on an interruption
        return
    interrupter = Interrupter(config)
    interrupter.install()
    config.stash[KEY] = interrupter
    config.pluginmanager.register(interrupter, "wetest-interrupter")


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    interrupter = config.stash.get(KEY, None)
    if interrupter is not None:
        interrupter.stack.close()
