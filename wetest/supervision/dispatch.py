"""The supervisor's commands, run side by side: one thread per thing a command acts on.

One command at a time made every test wait for the slowest command in flight: a replica's
restart (5 s) held the isolated tests' ``isolated stop`` and ``isolated start`` behind it, so
four tests spent 4.8 s each in teardown (a full run at ``-n 2``, wave 10). Commands that act on
different things do not depend on each other: an isolated slot's instance, an API-server
replica, the main stack. So each such *key* has its own thread, which runs its commands in the
order they came; the main stack's commands also hold the stack's lock (``Stack.lock``), which the
others take only to change what the main stack's endpoints record.

A key's thread lives until the supervisor ends: a process that a command starts is killed when
the *thread* that started it exits (PR_SET_PDEATHSIG follows the thread, see
``wetest.stack.assembly._Beside``), so no thread may end while its processes run.
"""

from __future__ import annotations

import queue
import threading
import traceback
from collections.abc import Callable
from pathlib import Path

MAIN = "main"
"""The key of the commands that act on the main stack (and of any command not understood)."""

Run = Callable[[str, Path, str], None]
"""Carries out one command: (key, request file, command line)."""


def key(line: str) -> str:
    """What a command acts on: ``slot <n>``, ``replica <name>`` or :data:`MAIN`.

    ``isolated start 3 {...}``, ``isolated stop 3`` and ``isolated 3 <command>`` act on slot 3;
    ``apiserver-replica <action> <name>`` and ``restart-component kube-apiserver-<name>`` on
    that replica.
    """
    words = line.split()
    verb, rest = (words[0], words[1:]) if words else ("", [])
    if verb == "isolated" and rest:
        slot = rest[1] if rest[0] in ("start", "stop") and len(rest) > 1 else rest[0]
        return f"slot {slot}" if slot.isdigit() else MAIN
    if verb == "apiserver-replica":
        from wetest.stack.replica import DEFAULT_NAME

        return f"replica {rest[1] if len(rest) > 1 else DEFAULT_NAME}"
    if verb == "restart-component" and rest and rest[0].startswith("kube-apiserver-"):
        return f"replica {rest[0].removeprefix('kube-apiserver-')}"
    return MAIN


def slot_of(found: str) -> int | None:
    """The isolated slot a key names, or None (the main stack or a replica)."""
    kind, _, slot = found.partition(" ")
    return int(slot) if kind == "slot" else None


class Dispatcher:
    """Hands each request to its key's thread, once; counts what each key has queued or running."""

    def __init__(self, run: Run) -> None:
        self._run = run
        self._lock = threading.Lock()
        self._queues: dict[str, queue.SimpleQueue[tuple[Path, str]]] = {}
        self._taken: set[Path] = set()
        """Every request ever submitted, kept after it is answered: the supervisor lists the
        unanswered requests, then submits them, and a key's thread may answer one in between.
        Forgetting it at its answer ran it twice: a second ``isolated start`` stopped the
        instance the first had started, under the test that awaited it (kill table, wave 11:
        "the isolated controller exited", its DataStorage log with two starts)."""
        self._busy: dict[str, int] = {}  # key -> requests queued or running
        self._idle = threading.Condition(self._lock)

    def submit(self, request: Path, line: str) -> None:
        """Queue a request on its key's thread, unless it was submitted before."""
        found = key(line)
        with self._lock:
            if request in self._taken:
                return
            self._taken.add(request)
            self._busy[found] = self._busy.get(found, 0) + 1
            waiting = self._queues.get(found)
            if waiting is None:
                waiting = self._queues[found] = queue.SimpleQueue()
                threading.Thread(
                    target=self._serve, args=(found, waiting), name=f"wetest-{found}", daemon=True
                ).start()
        waiting.put((request, line))

    def busy(self) -> frozenset[str]:
        """The keys with a request queued or running (their components may be mid-restart)."""
        with self._lock:
            return frozenset(name for name, count in self._busy.items() if count)

    def drain(self, timeout: float) -> bool:
        """Wait until no request is queued or running; False if some still are after timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: not any(self._busy.values()), timeout)

    def _serve(self, name: str, waiting: queue.SimpleQueue[tuple[Path, str]]) -> None:
        while True:
            request, line = waiting.get()
            try:
                self._run(name, request, line)
            except Exception:  # the request stays unanswered; the key serves the next ones
                traceback.print_exc()
            finally:
                with self._lock:
                    self._busy[name] -= 1
                    self._idle.notify_all()
