"""Ask the supervisor for a kube-apiserver replica: the interface of per-test isolation.

A test that restarts "the" API server disrupts every client of it; with a replica
(``wetest.stack.replica``: a second kube-apiserver on the same etcd) it can restart only the
server its own controller talks to. The isolation fixture starts the replica, starts its
private controller with ``info.kubeconfigs["controller"]``, injects the fault with
``Faults(..., apiserver=component(name))`` and stops the replica at teardown. The stack stops
every replica with itself in any case.

Each call is one supervisor command (``apiserver-replica spawn|restart|stop|kill [name]``) and
refreshes the handle's endpoints, which then list the replica under ``replicas``. :func:`start`
spawns and awaits readiness here, in the caller, which can say what it waits for and bound it
with its own timeout.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path

from wetest.errors import StartupFailed
from wetest.stack import apiserver, probing, processes
from wetest.stack.endpoints import ReplicaInfo
from wetest.stack.replica import DEFAULT_NAME, component
from wetest.supervision.handle import StackHandle

__all__ = ["DEFAULT_NAME", "component", "restart", "spawn", "start", "stop", "wait_ready"]

START_TIMEOUT = 120.0
"""Seconds a replica may take to become ready, or the supervisor to restart one: kube-apiserver
needs 4-15 s on a busy 2-CPU machine (``bench/stack_start.py --replica``)."""


def _command(stack: StackHandle, line: str) -> ReplicaInfo:
    from wetest.stack import control

    result = control.send(stack.shared, stack.supervisor_pid, line, timeout=START_TIMEOUT)
    stack.refresh()
    known = set(ReplicaInfo.__dataclass_fields__)
    return ReplicaInfo(**{k: v for k, v in result.items() if k in known})


def spawn(stack: StackHandle, name: str = DEFAULT_NAME) -> ReplicaInfo:
    """Start the replica without awaiting it (or return the running one); see wait_ready."""
    return _command(stack, f"apiserver-replica spawn {name}")


def start(
    stack: StackHandle, name: str = DEFAULT_NAME, timeout: float = START_TIMEOUT
) -> ReplicaInfo:
    """Start the replica (or return the running one) and await /readyz: url, pid, kubeconfigs."""
    return wait_ready(spawn(stack, name), timeout)


def wait_ready(info: ReplicaInfo, timeout: float = START_TIMEOUT) -> ReplicaInfo:
    """Await the replica's /readyz and its CRDs' routes (as the stack awaits its own server).

    Raises if it dies or times out.
    """
    import yaml

    config = yaml.safe_load(Path(info.kubeconfigs["harness"]).read_text())
    ca = config["clusters"][0]["cluster"]["certificate-authority-data"]
    user = config["users"][0]["user"]
    context = probing.client_context(
        base64.b64decode(ca),
        base64.b64decode(user["client-certificate-data"]),
        base64.b64decode(user["client-key-data"]),
    )
    deadline = time.monotonic() + timeout
    while True:
        if not processes.pid_alive(info.pid):
            raise StartupFailed(
                f"The API-server replica '{info.name}' (pid {info.pid}) exited before it became "
                f"ready. Log tail ({info.log}):\n{processes.tail(Path(info.log))}\n"
                "Fix the cause above, then run: wetest doctor"
            )
        if probing.answers_ok(f"{info.url}/readyz", timeout=2.0, verify=context) and (
            apiserver.routes_crds(info.url, context)
        ):
            return info  # else not listening yet, or not routing the CRDs yet
        if time.monotonic() > deadline:
            raise StartupFailed(
                f"The API-server replica '{info.name}' did not become ready within "
                f"{timeout:.0f}s. Log tail ({info.log}):\n{processes.tail(Path(info.log))}\n"
                "Raise the timeout on a loaded machine, or run: wetest doctor"
            )
        time.sleep(0.05)  # the poll interval of this helper: readiness has no event


def restart(stack: StackHandle, name: str = DEFAULT_NAME) -> ReplicaInfo:
    """Restart the replica in place (same port, flags and kubeconfigs); returns when ready."""
    return _command(stack, f"apiserver-replica restart {name}")


def stop(stack: StackHandle, name: str = DEFAULT_NAME, *, now: bool = False) -> ReplicaInfo:
    """Stop the replica; its record stays (pid 0), so its audit log is still evidence.

    ``now``: kill it rather than await its graceful shutdown (a test's teardown).
    """
    return _command(stack, f"apiserver-replica {'kill' if now else 'stop'} {name}")
