"""The Stack: a cluster backend, the Tekton stand-in and DataStorage, assembled.

The controller under test is not part of the Stack: it is a *target* (``wetest.targets``), one
layer up, started against the Stack's endpoints.

Used in-process by the pytest plugin and by the `wetest up` supervisor. Components are
started in dependency order and stopped in reverse, and a failure while starting stops what
already runs before the error propagates: no process outlives the Stack.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from wetest import progress
from wetest.config.settings import Settings
from wetest.errors import ConfigError, StartupFailed
from wetest.stack import processes
from wetest.stack.backends.base import ClusterBackend
from wetest.stack.endpoints import Endpoints, ReplicaInfo

if TYPE_CHECKING:
    from wetest.stack.datastorage import AuditStack
    from wetest.stack.tekton.real.tier import RealTekton

ALL = ("cluster", "tekton", "datastorage")
RESTART_GRACE = 3.0
"""Seconds a component gets to stop on SIGTERM before SIGKILL when restarted on request."""
APISERVER_GRACE = 1.0
"""The same for kube-apiserver (and its replicas). On SIGTERM it stops listening at once, then
waits for open requests up to its 60 s request timeout, and a watch stays open: with a client
watching, a restart always ends in the KILL, so each second of grace only lengthens the outage
(and the fault's test). The open watches keep streaming during the grace, so with 3 s the
PipelineRuns of the API-server restart test finished before the cut, and with 1 s they finish
inside the outage: a watch that gives up then leaves them Running, which the triage reads as
a controller that stopped reconciling (``report.analysis.controller``) since the WEs created
after the restart get nothing either."""


def backend_for(settings: Settings) -> ClusterBackend:
    """Build the configured backend (imports lazily: kind needs none of envtest's code)."""
    if settings.backend == "envtest":
        from wetest.stack.backends import envtest

        return envtest.create(settings)
    if settings.backend == "existing":
        from wetest.stack.backends import existing

        return existing.create(settings)
    if settings.backend == "kind":
        from wetest.stack.kind import backend as kind

        return kind.create(settings)
    raise ConfigError(
        f"'{settings.backend}' is not a valid backend "
        f"(from {settings.source_of('backend')}). Valid: envtest, kind, existing."
    )


class Stack:
    """Start and stop the selected components; endpoints are available after start()."""

    def __init__(
        self, settings: Settings, components: tuple[str, ...] = ALL, log_dir: Path | None = None
    ) -> None:
        self.settings = settings
        self.components = components
        self.log_dir = log_dir or settings.state_dir / "logs"
        self.backend: ClusterBackend | None = None
        self.ahead: Callable[[], Sequence[str]] | None = None  # see EnvtestBackend.ahead
        self.endpoints = Endpoints()
        self._stoppers: list[Callable[[], object]] = []
        self.audit: AuditStack | None = None
        self._audit_endpoints = Endpoints()  # filled by DataStorage's start, possibly in a thread
        self._background: list[_Beside] = []
        self._warmer: _Beside | None = None
        self._tekton_proc: processes.ManagedProcess | None = None
        self.real_tekton: RealTekton | None = None
        self._forking = False  # holds the process's fork server (forkserver.client.acquire)
        self.lock = threading.RLock()
        """Held while the endpoints' maps change or are read whole (the supervisor runs
        commands side by side, ``wetest.supervision.dispatch``)."""
        self.isolation: tuple[str, ...] = ()
        """The isolation pool's driver slots (``wetest.supervision.isolation.driven``), set
        before start(): the stand-in driver leaves those WEs' PipelineRuns to private ones."""

    def __enter__(self) -> Stack:
        self.start()
        self.ready()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> Endpoints:
        beside: _Beside | None = None
        try:
            self._acquire_forkserver()
            beside = self._datastorage_beside_cluster()
            self._start_cluster()
            if beside is not None and (error := beside.outcome()) is not None:
                raise error
            self._merge_datastorage()
            if "tekton" in self.components and self.settings.backend != "kind":
                if self.settings.tekton == "real":
                    self._start_real_tekton()
                else:
                    self._start_tekton_driver()
                    self._warm_tekton_writes()
        except BaseException:
            if beside is not None:
                beside.outcome()  # what it started is stopped below, not left behind
            self.stop()
            raise
        self.record_forkserver()
        return self.endpoints

    def record_forkserver(self) -> None:
        """List the fork server among the stack's pids once it runs (the leftover checks)."""
        from wetest.stack.forkserver import client as forking

        server = forking.current() if self._forking else None
        if server is not None:
            self.endpoints.pids[server.proc.name] = server.proc.pid

    def _acquire_forkserver(self) -> None:
        """Start wetest's Python programs (controller, DataStorage, stand-in) by forking.

        Not for kind, which runs them in the cluster, nor with the ``fork_server`` setting
        off. The server imports them while the
        cluster starts; it is released last in :meth:`stop`, after everything it forked.
        """
        if self.settings.backend != "kind" and self.settings.fork_server and not self._forking:
            from wetest.stack.forkserver import client as forking

            forking.acquire(self.log_dir)
            self._forking = True

    def _datastorage_beside_cluster(self) -> _Beside | None:
        """Probe a user's DataStorage URL now; start a bundled one in a thread.

        A bad URL then fails in milliseconds, and the bundled PostgreSQL + server (about a
        second) start while the cluster starts.
        """
        if "datastorage" not in self.components:
            return None
        if self.settings.datastorage_url:
            self._start_datastorage()
            return None
        return self._beside(self._start_datastorage)

    def _beside(self, step: Callable[[], object]) -> _Beside:
        """Start step in a thread that lives until stop() (see _Beside)."""
        beside = _Beside(step)
        self._background.append(beside)
        beside.start()
        return beside

    def _start_cluster(self) -> None:
        from wetest.stack.backends.envtest import EnvtestBackend

        self.backend = backend_for(self.settings)
        if isinstance(self.backend, EnvtestBackend):
            self.backend.ahead = self.ahead
        self._stoppers.append(self.backend.stop)
        self.endpoints = self.backend.start()

    def _merge_datastorage(self) -> None:
        """Copy what DataStorage's start recorded into the cluster's endpoints."""
        found = self._audit_endpoints
        if found.datastorage:
            self.endpoints.datastorage, self.endpoints.postgres = found.datastorage, found.postgres
            self.endpoints.pids.update(found.pids)
            self.endpoints.logs.update(found.logs)

    def postgres_cache(self) -> Path | None:
        """Where a local PostgreSQL's template is kept (``postgres.template``); None: no cache."""
        return None if self.settings.no_cache else self.settings.cache_dir

    def _start_datastorage(self) -> None:
        from wetest.stack import datastorage, postgres

        s = self.settings
        self.audit = datastorage.provide(
            self.log_dir,
            url=s.datastorage_url,
            postgres_dsn=s.postgres_dsn,
            postgres_mode=s.postgres,
            cache=self.postgres_cache(),
        )
        self._stoppers.append(self.audit.stop)
        handle, found = self.audit.datastorage, self._audit_endpoints
        found.datastorage = handle.url
        if self.audit.postgres is not None:
            found.postgres = postgres.redact(self.audit.postgres.dsn)
            if self.audit.postgres.pid:
                found.pids["postgres"] = self.audit.postgres.pid
        if handle.pid:
            found.pids["datastorage"] = handle.pid
            found.logs["datastorage"] = str(handle.log_path)

    def stop_datastorage(self) -> None:
        """Stop the bundled DataStorage process (resilience tests); PostgreSQL keeps running."""
        if self.audit is None or self.audit.datastorage.process is None:
            raise ConfigError(
                "Only a bundled DataStorage can be stopped by wetest; unset "
                "WETEST_DATASTORAGE_URL to use one."
            )
        self.audit.datastorage.stop()
        self.endpoints.pids.pop("datastorage", None)

    def start_datastorage(self) -> None:
        """Start the bundled DataStorage again on the same port, so its URL stays valid."""
        from wetest.stack import datastorage

        if self.audit is None or self.audit.postgres is None:
            raise ConfigError("Only a bundled DataStorage can be restarted by wetest.")
        port = int(self.endpoints.datastorage.rsplit(":", 1)[1])
        self.audit.datastorage = datastorage.start(self.audit.postgres.dsn, self.log_dir, port)
        self.endpoints.pids["datastorage"] = self.audit.datastorage.pid

    def restart_component(self, name: str) -> float:
        """Restart one started process in place (same flags, ports, data); return its seconds.

        etcd keeps its data across a restart, so a kube-apiserver restart is the "API server
        restarted, etcd kept" fault: watches end, resume points may be gone (410), objects stay.
        The controller under test is not a Stack component (see ``supervision.lifecycle``).
        """
        from wetest.stack import postgres

        if name == "datastorage":
            self.stop_datastorage()
            self.start_datastorage()
            return 0.0
        if name == "postgres" and self.audit is not None and self.audit.postgres is not None:
            took = postgres.restart(self.audit.postgres)
            self.endpoints.pids["postgres"] = self.audit.postgres.pid
            return took
        replica_name = name.removeprefix("kube-apiserver-")
        if name != replica_name and replica_name in self.endpoints.replicas:
            return self.replica("restart", replica_name)[1]  # keeps its record up to date
        return self._restart_process(name)

    def _restart_process(self, name: str) -> float:
        proc = self.process(name)
        if proc is None:
            known = ", ".join(sorted({*self.component_status(), "datastorage", "postgres"}))
            raise ConfigError(
                f"There is no stack component '{name}' that wetest started and can restart "
                f"(backend {self.settings.backend}). Valid: {known}."
            )
        grace = APISERVER_GRACE if name.startswith("kube-apiserver") else RESTART_GRACE
        took = proc.restart(stop=lambda p: p.stop(timeout=grace))
        self.endpoints.pids[name] = proc.pid
        return took

    def replica(self, action: str, name: str) -> tuple[ReplicaInfo, float]:
        """Start, spawn, restart, stop or kill an API-server replica (``wetest.stack.replica``).

        Returns its record and the seconds the action took until the replica was ready (stop,
        kill: until it was gone).

        Only the envtest backend has replicas. The record goes into the endpoints (and so into
        stack.json), its pid among the stack's pids while it runs.
        """
        from wetest.stack import replica
        from wetest.stack.backends.envtest import EnvtestBackend

        backend = self.backend
        if not isinstance(backend, EnvtestBackend):
            raise ConfigError(
                f"An API-server replica needs the envtest backend (wetest starts its "
                f"kube-apiserver), not '{self.settings.backend}'. Run with --wetest-backend "
                "envtest, or list the test that needs a replica as an exclusion."
            )
        process = replica.component(replica.check_name(name))
        began = time.monotonic()
        if action in ("start", "spawn"):  # spawn: answer before /readyz, the caller awaits it
            info: ReplicaInfo = backend.start_replica(name, wait=action == "start")
        elif action == "restart":
            if name not in self.endpoints.replicas or not self.endpoints.replicas[name].pid:
                raise ConfigError(
                    f"The API-server replica '{name}' is not running, so it cannot be "
                    f"restarted. Start it first: apiserver-replica start {name}"
                )
            self._restart_process(process)
            info = backend.start_replica(name)  # alive: only reads its record
        elif action in ("stop", "kill"):  # kill: at once, as a test's teardown wants
            info = backend.stop_replica(name, 0.0 if action == "kill" else replica.STOP_GRACE)
        else:
            raise ConfigError(
                f"Unknown API-server replica action '{action}'. Valid: start, spawn, restart, "
                "stop, kill."
            )
        with self.lock:
            self.endpoints.replicas[name] = info
            if info.pid:
                self.endpoints.pids[process], self.endpoints.logs[process] = info.pid, info.log
            else:
                self.endpoints.pids.pop(process, None)
        return info, time.monotonic() - began

    def process(self, name: str) -> processes.ManagedProcess | None:
        """The started process of one component by its name, if this stack started it."""
        procs: list[processes.ManagedProcess] = list(getattr(self.backend, "procs", []))
        if self._tekton_proc is not None:
            procs.append(self._tekton_proc)
        return next((p for p in procs if p.name == name), None)

    def _warm_tekton_writes(self) -> None:
        from wetest.kube import clients
        from wetest.stack import apiaudit
        from wetest.stack.tekton import admission, warming

        api = clients.api_client(
            self.endpoints.kubeconfig_of("harness"), user_agent=apiaudit.USER_AGENTS["harness"]
        )
        namespace = self.endpoints.execution_namespace

        def warm_then_check() -> None:
            warming.warm_tekton_writes(api, namespace)
            admission.await_enforced(api, namespace)  # the driver applied it at its start

        self._warmer = self._beside(warm_then_check)

    def ready(self) -> None:
        """Wait for the start's background work: the write warm-up and the admission check.

        The PipelineRun write warm-up takes ~2 s; the stand-in's admission policy must be
        enforced before a test creates a PipelineRun (``tekton.admission.await_enforced``).
        Callers start the controller first, so the two overlap; see ``tekton.warming``.
        """
        if self._warmer is not None:
            error, self._warmer = self._warmer.outcome(), None
            if isinstance(error, StartupFailed):  # the stand-in's admission check is missing
                raise error
            if error is not None:  # harmless: the first real write pays the cost instead
                progress.say(f"PipelineRun warm-up failed (harmless): {error}")

    def _start_tekton_driver(self, source: str = "") -> None:
        """Start the stand-in driver: every PipelineRun but the pool's, or only ``source``'s.

        ``source``: an isolated test's namespace (its private driver, ``SlotStack``).
        """
        argv = [
            sys.executable,
            "-m",
            "wetest.stack.tekton.driver",
            "--kubeconfig",
            self.endpoints.kubeconfig_of("tekton"),
        ]
        if source:
            argv += ["--source-namespace", source]
        elif self.isolation:
            argv += ["--ignore-source-namespaces", ",".join(self.isolation)]
        proc = processes.ManagedProcess(
            "tekton-stand-in", argv, self.log_dir / "tekton-stand-in.log"
        ).start()
        self._stoppers.append(proc.stop)
        self._tekton_proc = proc
        self.endpoints.tekton = "stand-in"
        self.endpoints.pids[proc.name] = proc.pid
        self.endpoints.logs[proc.name] = str(proc.log_path)

    def _start_real_tekton(self) -> None:
        """Tekton's own controller, webhook and resolvers, KWOK and a registry (tekton.real)."""
        from wetest.stack.tekton.real.tier import RealTekton

        if self.settings.backend != "envtest":
            raise ConfigError(
                f"The real Tekton tier runs on backend envtest only, not "
                f"'{self.settings.backend}' (kind installs Tekton's release itself). "
                "Use --wetest-backend envtest, or --wetest-tekton stand-in."
            )
        real = RealTekton(self.settings, self.log_dir)
        self.real_tekton = real
        self._stoppers.append(real.stop)
        real.start(self.endpoints)

    def stop(self) -> None:
        """Stop every component at once; report but survive individual stop failures.

        The components do not need each other to shut down (the backend orders its own
        processes), so their shutdowns overlap: a teardown costs the slowest, not the sum.
        """
        stoppers, self._stoppers = self._stoppers[::-1], []
        threads = [
            threading.Thread(target=_stop_one, args=(stopper,), name="wetest-stop")
            for stopper in stoppers
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for beside in self._background:
            beside.release.set()
        self._background.clear()
        if self._forking:
            from wetest.stack.forkserver import client as forking

            self._forking = False
            forking.release()

    def export_logs(self, into: Path) -> list[Path]:
        return self.backend.export_logs(into) if self.backend else []

    def component_status(self) -> dict[str, dict[str, object]]:
        """Liveness and exit code of each process this stack started (for stack.json).

        Only the parent can know an exit code, so the supervisor answers this for the workers.
        """
        procs: list[processes.ManagedProcess] = list(getattr(self.backend, "procs", []))
        if self._tekton_proc is not None:
            procs.append(self._tekton_proc)
        if self.real_tekton is not None:
            procs.extend(self.real_tekton.procs)
        if self.audit is not None and self.audit.datastorage.process is not None:
            procs.append(self.audit.datastorage.process)
        if self.audit is not None and self.audit.postgres and self.audit.postgres.process:
            procs.append(self.audit.postgres.process)
        return {p.name: process_status(p) for p in procs}


class _Beside(threading.Thread):
    """Run one start step in a thread; keep its exception for the caller.

    The thread then parks until the Stack stops: children die with the *thread* that started
    them (PR_SET_PDEATHSIG follows the parent thread, not the process), so it must outlive them.
    Used for DataStorage's start and for the Tekton write warm-up.
    """

    def __init__(self, step: Callable[[], object]) -> None:
        super().__init__(name="wetest-start", daemon=True)
        self.step = step
        self.error: BaseException | None = None
        self.finished = threading.Event()
        self.release = threading.Event()

    def run(self) -> None:
        try:
            self.step()
        except BaseException as exc:  # handed to the starting thread, which raises it
            self.error = exc
        finally:
            self.finished.set()
        self.release.wait()

    def outcome(self) -> BaseException | None:
        """Wait until the step has run; return its exception, if any."""
        self.finished.wait()
        return self.error


def process_status(proc: processes.ManagedProcess) -> dict[str, object]:
    """{"alive": bool, "exit_code": int | None} of one started process."""
    alive = proc.alive()
    code = None if alive or proc.popen is None else proc.popen.returncode
    return {"alive": alive, "exit_code": code}


def _stop_one(stopper: Callable[[], object]) -> None:
    try:
        stopper()
    except Exception as exc:  # keep stopping the rest
        progress.say(f"stopping a component failed: {exc}")
