"""Attach to a stack, or start one and attach: the one lifecycle entry point for every caller.

``wetest up``, the pytest plugin (each xdist worker) and a user's script all call
:func:`ensure`: under a file lock in the state folder it attaches to a live supervisor (waiting
until it is ready) or spawns one and waits. :func:`attach` never starts anything (a stack
somebody else owns, ``--wetest-stack-dir``). The caller that started a stack stops it with
``spawning.stop(handle.shared)``; wetest never stops a stack it did not start.

The handle types here are what the fixtures ``we_stack``, ``we_datastorage`` and ``we_target``
return, so they live in the library (no pytest) and a script gets the same objects.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wetest import filelocks
from wetest.errors import DependencyMissing
from wetest.stack import control, processes, state
from wetest.stack.endpoints import ControllerInfo, Endpoints
from wetest.supervision import spawning

if TYPE_CHECKING:  # annotation only: httpx costs each import of wetest ~0.1 s
    import httpx

    from wetest.supervision.isolation import Router


@dataclass
class StackHandle:
    """The running stack as tests see it, plus the supervisor's command channel.

    ``started`` is True when this call of :func:`ensure` spawned the supervisor: that caller
    (and only that one) stops it.

    A test on an isolated instance routes the handle (:meth:`route`): its commands and
    :attr:`endpoints` go to the instance. The routing is the calling thread's, because one
    handle serves every test of a process and tests may run side by side in threads
    (``wetest.plugin.inflight``).
    """

    stack_endpoints: Endpoints
    shared: Path
    supervisor_pid: int
    started: bool = False
    # the process whose exit stops the stack; 0 for a stack of `wetest up` (StackState)
    owner_pid: int = 0
    # the supervisor's process object when this handle spawned it: kept so that it is reaped
    # at stop (no zombie, no "still running" ResourceWarning from a dropped Popen)
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)
    # per thread: the router of the test running in it, and the endpoints as it sees them
    _local: threading.local = field(
        default_factory=threading.local, init=False, repr=False, compare=False
    )

    @property
    def router(self) -> Router | None:
        """While the calling thread's test runs on an isolated instance: its router."""
        router: Router | None = getattr(self._local, "router", None)
        return router

    @property
    def endpoints(self) -> Endpoints:
        """The stack's endpoints, with the isolated instance's overlaid while routed."""
        routed: Endpoints | None = getattr(self._local, "endpoints", None)
        return self.stack_endpoints if routed is None else routed

    @property
    def discarded_with_run(self) -> bool:
        """True when the cluster dies with the run that owns it: an envtest stack with an owner.

        Its etcd data is removed at the stop, so deleting a test's namespace there is pure
        cost: kube-controller-manager's namespace controller lists and deletes every resource
        type in it, twice or more while the WEs' finalizers run (about 70 requests a pass). A
        kind cluster, an existing cluster or a `wetest up` stack outlives the run.
        """
        return bool(self.owner_pid) and self.endpoints.backend == "envtest"

    def command(self, name: str) -> dict[str, Any]:
        """Ask the supervisor to restart the controller, stop DataStorage, ...

        Under a router (an isolated test) the controller's and a private DataStorage's
        commands go to the test's own instance.
        """
        router = self.router
        if name == "component-status":
            result = self.component_status()
        elif router is not None and router.routes(name):
            result = control.send(self.shared, self.supervisor_pid, router.prefixed(name))
            router.instance = Endpoints.from_dict(result["endpoints"])
        else:
            line = router.rewritten(name) if router is not None else name
            result = control.send(self.shared, self.supervisor_pid, line)
        self.refresh()
        return result

    def component_status(self, timeout: float = 60.0) -> dict[str, Any]:
        """``{"components": {name: {"alive", "exit_code"}}}`` from the supervisor (their parent).

        Under a router the instance's controller (and DataStorage) replace the stack's.
        """
        line = "component-status"
        result = control.send(self.shared, self.supervisor_pid, line, timeout=timeout)
        if self.router is not None:
            own = control.send(
                self.shared, self.supervisor_pid, self.router.prefixed(line), timeout=timeout
            )
            result["components"].update(own["components"])
        return result

    def refresh(self) -> Endpoints:
        """Re-read stack.json: a restarted controller has a new pid, a stopped service none."""
        record = state.read(self.shared)
        if record is not None:
            self.stack_endpoints = record.endpoints
        router = self.router
        self._local.endpoints = None if router is None else router.overlay(self.stack_endpoints)
        return self.endpoints

    def route(self, router: Router | None) -> None:
        """Send this thread's commands to an isolated instance (None: back to the stack's)."""
        self._local.router = router
        self.refresh()

    def stop(self) -> list[int]:
        """Stop the stack (supervisor and its processes); return the pids it stopped."""
        stopped = spawning.stop(self.shared)
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
        return stopped


@dataclass
class DataStorage:
    """DataStorage as tests see it: its URL and an HTTP client with the URL as base."""

    url: str
    client: httpx.Client


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


def live(shared: Path) -> state.StackState | None:
    """The stack recorded in shared if its supervisor is alive (ready or still starting)."""
    found = state.read(shared)
    return found if found is not None and processes.pid_alive(found.supervisor_pid) else None


def ensure(
    shared: Path,
    options: Mapping[str, object | None] | None = None,
    *,
    components: str = "",
    owner_pid: int = 0,
    remove_when_orphaned: bool = False,
    before_start: Callable[[], None] | None = None,
) -> StackHandle:
    """Attach to the stack whose state is in ``shared``, starting it first if none is alive.

    ``options`` are command-line settings for a new supervisor (it resolves env and file
    itself); ``owner_pid`` makes it stop when that process exits; ``before_start`` runs only
    when a stack is about to be started (``wetest up``'s in-process preflight checks).
    """
    with filelocks.exclusive(shared / "stack.lock"):  # one supervisor, however many start
        if live(shared) is not None:
            return _handle(shared, spawning.wait_ready(shared, None), started=False)
        if before_start is not None:
            before_start()
        state.clear(shared)
        proc = spawning.spawn(
            shared,
            dict(options or {}),
            components,
            owner_pid=owner_pid,
            remove_when_orphaned=remove_when_orphaned,
        )
        stack = _handle(shared, spawning.wait_ready(shared, proc), started=True)
        stack.process = proc
        return stack


def attach(shared: Path) -> StackHandle:
    """Attach to a stack somebody else started; never start one."""
    if state.read(shared) is None:
        raise DependencyMissing(
            f"A running stack in {shared}",
            [str(shared / "stack.json")],
            "wetest up (or unset WETEST_STACK_DIR / --wetest-stack-dir)",
            verb="was not found",
        )
    return _handle(shared, spawning.wait_ready(shared, None), started=False)


def _handle(shared: Path, record: state.StackState, *, started: bool) -> StackHandle:
    return StackHandle(
        record.endpoints, shared, record.supervisor_pid, started, owner_pid=record.owner_pid
    )
