"""A wake-up a signal handler may ring: a self-pipe, where a ``threading.Event`` deadlocks.

A Python signal handler runs in the main thread between two bytecodes, possibly while that very
thread holds the lock inside an Event (in its ``wait``, ``set`` or ``clear``); an ``Event.set``
in the handler then waits for that lock forever. The supervisor's command loop waits on its
doorbell, and every command a worker sends rings it (SIGUSR1): at ``-n 12`` the loop hung in
nested handlers mid-run and every test that needed a command failed after 60 s. Writing a byte
to a pipe takes no lock; the loop waits on the pipe with ``select``. The reference controller
and the Tekton stand-in wait for their stop (SIGTERM, SIGINT) on one too.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal


class Doorbell:
    """``ring`` from anywhere, a signal handler included; ``wait`` from one thread."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)

    def ring(self) -> None:
        with contextlib.suppress(BlockingIOError):  # a full pipe wakes the waiter all the same
            os.write(self._write, b"\0")

    def ring_on(self, *signums: int) -> Doorbell:
        """Ring on each of these signals (a program's stop: SIGTERM, SIGINT)."""
        for signum in signums:
            signal.signal(signum, lambda *_: self.ring())
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Wait up to timeout seconds (None: until it rings); True if it rang.

        Every ring so far is consumed.
        """
        ready, _, _ = select.select([self._read], [], [], timeout)
        if not ready:
            return False
        with contextlib.suppress(BlockingIOError):
            while os.read(self._read, 4096):
                pass
        return True

    def close(self) -> None:
        for fd in (self._read, self._write):
            with contextlib.suppress(OSError):
                os.close(fd)
