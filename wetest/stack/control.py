"""A tiny command channel to the stack supervisor: restart a component, stop/start DataStorage.

Resilience tests run in pytest workers while the supervisor owns the processes. A test drops
``<shared>/commands/<id>.json`` and rings the doorbell (SIGUSR1 to the supervisor); the
supervisor runs the command and writes ``<id>.done`` with the result. Files, not sockets: no
port to reserve and nothing to clean up but a folder.
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from pathlib import Path
from typing import Any

from wetest.errors import DependencyDied

COMMANDS = (
    "restart-controller",
    "kill-controller",
    "start-controller",
    "stop-datastorage",
    "start-datastorage",
    "component-status",
    "restart-component",  # with the component's name: "restart-component kube-apiserver"
    "conflict-proxy",  # "conflict-proxy on" or "conflict-proxy off" (wetest.faults.conflicts)
    "isolated",  # "isolated start|stop <slot>", "isolated <slot> <command>" (supervision.isolation)
    "apiserver-replica",  # "apiserver-replica start|spawn|restart|stop|kill [name]" (stack.replica)
)


def folder(shared: Path) -> Path:
    path = shared / "commands"
    path.mkdir(parents=True, exist_ok=True)
    return path


def send(shared: Path, supervisor_pid: int, command: str, timeout: float = 60.0) -> dict[str, Any]:
    """Ask the supervisor to run a command; return its result or raise DependencyDied."""
    ident = uuid.uuid4().hex
    request = folder(shared) / f"{ident}.json"
    writing = request.with_suffix(".writing")
    writing.write_text(json.dumps({"command": command}))
    # atomically: the supervisor lists the folder when any worker rings, and a request read
    # half-written (empty) stopped its command loop, and with it the whole stack
    writing.replace(request)
    os.kill(supervisor_pid, signal.SIGUSR1)
    done = folder(shared) / f"{ident}.done"
    deadline = time.monotonic() + timeout
    while not done.exists():
        if time.monotonic() > deadline:
            raise DependencyDied(
                f"The stack supervisor (pid {supervisor_pid}) did not run "
                f"'{command}' within {timeout:.0f}s. Check "
                f"{shared}/supervisor.log, then re-run."
            )
        time.sleep(0.02)
    result: dict[str, Any] = json.loads(done.read_text())
    if result.get("error"):
        raise DependencyDied(f"The stack supervisor failed to run '{command}': {result['error']}")
    return result


def pending(shared: Path) -> list[tuple[Path, str]]:
    """Requests not yet answered, oldest first (supervisor side).

    A request that cannot be read is answered with an error rather than stopping the loop.
    """
    out = []
    for request in sorted(folder(shared).glob("*.json"), key=lambda p: p.stat().st_mtime):
        if request.with_suffix(".done").exists():
            continue
        try:
            out.append((request, str(json.loads(request.read_text())["command"])))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            answer(request, {"error": f"unreadable request {request.name}: {exc}"})
    return out


def answer(request: Path, result: dict[str, Any]) -> None:
    tmp = request.with_suffix(".tmp")
    tmp.write_text(json.dumps(result))
    tmp.replace(request.with_suffix(".done"))
