"""Start the stack and, when asked, the controller target; shared by `up`, `run` and pytest.

:class:`Running` also carries out the supervisor's commands (restart the controller, stop or
start DataStorage, restart any component), since it holds the objects that own those
processes, and reaps the ones that died on their own (:meth:`Running.reap`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from wetest import progress
from wetest.config.settings import Settings
from wetest.errors import ConfigError, WetestError
from wetest.stack import assembly, processes
from wetest.stack.endpoints import Endpoints
from wetest.targets import selecting
from wetest.targets.base import ProcessTarget

if TYPE_CHECKING:
    from wetest.faults.conflicts import ConflictProxy
    from wetest.supervision.isolation import Pool


class Running:
    """A started stack plus controller target; stop() stops both, target first.

    ``stack`` and ``target`` are given only by an isolated instance
    (``wetest.supervision.isolation.Instance``), which shares the main stack.
    """

    def __init__(
        self,
        s: Settings,
        components: tuple[str, ...] | None = None,
        *,
        stack: assembly.Stack | None = None,
        target: selecting.SelectedTarget | None = None,
    ) -> None:
        wanted = components or (*assembly.ALL, "controller")
        self.stack = stack or assembly.Stack(s, tuple(c for c in wanted if c in assembly.ALL))
        self.target: selecting.SelectedTarget | None = (
            target
            if stack is not None
            else selecting.target_for(s)
            if "controller" in wanted
            else None
        )
        self.pool: Pool | None = None  # isolation namespaces; set by start() when scopable
        self.restarts = 0
        self.down_on_request: set[str] = set()  # stopped by a command: not a death to report
        self.exited: dict[str, int | None] = {}  # died on their own: name -> exit code
        self.proxy: ConflictProxy | None = None  # the controller's conflict-injection proxy
        self._ahead = False  # a forecast asked for a replica ahead (supervision.forecast)
        self._direct_kubeconfig = ""

    @property
    def endpoints(self) -> Endpoints:
        return self.stack.endpoints

    def start(self) -> Endpoints:
        self._plan_isolation()
        self.stack.ahead = self._forecast_ahead
        self.stack.start()
        try:
            if self.pool is not None:  # the backend's start made the endpoints
                self.endpoints.isolation = list(self.pool.namespaces)
                self._replica_ahead()
            self._start_target()
            self.stack.ready()
        except BaseException:
            self.stack.stop()
            raise
        return self.endpoints

    def _plan_isolation(self) -> None:
        """Give a scopable main target a pool to ignore (``wetest.supervision.isolation``).

        Only the namespace names are chosen here: the tests create a slot's namespace when
        they first take it, so the stack start costs nothing more. Chosen before the stack
        starts: the Tekton stand-in driver ignores the PipelineRuns of the pool's driver slots.
        """
        from wetest.supervision import isolation

        scoped = isinstance(self.target, ProcessTarget) and not isolation.unsupported(self.target)
        if self.stack.components and scoped and isinstance(self.target, ProcessTarget):
            self.pool = isolation.Pool.create(self)
            self.target.ignore_namespaces = self.pool.namespaces
            self.stack.isolation = isolation.driven(self.pool.namespaces)

    def _forecast_ahead(self) -> tuple[str, ...]:
        """The replica the collected tests forecast, asked as the first kube-apiserver starts.

        Its backend spawns it beside that server (``EnvtestBackend.ahead``); a forecast written
        later (pytest still collecting) is read once the control plane is up instead.
        """
        from wetest.supervision import forecast

        self._ahead = self._ahead or forecast.take(self.stack.settings.state_dir)
        return (forecast.AHEAD,) if self._ahead else ()

    def _replica_ahead(self) -> None:
        """Spawn the API-server replica the collected tests forecast (``supervision.forecast``).

        Not awaited: the test that takes it awaits its /readyz. Spawned beside the first
        server already, it is only recorded here. A replica that cannot start costs nothing
        but the time: the test starts its own.
        """
        from wetest.stack.backends.envtest import EnvtestBackend
        from wetest.supervision import forecast

        if not self._forecast_ahead():
            return
        if not isinstance(self.stack.backend, EnvtestBackend):
            return
        try:
            self.stack.replica("spawn", forecast.AHEAD)
        except WetestError as exc:
            progress.say(f"the API-server replica forecast for a test did not start: {exc}")

    def _start_target(self) -> None:
        if self.target is not None:
            self.endpoints.controller = self.target.start(self.endpoints, self.stack.log_dir)
            self.stack.record_forkserver()

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.stop()
        if self.target is not None:
            self.target.stop()
        if self.proxy is not None:
            self.proxy.stop()
        self.stack.stop()

    def command(self, line: str) -> dict[str, Any]:
        """Carry out one supervisor command; return what the caller needs to know.

        A command is a name and, for ``restart-component``, the component's name:
        ``restart-component kube-apiserver``.
        """
        name, _, argument = line.partition(" ")
        handlers = {
            "restart-controller": self.restart_controller,
            "kill-controller": self.kill_controller,
            "start-controller": self.start_controller,
            "stop-datastorage": self.stop_datastorage,
            "start-datastorage": self.start_datastorage,
        }
        if name == "component-status":
            return self.component_status()
        if name == "restart-component":
            return {"seconds": self.restart_component(argument.strip()), **self._summary()}
        if name == "isolated":
            if self.pool is None:
                raise ConfigError(
                    "This stack runs no isolation pool: its target cannot be scoped to "
                    "namespaces. Run the test with the stack's locks instead."
                )
            return self.pool.command(argument)
        if name == "conflict-proxy":
            return {"proxy": self.conflict_proxy(argument.strip() == "on"), **self._summary()}
        if name == "apiserver-replica":
            return self.apiserver_replica(*argument.split())
        if name not in handlers:
            valid = ", ".join(
                [
                    *handlers,
                    "component-status",
                    "restart-component <name>",
                    "conflict-proxy on|off",
                    "isolated ...",
                    "apiserver-replica start|spawn|restart|stop|kill [<name>]",
                ]
            )
            raise ConfigError(f"Unknown supervisor command '{line}'. Valid: {valid}.")
        handlers[name]()
        return self._summary()

    def _summary(self) -> dict[str, Any]:
        controller = self.endpoints.controller
        return {
            "controller_pid": controller.pid if controller else 0,
            "datastorage": self.endpoints.datastorage,
        }

    def component_status(self) -> dict[str, Any]:
        """Each started process: alive and exit code (the controller's under "controller")."""
        found: dict[str, Any] = dict(self.stack.component_status())
        if isinstance(self.target, ProcessTarget) and self.target.proc is not None:
            found["controller"] = assembly.process_status(self.target.proc)
        return {"components": found}

    def kill_controller(self) -> None:
        """SIGKILL the controller (a crash, as a node failure would cause)."""
        self.down_on_request.add("controller")
        if isinstance(self.target, ProcessTarget) and self.target.proc is not None:
            processes.stop_pid(self.target.proc.pid, timeout=0)
            self.target.proc.stop(timeout=1)

    def start_controller(self) -> None:
        self._start_target()
        self._back("controller")

    def restart_controller(self) -> None:
        """Kill the controller and start a fresh process against the same stack."""
        self.kill_controller()
        self.restarts += 1
        self.start_controller()

    def stop_datastorage(self) -> None:
        self.down_on_request.add("datastorage")
        self.stack.stop_datastorage()

    def start_datastorage(self) -> None:
        self.stack.start_datastorage()
        self._back("datastorage")

    def restart_component(self, name: str) -> float:
        """Restart one component with the same flags and ports; the seconds until ready.

        ``controller`` restarts the controller under test (its ports are chosen anew, as
        ``restart-controller`` does); every other name is a process of the stack.
        """
        if name == "controller":
            self.restart_controller()
            return 0.0
        self.down_on_request.add(name)
        took = self.stack.restart_component(name)
        self._back(name)
        return took

    def apiserver_replica(self, action: str = "", name: str = "") -> dict[str, Any]:
        """Start, spawn, restart, stop or kill a kube-apiserver replica (``wetest.stack.replica``).

        Answers the replica's record (name, url, pid, kubeconfigs by identity, audit_log, log;
        pid 0 once stopped) plus ``seconds``, the time until it was ready. ``spawn`` answers
        before it is ready (the caller awaits /readyz: ``supervision.replicas.wait_ready``);
        ``kill`` stops it without its graceful shutdown (about a second), as a test's teardown
        wants.
        """
        from wetest.stack import replica

        name = name or replica.DEFAULT_NAME
        process = replica.component(replica.check_name(name))
        self.down_on_request.add(process)  # a restart or stop on request is not a death
        info, took = self.stack.replica(action, name)
        if info.pid:
            self._back(process)
        return {**info.to_json(), "seconds": round(took, 2)}

    def conflict_proxy(self, on: bool) -> str:
        """Route the controller through the conflict-injection proxy (on) or not (off).

        Either way the controller restarts, since a process reads its kubeconfig once. Returns
        the proxy's URL (its control path is ``/_wetest/conflicts``), or "" when off.
        """
        from wetest.faults.conflicts import ConflictProxy

        if not isinstance(self.target, ProcessTarget):
            raise ConfigError(
                "Conflict injection needs a controller process that wetest starts with its "
                "own kubeconfig (bundled or command: targets); this target is "
                f"{getattr(self.target, 'name', 'none')}. List the test as an exclusion "
                "for this target."
            )
        kubeconfigs = self.endpoints.kubeconfigs
        if on and self.proxy is None:
            original = Path(self.endpoints.kubeconfig_of("controller"))
            self.proxy = ConflictProxy(original, self.stack.log_dir.parent / "conflict-proxy")
            self.proxy.start()
            self._direct_kubeconfig = kubeconfigs.get("controller", "")
            # in the proxy's own folder: an isolated instance's proxy must not overwrite it
            proxied = self.proxy.kubeconfig(self.proxy.work_dir / "kubeconfig-controller")
            kubeconfigs["controller"] = str(proxied)
            self.restart_controller()
        elif not on and self.proxy is not None:
            kubeconfigs["controller"] = self._direct_kubeconfig
            if not self._direct_kubeconfig:
                kubeconfigs.pop("controller")
            self.restart_controller()
            self.proxy.stop()
            self.proxy = None
        return self.proxy.url if self.proxy is not None else ""

    def _back(self, name: str) -> None:
        self.down_on_request.discard(name)
        self.exited.pop(name, None)

    def reap(self, busy: frozenset[str] = frozenset()) -> dict[str, int | None]:
        """Collect components that died on their own since the last call: name -> exit code.

        Polling each child reaps it (no zombie is left behind, whatever killed it); what
        was stopped by a command is not reported. ``busy``: the keys of the commands running
        (``supervision.dispatch``), whose components are left for the next call: one may be
        between its stop and its start.
        """
        from wetest.supervision import dispatch

        slots = {dispatch.slot_of(key) for key in busy}
        died: dict[str, int | None] = {}
        if None not in slots:  # no command on the main stack or a replica of it
            found = self.component_status()["components"]
            died = {
                name: status["exit_code"]
                for name, status in found.items()
                if not status["alive"]
                and name not in self.down_on_request
                and name not in self.exited
            }
            self.exited.update(died)
        if self.pool is not None:
            died.update(self.pool.reap(frozenset(slot for slot in slots if slot is not None)))
        return died


def log_dir_for(s: Settings) -> Path:
    return s.state_dir / "logs"
