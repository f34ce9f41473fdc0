"""The doorbell (the supervisor's command loop, the programs' stop) survives a storm of SIGUSR1.

With a ``threading.Event`` rung from the handler, the same one-second storm deadlocks the main
thread in nested handlers every time (each ``set`` waits for the lock an interrupted one holds).
"""

from __future__ import annotations

import subprocess
import sys

STORM = """
import os, signal, subprocess, sys, time
from wetest.doorbell import Doorbell

bell = Doorbell()
signal.signal(signal.SIGUSR1, lambda *_: bell.ring())
sender = subprocess.Popen([sys.executable, "-c",
    f"import os, signal\\nwhile True: os.kill({os.getpid()}, signal.SIGUSR1)"])
rung, end = 0, time.monotonic() + 1
while time.monotonic() < end:
    rung += bell.wait(0.01)
signal.signal(signal.SIGUSR1, signal.SIG_IGN)
sender.kill()
sender.wait()
print("rung", rung)
"""


def test_a_storm_of_rings_from_signal_handlers_neither_hangs_nor_is_lost() -> None:
    done = subprocess.run(
        [sys.executable, "-c", STORM], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("rung "), done.stdout
    assert int(done.stdout.split()[1]) > 0, "no ring woke the waiter"


def test_wait_times_out_without_a_ring_and_consumes_every_ring() -> None:
    from wetest.doorbell import Doorbell

    bell = Doorbell()
    try:
        assert not bell.wait(0.01)
        for _ in range(5):
            bell.ring()
        assert bell.wait(0.01)
        assert not bell.wait(0.01)  # five rings, one wake-up: the loop handles every command
    finally:
        bell.close()


def test_ring_on_a_signal_wakes_a_wait_without_timeout() -> None:
    import os
    import signal

    from wetest.doorbell import Doorbell

    previous = signal.getsignal(signal.SIGUSR1)
    bell = Doorbell().ring_on(signal.SIGUSR1)
    try:
        os.kill(os.getpid(), signal.SIGUSR1)
        assert bell.wait()  # no timeout: returns because the signal rang it
    finally:
        signal.signal(signal.SIGUSR1, previous)
        bell.close()
