"""Ask the supervisor for a kube-apiserver replica: the interface of per-test isolation.

A test that restarts "the API server" disrupts every client of it; with a replica
(``wetest.stack.replica``: a second kube-apiserver on the same etcd) it can restart only the
server its own controller talks to. The isolation fixture starts the replica, starts its
private controller with ``info.kubeconfigs["controller"]``, injects the fault with
``Faults(..., apiserver=component(name))`` and stops the replica at teardown. The stack stops
every replica with itself in any case.

Each call is one supervisor command (``apiserver-replica start|restart|stop [name]``) and
refreshes the handle's endpoints, which then list the replica under ``replicas``.
"""

from __future__ import annotations

from wetest.stack.endpoints import ReplicaInfo
from wetest.stack.replica import DEFAULT_NAME, component
from wetest.supervision.handle import StackHandle

__all__ = ["DEFAULT_NAME", "component", "restart", "start", "stop"]

START_TIMEOUT = 120.0
"""Seconds the supervisor may take to start a replica: kube-apiserver needs 3-8 s on a busy
2-CPU machine (``bench/stack_start.py --replica``), the command channel's 60 s default is
tight when the machine is overloaded."""


def _command(stack: StackHandle, line: str) -> ReplicaInfo:
    from wetest.stack import control

    result = control.send(stack.shared, stack.supervisor_pid, line, timeout=START_TIMEOUT)
    stack.refresh()
    known = set(ReplicaInfo.__dataclass_fields__)
    return ReplicaInfo(**{k: v for k, v in result.items() if k in known})


def start(stack: StackHandle, name: str = DEFAULT_NAME) -> ReplicaInfo:
    """Start the replica (or return the running one): url, pid, kubeconfigs by identity."""
    return _command(stack, f"apiserver-replica start {name}")


def restart(stack: StackHandle, name: str = DEFAULT_NAME) -> ReplicaInfo:
    """Restart the replica in place (same port, flags and kubeconfigs); returns when ready."""
    return _command(stack, f"apiserver-replica restart {name}")


def stop(stack: StackHandle, name: str = DEFAULT_NAME) -> ReplicaInfo:
    """Stop the replica; its record stays (pid 0), so its audit log is still evidence."""
    return _command(stack, f"apiserver-replica stop {name}")
