"""The background process that owns a stack until told to stop.

It resolves the same settings as whoever spawned it (options arrive as JSON in
``WETEST_SUPERVISOR_OPTIONS``), starts the stack and the controller target, records the
endpoints in the state file, then serves commands (SIGUSR1 doorbell, see
``wetest.stack.control``) until SIGTERM/SIGINT or until its owner process disappears, and
stops everything. Its children die with it (PR_SET_PDEATHSIG), so even a SIGKILL of the
supervisor leaves no orphan behind.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from wetest import progress
from wetest.config import settings
from wetest.doorbell import Doorbell
from wetest.errors import WetestError
from wetest.stack import control, processes, state

if TYPE_CHECKING:  # imported after the state file is written, see run()
    from wetest.supervision.lifecycle import Running

OWNER_POLL = 0.2  # seconds; a dead owner stops the stack within this (cheap: a kill(pid, 0))
COMMAND_DRAIN = 3.0
"""Seconds a stop waits for the commands still running (a test interrupted mid-restart)."""


class Supervisor:
    """Signal handling, the owner watchdog and the command loop around a Running stack."""

    def __init__(self) -> None:
        options = json.loads(os.environ.get("WETEST_SUPERVISOR_OPTIONS", "{}"))
        wanted = [c for c in os.environ.get("WETEST_SUPERVISOR_COMPONENTS", "").split(",") if c]
        self.settings = settings.load(options)
        self.components = tuple(wanted) or None
        self.owner = int(os.environ.get("WETEST_SUPERVISOR_OWNER_PID", "0") or 0)
        # set by signal handlers, so neither is a threading.Event (see wetest.doorbell)
        self.stopping = False
        self.doorbell = Doorbell()
        self.started = threading.Event()  # set by the main thread only
        self.record = state.StackState(supervisor_pid=os.getpid(), owner_pid=self.owner)
        self.orphaned = False
        self.starting = False
        self.remove_when_orphaned = os.environ.get("WETEST_SUPERVISOR_REMOVE_STATE") == "1"

    @property
    def state_dir(self) -> Path:
        return self.settings.state_dir

    def install_signals(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, lambda *_: self._stop_now())
        self.doorbell.ring_on(signal.SIGUSR1)

    def _stop_now(self) -> None:
        """Stop at once: the doorbell wakes the command loop, which would otherwise sleep on.

        While the stack is still starting (up to a minute on a loaded machine), the start is
        abandoned at once: the supervisor exits and its children die with it (each was started
        with PR_SET_PDEATHSIG). An orderly stop would first wait for the steps running in
        threads (PostgreSQL and DataStorage: up to 9 s measured) and break the 5 s promise of
        an interrupted run.
        """
        self.stopping = True
        self.doorbell.ring()
        if self.starting:
            self._abandon_start()

    def _abandon_start(self) -> None:
        self.failed("The stack was stopped by a signal while it was starting.", 1)
        if self.orphaned and self.remove_when_orphaned:
            shutil.rmtree(self.state_dir, ignore_errors=True)  # nobody is left to do it
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)

    def run(self) -> int:
        self.install_signals()
        self.starting = True  # from here on a stop abandons the start at once (_stop_now)
        state.write(self.state_dir, self.record)
        threading.Thread(target=self._watch_owner_while_starting, daemon=True).start()
        try:
            # only now: the stack's and the targets' modules (kubernetes, httpx: 0.4 s) load
            # while `wetest run`, which waits for the state file, already starts pytest
            from wetest.supervision.lifecycle import Running

            running = Running(self.settings, self.components)
            self.record.endpoints = running.start()
        except WetestError as exc:
            return self.failed(str(exc), exc.exit_code)
        except Exception as exc:
            traceback.print_exc()
            return self.failed(f"{type(exc).__name__}: {exc}", 1)
        finally:
            self.starting = False
            self.started.set()
        try:
            self.record.status = "ready"
            state.write(self.state_dir, self.record)
            self.serve(running)
        finally:
            with progress.step("Stopping the stack"):
                running.stop()
            state.clear(self.state_dir)
            if self.orphaned and self.remove_when_orphaned:
                shutil.rmtree(self.state_dir, ignore_errors=True)  # nobody is left to do it
        return 0

    def _watch_owner_while_starting(self) -> None:
        """The start takes long; an owner that dies meanwhile stops it (as SIGTERM would)."""
        while self.starting and self.owner:
            if not processes.pid_alive(self.owner):
                self.orphaned = True
                os.kill(os.getpid(), signal.SIGTERM)
                return
            if self.started.wait(OWNER_POLL):  # a pid has no exit event
                return

    def serve(self, running: Running) -> None:
        from wetest.supervision.dispatch import Dispatcher

        def run(key: str, request: Path, line: str) -> None:
            self.run_command(running, key, request, line)

        dispatcher = Dispatcher(run)
        try:
            while not self.stopping:
                if self.doorbell.wait(OWNER_POLL):
                    for request, line in control.pending(self.state_dir):
                        dispatcher.submit(request, line)
                self.reap(running, dispatcher.busy())
                if self.owner and not processes.pid_alive(self.owner):
                    print(f"owner process {self.owner} is gone; stopping the stack", flush=True)
                    self.orphaned = True
                    return
        finally:
            if not dispatcher.drain(COMMAND_DRAIN):
                print(
                    f"stopping the stack with commands still running after {COMMAND_DRAIN:.0f}s "
                    f"({', '.join(sorted(dispatcher.busy()))})",
                    flush=True,
                )

    def run_command(self, running: Running, key: str, request: Path, line: str) -> None:
        """Carry out one command in its key's thread (``supervision.dispatch``); answer it.

        The main stack's commands hold the stack's lock throughout; an isolated slot's or a
        replica's take it only where they change what the main stack records.
        """
        from wetest.supervision.dispatch import MAIN

        lock = running.stack.lock
        try:
            if key == MAIN:
                with lock:
                    result = running.command(line)
            else:
                result = running.command(line)
        except Exception as exc:
            result = {"error": f"{type(exc).__name__}: {exc}"}
        with lock:
            self.record.endpoints = running.endpoints
            self.record.exited = dict(running.exited)
            state.write(self.state_dir, self.record)
        control.answer(request, result)

    def reap(self, running: Running, busy: frozenset[str] = frozenset()) -> None:
        """Reap components that died on their own, say so in the log and in the state file.

        A child has no exit event to wait on, so this runs with the owner check (every
        OWNER_POLL). ``wetest status`` and the fixtures read ``exited``; a ``restart-component``
        command brings one back. What a running command acts on (``busy``: its key) is left
        for the next round: it may be between a stop and a start; so is the whole round while a
        main stack's command holds the stack's lock.
        """
        lock = running.stack.lock
        if not lock.acquire(blocking=False):
            return
        try:
            died = running.reap(busy)
        finally:
            lock.release()
        for name, code in died.items():
            print(
                f"stack component {name} exited with code {code}; the stack is degraded. "
                f"Bring it back with the supervisor command: restart-component {name}",
                flush=True,
            )
        if died:
            with running.stack.lock:
                self.record.exited = dict(running.exited)
                state.write(self.state_dir, self.record)

    def failed(self, message: str, code: int) -> int:
        self.record.status, self.record.error, self.record.exit_code = "failed", message, code
        state.write(self.state_dir, self.record)
        print(message, file=sys.stderr)
        return code


def main() -> int:
    return Supervisor().run()


if __name__ == "__main__":
    sys.exit(main())
