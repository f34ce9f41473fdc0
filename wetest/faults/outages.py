"""Outages and restarts of stack components, and the record of what was injected.

A fault either happens at once and is over when the call returns (a restart, a kill), or lasts
for a while (an outage, a pause): then the call returns at once, the fault ends by itself after
``seconds`` in a background thread, and :meth:`Faults.restore` (the fixture's teardown) ends
whatever still runs. So a test starts a fault and carries on with its ordinary steps while the
fault lasts, and ``Fault.wait()`` awaits its end when a step needs the stack whole again.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from wetest.errors import ConfigError
from wetest.faults.conflicts import ADMIN_PATH
from wetest.stack import probing
from wetest.stack.endpoints import Endpoints

Command = Callable[[str], dict[str, Any]]

APPLIES: dict[str, str] = {
    "datastorage_outage": "bundled DataStorage (any target); not with WETEST_DATASTORAGE_URL",
    "postgres_restart": "bundled local PostgreSQL (any target); not with a DSN or a container",
    "apiserver_restart": "envtest backend (any target); not kind or an existing cluster",
    "controller_kill": "bundled and command: targets; not deployed: or image:",
    "tekton_pause": "the Tekton stand-in (envtest backend); not real Tekton",
    "conflicts": "bundled and command: targets (their kubeconfig is wetest's); not deployed:",
}
"""Fault kind -> where it applies. A fault asked for where it does not apply raises
``FaultNotApplicable`` naming this line; a suite lists such tests as exclusions."""


class FaultNotApplicable(ConfigError):
    """The fault cannot be injected into this stack or target."""


@dataclass
class Fault:
    """One injected fault: its kind, when it began and ended, and what it did."""

    kind: str
    began: float = field(default_factory=time.monotonic)
    ended: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)
    _done: threading.Event = field(default_factory=threading.Event, repr=False)
    _end: Callable[[], None] | None = field(default=None, repr=False)

    def finish(self, **detail: Any) -> Fault:
        """Mark the fault over (idempotent); record what it did."""
        if not self._done.is_set():
            self.detail.update(detail)
            self.ended = time.monotonic()
            self._done.set()
        return self

    def wait(self, timeout: float = 120.0) -> Fault:
        """Wait until the fault is over (the stack restored); raise if it takes longer."""
        if not self._done.wait(timeout):
            raise TimeoutError(
                f"The fault {self.kind} did not end within {timeout:.0f}s. See the "
                "supervisor's log (supervisor.log in the stack folder), then re-run."
            )
        return self

    def end(self, at_least: float = 0.0) -> Fault:
        """End a lasting fault once it has lasted ``at_least`` seconds; return when restored.

        For a test that needs the fault to span its steps however long they take, yet last
        no less than a minimum: start it with a long ``seconds``, then call this.
        """
        self._done.wait(max(0.0, self.began + at_least - time.monotonic()))
        self.end_now()
        return self.wait()

    def end_now(self) -> None:
        """End a lasting fault early (what the fixture's teardown does)."""
        end, self._end = self._end, None
        if end is not None:
            end()

    def to_json(self) -> dict[str, Any]:
        took = (self.ended or time.monotonic()) - self.began
        return {"kind": self.kind, "seconds": round(took, 2), **self.detail}


class Faults:
    """Inject faults into one running stack; remember them; restore the stack at the end.

    ``apiserver``: the process ``apiserver_restart`` restarts; a test isolated on an API-server
    replica passes the replica's (``wetest.supervision.replicas.component(name)``), so that the
    restart hits its own controller's server and nobody else's.
    """

    def __init__(
        self,
        command: Command,
        endpoints: Callable[[], Endpoints],
        *,
        apiserver: str = "kube-apiserver",
    ) -> None:
        self._command = command
        self._endpoints = endpoints
        self.apiserver = apiserver
        self.injected: list[Fault] = []
        self._lock = threading.Lock()
        self._proxy = ""  # the conflict proxy's URL while a conflicts fault runs

    # --- instant faults ----------------------------------------------------------------------

    def apiserver_restart(self) -> Fault:
        """Restart kube-apiserver with the same flags and port, etcd kept; returns when ready.

        Every watch breaks; resume points the new server does not know answer 410 Gone.
        """
        self._require_process(self.apiserver, "apiserver_restart")
        detail = {} if self.apiserver == "kube-apiserver" else {"server": self.apiserver}
        fault = self._record(Fault("apiserver_restart", detail=detail))
        result = self._command(f"restart-component {self.apiserver}")
        return fault.finish(ready_after=round(float(result.get("seconds", 0.0)), 2))

    def postgres_restart(self) -> Fault:
        """Restart DataStorage's PostgreSQL (fast shutdown, same port and data)."""
        self._require_process("postgres", "postgres_restart")
        fault = self._record(Fault("postgres_restart"))
        result = self._command("restart-component postgres")
        return fault.finish(ready_after=round(float(result.get("seconds", 0.0)), 2))

    def controller_kill(self) -> Fault:
        """SIGKILL the controller under test (mid-reconcile if it has work) and restart it."""
        info = self._endpoints().controller
        if info is None or not info.pid:
            raise FaultNotApplicable(
                "controller_kill needs a controller process wetest started (targets: "
                f"{APPLIES['controller_kill']}). Run with --wetest-target bundled or "
                'command:"...", or list this test as an exclusion for this target.'
            )
        fault = self._record(Fault("controller_kill", detail={"killed_pid": info.pid}))
        result = self._command("restart-controller")
        return fault.finish(new_pid=int(result.get("controller_pid", 0)))

    # --- lasting faults ----------------------------------------------------------------------

    def datastorage_outage(self, seconds: float) -> Fault:
        """Stop DataStorage now; start it again on the same port after ``seconds``."""
        if not self._endpoints().pids.get("datastorage"):
            raise FaultNotApplicable(
                "datastorage_outage needs the bundled DataStorage "
                f"({APPLIES['datastorage_outage']}). Unset WETEST_DATASTORAGE_URL, or list "
                "this test as an exclusion for this stack."
            )
        self._command("stop-datastorage")
        return self._lasting(
            Fault("datastorage_outage", detail={"planned": seconds}),
            seconds,
            lambda: self._command("start-datastorage"),
        )

    def tekton_pause(self, seconds: float) -> Fault:
        """Freeze the Tekton stand-in (SIGSTOP) for ``seconds``, then let it go on (SIGCONT).

        PipelineRuns created meanwhile wait, as under a Tekton controller that is slow or
        restarting; its watch may expire, which it must survive (410 and re-list).
        """
        pid = self._endpoints().pids.get("tekton-stand-in", 0)
        if not pid:
            raise FaultNotApplicable(
                f"tekton_pause needs the Tekton stand-in ({APPLIES['tekton_pause']}). "
                "Run on the envtest backend with the stand-in, or list this test as an "
                "exclusion for this stack."
            )
        os.killpg(pid, signal.SIGSTOP)
        return self._lasting(
            Fault("tekton_pause", detail={"planned": seconds}),
            seconds,
            lambda: os.killpg(pid, signal.SIGCONT),
        )

    def conflicts(self, fraction: float, *, finalizers: bool = False, seed: int = 1) -> Fault:
        """Answer this fraction of the controller's WE status writes with 409 Conflict.

        Lasts until the test ends (or ``Fault.end_now()``); the controller is restarted onto
        the proxy (``wetest.faults.conflicts``) first and back off it at the end. ``finalizers``
        also conflicts its writes to the WE itself. The counts are in the fault's detail.
        """
        info = self._endpoints().controller
        if info is None or not info.pid:
            raise FaultNotApplicable(
                f"conflicts needs a controller process wetest started ({APPLIES['conflicts']}). "
                'Run with --wetest-target bundled or command:"...", or list this test as an '
                "exclusion for this target."
            )
        url = str(self._command("conflict-proxy on")["proxy"])
        policy = {"fraction": fraction, "finalizers": finalizers, "seed": seed}
        httpx.put(f"{url}{ADMIN_PATH}", json=policy, timeout=10).raise_for_status()
        fault = Fault("conflicts", detail={"fraction": fraction, "finalizers": finalizers})
        self._proxy = url

        def end() -> None:
            try:
                fault.detail.update(self.conflict_counts())
            finally:
                self._proxy = ""
                self._command("conflict-proxy off")
                fault.finish()

        fault._end = end
        return self._record(fault)

    def conflict_counts(self) -> dict[str, Any]:
        """Writes seen and 409s injected so far by the running conflict fault."""
        if not self._proxy:
            return {}
        counts: dict[str, Any] = probing.get(f"{self._proxy}{ADMIN_PATH}", timeout=10).json()
        return {k: counts[k] for k in ("writes", "injected", "injected_by_kind")}

    def _lasting(self, fault: Fault, seconds: float, end: Callable[[], object]) -> Fault:
        """Record a fault that ends by itself after seconds (or at restore, if earlier)."""
        once = threading.Lock()

        def finish() -> None:
            if not once.acquire(blocking=False):
                return
            try:
                end()
            finally:
                fault.finish()

        fault._end = finish
        timer = threading.Timer(seconds, finish)
        timer.daemon = True
        timer.start()
        return self._record(fault)

    # --- bookkeeping -------------------------------------------------------------------------

    def _record(self, fault: Fault) -> Fault:
        with self._lock:
            self.injected.append(fault)
        return fault

    def _require_process(self, name: str, kind: str) -> None:
        if not self._endpoints().pids.get(name):
            raise FaultNotApplicable(
                f"{kind} needs a {name} process that wetest started ({APPLIES[kind]}); this "
                f"stack has none. Run on the envtest backend with the bundled stack, or list "
                "this test as an exclusion for this stack."
            )

    def restore(self) -> list[dict[str, Any]]:
        """End every lasting fault still running; return what was injected (for evidence)."""
        for fault in list(self.injected):
            fault.end_now()
        return [fault.to_json() for fault in self.injected]
