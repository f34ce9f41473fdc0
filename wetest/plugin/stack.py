"""Session fixtures: we_settings, we_stack, we_kube, we_datastorage, we_target.

One supervisor process owns the stack and the controller target for the whole run. Without
xdist this pytest process spawns it; with xdist the first worker that needs it spawns it under
a file lock, every worker attaches to the same endpoints, and the xdist controller process
stops it at the end (``workers.py``). Workers isolate by namespace.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from kubernetes import client

from wetest.config.settings import Settings
from wetest.errors import DependencyMissing
from wetest.kube import clients
from wetest.plugin import options, session, workers
from wetest.stack import apiaudit, control, processes, state
from wetest.stack.endpoints import ControllerInfo, Endpoints
from wetest.supervision import spawning


@dataclass
class StackHandle:
    """The running stack as tests see it, plus the supervisor's command channel."""

    endpoints: Endpoints
    shared: Path
    supervisor_pid: int

    def command(self, name: str) -> dict[str, Any]:
        """Ask the supervisor to restart the controller, stop DataStorage, ..."""
        result = control.send(self.shared, self.supervisor_pid, name)
        self.refresh()
        return result

    def refresh(self) -> Endpoints:
        record = state.read(self.shared)
        if record is not None:
            self.endpoints = record.endpoints
        return self.endpoints


HANDLE_KEY = pytest.StashKey[StackHandle]()


def _lock(shared: Path) -> Any:
    shared.mkdir(parents=True, exist_ok=True)
    handle = (shared / "stack.lock").open("w")
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def provide(config: pytest.Config) -> StackHandle:
    """Attach to the run's stack, spawning its supervisor first if nobody has yet."""
    shared = workers.shared_dir(config)
    if workers.external(config):
        record = _attach(shared)  # someone else's stack: attach only, never start or stop
    else:
        with _lock(shared):
            found = state.read(shared)
            if found is None or not processes.pid_alive(found.supervisor_pid):
                proc = spawning.spawn(
                    shared,
                    options.given(config),
                    owner_pid=workers.owner_pid(config),
                    remove_when_orphaned=True,
                )
                record = spawning.wait_ready(shared, proc)
            else:
                record = spawning.wait_ready(shared, None)
    handle = StackHandle(record.endpoints, shared, record.supervisor_pid)
    config.stash[HANDLE_KEY] = handle
    return handle


def _attach(shared: Path) -> state.StackState:
    if state.read(shared) is None:
        raise DependencyMissing(
            f"A running stack in {shared}",
            [str(shared / "stack.json")],
            "wetest up (or unset WETEST_STACK_DIR / --wetest-stack-dir)",
            verb="was not found",
        )
    return spawning.wait_ready(shared, None)


@pytest.fixture(scope="session")
def we_settings(pytestconfig: pytest.Config) -> Settings:
    """The resolved configuration (option > env > [tool.wetest] > default)."""
    return session.get(pytestconfig)


@pytest.fixture(scope="session")
def we_stack(pytestconfig: pytest.Config, we_settings: Settings) -> Iterator[StackHandle]:
    """The running stack: kubeconfig, API server, DataStorage, controller endpoints."""
    handle = provide(pytestconfig)
    yield handle
    if not workers.is_worker(pytestconfig) and not workers.external(pytestconfig):
        spawning.stop(handle.shared)


@pytest.fixture(scope="session")
def we_kube(we_stack: StackHandle) -> client.ApiClient:
    """An ApiClient with the harness's own identity (``wetest:harness``, in system:masters).

    Its own client certificate and user agent let the audit log tell the harness's calls
    from the controller's (api-calls.jsonl in a failed test's evidence).
    """
    return clients.api_client(
        we_stack.endpoints.kubeconfig_of("harness"), user_agent=apiaudit.USER_AGENTS["harness"]
    )


@dataclass
class DataStorage:
    """DataStorage as tests see it: its URL and an HTTP client."""

    url: str
    client: httpx.Client


@pytest.fixture(scope="session")
def we_datastorage(we_stack: StackHandle) -> Iterator[DataStorage]:
    """The stack's DataStorage URL and an httpx client with the URL as base."""
    with httpx.Client(base_url=we_stack.endpoints.datastorage, timeout=10.0) as http:
        yield DataStorage(we_stack.endpoints.datastorage, http)


@dataclass
class Target:
    """The controller under test: its info, liveness and log tail, and restarts."""

    stack: StackHandle

    @property
    def info(self) -> ControllerInfo:
        return self.stack.endpoints.controller or ControllerInfo()

    def alive(self) -> bool:
        """A local controller process is alive; in-cluster targets (no pid) count as alive.

        deployed: and image: targets are watched by their target object in the supervisor,
        which reports an unavailable Deployment as ControllerCrashed.
        """
        return processes.pid_alive(self.info.pid) if self.info.pid else True

    def log_tail(self, lines: int = 60) -> str:
        return processes.tail(Path(self.info.log), lines) if self.info.log else ""

    def restart(self) -> int:
        """Kill the controller and start a new process; return the new pid."""
        return int(self.stack.command("restart-controller")["controller_pid"])


@pytest.fixture(scope="session")
def we_target(we_stack: StackHandle) -> Target:
    """The controller under test (bundled, command:..., deployed:...)."""
    return Target(we_stack)
