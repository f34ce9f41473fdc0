"""Stop the run when the cluster under the stack died on its own: fail fast, say why.

When kube-apiserver dies, every later request is refused at once and each test fails in
milliseconds. When etcd (or kube-controller-manager) dies, kube-apiserver stays up and every
request hangs until its own timeout: a run went on for more than 15 minutes, each test
waiting out its waits. So before each test that uses the stack, the plugin reads the
supervisor's state file (a file read, no round trip): a core component in ``exited`` (it died
on its own; one restarted by a test's fault is not there) fails this test with
``DependencyDied`` and stops the session (``session.shouldstop``). The report then has one
"stack component died" group and the tests not run, instead of a cascade of timeouts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from wetest.errors import DependencyDied
from wetest.plugin import locks, workers
from wetest.stack import state

CORE = ("etcd", "kube-apiserver", "kube-controller-manager")
"""The components without which no test can pass (the cluster itself)."""


def dead_core(shared: Path) -> str:
    """The error for a core component that died on its own, or "" while the cluster lives."""
    record = state.read(shared)
    if record is None:
        return ""
    dead = {name: code for name, code in record.exited.items() if name in CORE}
    if not dead:
        return ""
    what = ", ".join(f"{name} (exit code {code})" for name, code in sorted(dead.items()))
    return (
        f"The stack's {what} died mid-run, so no test can pass on this cluster; the run stops "
        f"here and keeps its results. Read its log under {shared}, then rerun; `wetest doctor` "
        "checks the stack."
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if "apiserver" not in locks.uses(item) | locks.disrupts(item):
        return  # not a stack test: nothing to check
    error = dead_core(workers.shared_dir(item.config))
    if error:
        item.session.shouldstop = error
        raise DependencyDied(error)
