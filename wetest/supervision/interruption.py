"""Interrupted runs: which signals stop a run, how a child dies with its parent, the exit code.

A CI runner cancels a job by sending SIGINT or SIGTERM to the process it started, and only to
that process; a runner that is itself killed sends nothing at all. So the `wetest run` process
(see :class:`Guard`) and the pytest controller process (``wetest.plugin.interrupt``) each turn
these signals into an orderly stop, and every child is asked to die with its parent
(PR_SET_PDEATHSIG), so that no test process runs on against a stack that is gone.

PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, not the process: only
fork from a thread that lives as long as the parent (here: the main thread).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any

from wetest.stack import processes

STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""The signals that interrupt a run. SIGHUP is also what a child of `wetest run` receives
when the runner dies (``processes.parent_death_signal``), so a run.json naming SIGHUP says "the
runner or the terminal went away"."""

PARENT_DIED = signal.SIGHUP
CHILD_GRACE = 3.0
"""Seconds the runner gives pytest to record its results after forwarding the signal; then
it kills it. Measured: pytest needs 0.5-2 s on a loaded 2-CPU machine (see tests/cli)."""


def exit_code(signum: int) -> int:
    """The shell's code for a process ended by this signal: 130 for SIGINT, 143 for SIGTERM."""
    return 128 + int(signum)


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name


@dataclass(frozen=True)
class Interruption:
    """Which signal stopped the run and when; written to run.json as ``interrupted``."""

    signum: int
    at: str

    @classmethod
    def now(cls, signum: int) -> Interruption:
        return cls(int(signum), dt.datetime.now(dt.UTC).isoformat())

    @property
    def name(self) -> str:
        return signal_name(self.signum)

    def to_json(self) -> dict[str, Any]:
        return {"signal": self.name, "at": self.at}


Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


@contextlib.contextmanager
def handling(handler: Callable[[int, FrameType | None], None]) -> Iterator[None]:
    """Install handler for every stopping signal (main thread only), restore them afterwards.

    Installed explicitly, even over an inherited SIG_IGN: a shell without job control starts
    background commands with SIGINT ignored, which is how a CI runner's cancel got lost.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[signal.Signals, Handler] = {s: signal.getsignal(s) for s in STOPPING}
    for sig in STOPPING:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)


class Guard:
    """`wetest run`'s side: record the first stopping signal, pass it on to the running child.

    The child (pytest) records its results and exits; after :data:`CHILD_GRACE` seconds the
    guard kills it. ``on_signal`` callbacks run in the handler (e.g. stop the stack at once,
    in parallel with pytest writing its results).
    """

    def __init__(self, on_signal: Sequence[Callable[[], None]] = ()) -> None:
        self.received: Interruption | None = None
        self.child: subprocess.Popen[bytes] | None = None
        self.received_at = 0.0
        self.on_signal = list(on_signal)

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.received is not None:
            return  # a second Ctrl-C while we stop changes nothing; SIGKILL still works
        self.received = Interruption.now(signum)
        self.received_at = time.monotonic()
        self._forward()
        for callback in self.on_signal:
            with contextlib.suppress(Exception):
                callback()

    def _forward(self) -> None:
        if self.received is not None and self.child is not None and self.child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.child.send_signal(self.received.signum)

    def call(self, cmd: Sequence[str], env: Mapping[str, str]) -> int:
        """Run cmd to its end (or to the grace's end after a signal); return its exit code."""
        if self.received is not None:
            return exit_code(self.received.signum)
        self.child = subprocess.Popen(
            list(cmd), env=dict(env), preexec_fn=processes.parent_death_signal(PARENT_DIED)
        )
        self._forward()  # a signal that arrived while the child was being started
        try:
            return self._wait(self.child)
        finally:
            self.child = None

    def _wait(self, child: subprocess.Popen[bytes]) -> int:
        while True:
            timeout = 1.0 if self.received is None else self._grace_left()
            try:
                return child.wait(timeout=max(timeout, 0.0))
            except subprocess.TimeoutExpired:
                if self.received is not None and self._grace_left() <= 0:
                    child.kill()  # its xdist workers die with it (PDEATHSIG)
                    return child.wait()

    def _grace_left(self) -> float:
        return CHILD_GRACE - (time.monotonic() - self.received_at)
