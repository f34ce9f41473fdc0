"""Isolated controller instances: a disruptive test gets its own controller, beside the others.

A test that kills the controller, injects conflicts into its writes or stops DataStorage used
to hold those components exclusively (``wetest.plugin.locks``), so it waited for every test in
flight and every other test waited for it. When the target can be scoped to namespaces (the
``{watch_namespaces}``/``{ignore_namespaces}`` placeholders, ``wetest.targets.base``), the
supervisor instead keeps a **pool** of namespaces per stack start (``wetest-iso-<id>-<i>``):
the main controller ignores all of them, and a test that takes a slot of the pool gets a
private :class:`Instance` in it, a second process of the same target that watches only that
namespace, with its own ports, spool and logs, plus a private DataStorage on the same
PostgreSQL when the test disrupts DataStorage, a private PostgreSQL with a DataStorage on it
when it disrupts PostgreSQL, a private Tekton stand-in driver when it disrupts Tekton (such a
test takes one of the pool's last ``DRIVER_SLOTS``, whose PipelineRuns the main driver
ignores, ``wetest.stack.tekton.driver``; the other slots keep the main driver), plus its own
conflict proxy when it asks for one. The test's faults then hit only its own instance. The
pool records each instance's processes among the stack's pids while they run
(``isolated-<slot>/<name>``), so a failed stop still ends them by pid and
``supervision.leftovers`` names them.

A test that restarts the API server gets a kube-apiserver **replica** on the same etcd
(``apiserver-replica start|stop <name>``, the stack's; named ``iso-<slot>``): its instance
talks to the replica (``"kubeconfig"`` below) and its restart goes to the replica, so the
main API server, the Tekton stand-in and every other test never notice it.

Supervisor commands (``wetest.stack.control``), answered with ``{"endpoints": {...}}``, the
instance's view of the stack::

    isolated start <slot> {"cooldown": "2s", "datastorage": true, "postgres": false,
                           "tekton": false, "log_dir": "/abs/path",
                           "kubeconfig": "/the/replica/controller/kubeconfig"}
    isolated <slot> restart-controller | kill-controller | start-controller
    isolated <slot> stop-datastorage | start-datastorage | conflict-proxy on|off
    isolated <slot> restart-component postgres | tekton-stand-in | datastorage
    isolated stop <slot>

The instances run in the supervisor, not in the test's worker: they die with the stack
(PR_SET_PDEATHSIG), the supervisor alone knows PostgreSQL's password, and the fault commands
already go there. :class:`Router` is the test side: the one seam that sends a routed command
to the slot and overlays the instance's endpoints on the stack's.
"""

from __future__ import annotations

import copy
import json
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wetest.errors import ConfigError, StartupFailed
from wetest.stack import assembly, processes
from wetest.stack.endpoints import Endpoints
from wetest.supervision.lifecycle import Running
from wetest.targets.base import READY_TIMEOUT, ProcessTarget

POOL_SIZE = 12
"""Slots per stack: more than the isolated tests of the bundled suites (a test that finds
every slot taken falls back to the locks, so this bounds parallel private instances only)."""
DRIVER_SLOTS = 2
"""The last slots of the pool are for tests with a private Tekton stand-in driver: the main
driver ignores those namespaces' PipelineRuns (it is started knowing them, so the split
cannot change during the run), and every other isolated test keeps the main driver."""
PREFIX = "wetest-iso"
REPLICA_PREFIX = "iso-"
"""An isolated test's API-server replica is named ``iso-<slot>`` (process
``kube-apiserver-iso-<slot>``)."""
CONTROLLER_COMMANDS = frozenset({"restart-controller", "kill-controller", "start-controller"})
DATASTORAGE_COMMANDS = frozenset({"stop-datastorage", "start-datastorage"})


def pool_namespaces(stack_id: str, size: int = POOL_SIZE) -> tuple[str, ...]:
    """The pool's namespace names; the stack id keeps two stacks on one cluster apart."""
    return tuple(f"{PREFIX}-{stack_id}-{i}" for i in range(size))


def driver_slots(size: int) -> range:
    """The slots whose PipelineRuns a private driver plays (the pool's last ``DRIVER_SLOTS``)."""
    return range(max(0, size - DRIVER_SLOTS), size)


def driven(namespaces: tuple[str, ...]) -> tuple[str, ...]:
    """The namespaces of ``driver_slots``: the ones the main stand-in driver ignores."""
    return tuple(namespaces[slot] for slot in driver_slots(len(namespaces)))


def unsupported(target: object) -> str:
    """Why this target cannot run isolated instances, or "" when it can."""
    if not isinstance(target, ProcessTarget):
        name = getattr(target, "name", "none")
        return f"the target {name} is not a process wetest starts"
    if not target.scopable:
        return (
            "the target's command does not use {watch_namespaces} and {ignore_namespaces} "
            "(wetest.targets.base)"
        )
    return ""


class SlotStack(assembly.Stack):
    """What an instance sees of the stack: the main one's, with private processes maybe.

    Starts only what the test disrupts that can be private, and stops nothing else:

    - ``datastorage``: a DataStorage on the main PostgreSQL (the tests' audit queries see the
      same database);
    - ``postgres``: a PostgreSQL of its own (a fresh ``initdb``, ``wetest.stack.postgres``:
      0.6-0.8 s, as the stack's; a template copy would need an ``initdb`` first anyway) with
      a DataStorage on it, so a restart breaks no other test;
    - ``tekton``: a stand-in driver that plays only this namespace's PipelineRuns (the main
      one ignores the pool's driver slots), so a pause freezes no other test.

    ``restart-component`` serves those. ``private`` names the processes it started, which the
    pool records in the main stack's pids while they run (``Pool._record``).
    """

    def __init__(
        self,
        main: assembly.Stack,
        log_dir: Path,
        namespace: str,
        *,
        datastorage: bool = False,
        postgres: bool = False,
        tekton: bool = False,
    ) -> None:
        super().__init__(main.settings, (), log_dir)
        self.main = main
        self.namespace = namespace
        self.private_datastorage = datastorage or postgres
        self.private_postgres = postgres
        self.private_tekton = tekton
        self.endpoints = copy.deepcopy(main.endpoints)
        self.endpoints.controller = None
        self.endpoints.kubeconfigs = dict(main.endpoints.kubeconfigs)
        self.private: set[str] = set()

    def start(self) -> Endpoints:
        if self.private_tekton:
            self._start_tekton_driver(source=self.namespace)
            self.private.add("tekton-stand-in")
        if self.private_postgres:
            from wetest.stack import datastorage, postgres

            database = postgres.start(self.log_dir, cache=self.main.postgres_cache())
            self.audit = datastorage.AuditStack(
                datastorage=datastorage.DataStorageHandle(""),  # replaced just below
                postgres=database,
            )
            self._stoppers.append(self.audit.stop)  # DataStorage, then its PostgreSQL
            self.audit.datastorage = datastorage.start(database.dsn, self.log_dir, wait=False)
            self.endpoints.postgres = postgres.redact(database.dsn)
            self.endpoints.pids["postgres"] = database.pid
            self.endpoints.logs["postgres"] = str(database.log_path or "")
            self.private.add("postgres")
        elif self.private_datastorage:
            from wetest.stack import datastorage

            self.audit = datastorage.AuditStack(
                datastorage=datastorage.start(self._dsn(), self.log_dir, wait=False)
            )
            self._stoppers.append(self.audit.stop)  # postgres is None: only DataStorage stops
        if self.audit is not None:
            handle = self.audit.datastorage
            self.endpoints.datastorage = handle.url
            self.endpoints.pids["datastorage"] = handle.pid
            self.endpoints.logs["datastorage"] = str(handle.log_path)
            self.private.add("datastorage")
        return self.endpoints

    def _dsn(self) -> str:
        """The private PostgreSQL's DSN, else the main one's (which wetest must have started)."""
        if self.audit is not None and self.audit.postgres is not None:
            return self.audit.postgres.dsn
        audit = self.main.audit
        if audit is None or audit.postgres is None:
            raise ConfigError(
                "A private DataStorage needs the PostgreSQL that wetest started; this stack "
                "uses a DataStorage URL. Unset WETEST_DATASTORAGE_URL, or run the test with "
                "the stack's locks (it falls back to them when isolation is unavailable)."
            )
        return audit.postgres.dsn

    def start_datastorage(self) -> None:
        """Start the private DataStorage again on its port, against its PostgreSQL."""
        from wetest.stack import datastorage

        if self.audit is None:
            raise ConfigError("This isolated instance has no private DataStorage to start.")
        port = int(self.endpoints.datastorage.rsplit(":", 1)[1])
        self.audit.datastorage = datastorage.start(self._dsn(), self.log_dir, port)
        self.endpoints.pids["datastorage"] = self.audit.datastorage.pid

    def restart_component(self, name: str) -> float:
        """Restart a private process; the main stack's are not this instance's to restart."""
        if name not in self.private:
            raise ConfigError(
                f"This isolated instance runs no private {name}, so it cannot restart it. "
                f"Its private components: {', '.join(sorted(self.private)) or 'none'}; mark "
                f'the test we_disruptive("{name}") so that it gets one (or the lock).'
            )
        took = super().restart_component(name)
        if name == "tekton-stand-in" and self._tekton_proc is not None:
            self.endpoints.logs[name] = str(self._tekton_proc.log_path)
        return took


class Instance(Running):
    """A private controller (and DataStorage) for one slot; commands as the main Running's."""

    def __init__(self, main: Running, namespace: str, request: dict[str, Any]) -> None:
        main_target = main.target
        assert isinstance(main_target, ProcessTarget)  # Pool exists only for such targets
        log_dir = Path(str(request["log_dir"]))
        shutil.rmtree(log_dir.parent / "controller-spool", ignore_errors=True)  # fresh spool
        target = ProcessTarget(
            main_target.name,
            main_target.template,
            str(request.get("cooldown") or main_target.cooldown),
        )
        target.watch_namespaces = (namespace,)
        stack = SlotStack(
            main.stack,
            log_dir,
            namespace,
            datastorage=bool(request.get("datastorage")),
            postgres=bool(request.get("postgres")),
            tekton=bool(request.get("tekton")),
        )
        if request.get("kubeconfig"):  # an API-server replica's, for this instance only
            stack.endpoints.kubeconfigs["controller"] = str(request["kubeconfig"])
        super().__init__(main.stack.settings, stack=stack, target=target)
        self.namespace = namespace

    def start(self) -> Endpoints:
        """Start the processes without awaiting them: the test's worker awaits readiness.

        The test's worker then says which process it waits for and bounds the wait itself.
        """
        assert isinstance(self.target, ProcessTarget)
        self.target.wait_ready = False
        try:
            return super().start()
        finally:
            self.target.wait_ready = True  # a restart within the test is awaited as usual

    def stop(self) -> None:
        """Kill the controller at once: its spool and caches end with the test anyway."""
        self.kill_controller()
        super().stop()


@dataclass
class Pool:
    """The stack's isolation namespaces and the instances running in them, by slot."""

    main: Running
    namespaces: tuple[str, ...] = ()
    instances: dict[int, Instance] = field(default_factory=dict)
    used: set[int] = field(default_factory=set)  # slots whose namespace a test created

    @classmethod
    def create(cls, main: Running) -> Pool:
        return cls(main, pool_namespaces(secrets.token_hex(3)))

    def command(self, line: str) -> dict[str, Any]:
        """Run ``start <slot> <json>``, ``stop <slot>`` or ``<slot> <instance command>``."""
        verb, _, rest = line.strip().partition(" ")
        if verb == "start":
            slot_text, _, request = rest.partition(" ")
            return self.start(self._slot(slot_text), json.loads(request or "{}"))
        if verb == "stop":
            self.stop_one(self._slot(rest))
            return {"stopped": True}
        slot = self._slot(verb)
        instance = self.instances.get(slot)
        if instance is None:
            raise ConfigError(
                f"Slot {slot} of the isolation pool runs no instance. Start one with "
                f"'isolated start {slot} {{...}}' first."
            )
        try:
            result = instance.command(rest)
        finally:
            self._record(slot)  # a restart changed a pid
        return {**result, "endpoints": json.loads(instance.endpoints.to_json())}

    def _slot(self, text: str) -> int:
        if not text.strip().isdigit() or int(text) >= len(self.namespaces):
            raise ConfigError(
                f"'{text}' is not a slot of the isolation pool. Use 0 to "
                f"{len(self.namespaces) - 1}."
            )
        return int(text)

    def start(self, slot: int, request: dict[str, Any]) -> dict[str, Any]:
        """Start the slot's private instance (stopping a leftover one first)."""
        self.stop_one(slot)
        with self.main.stack.lock:  # the instance copies the main stack's endpoints
            instance = Instance(self.main, self.namespaces[slot], request)
            self.used.add(slot)
            self.instances[slot] = instance
        try:
            instance.start()
        except BaseException:
            self.stop_one(slot)
            raise
        self._record(slot)
        return {"endpoints": json.loads(instance.endpoints.to_json())}

    def stop_one(self, slot: int) -> None:
        with self.main.stack.lock:
            instance = self.instances.pop(slot, None)
        try:
            if instance is not None:
                instance.stop()
        finally:
            self._record(slot)

    def _record(self, slot: int) -> None:
        """Keep the slot's running processes among the main stack's pids (``isolated-<slot>/``).

        The state file then lists them, so a stop that fails to end them
        (``supervision.spawning.stop``) kills them by pid and ``supervision.leftovers`` reports
        them, as it does the stack's own processes.
        """
        with self.main.stack.lock:
            pids = self.main.endpoints.pids
            prefix = f"isolated-{slot}/"
            for name in [name for name in pids if name.startswith(prefix)]:
                del pids[name]
            instance = self.instances.get(slot)
            if instance is None:
                return
            controller = instance.endpoints.controller
            if controller is not None and controller.pid:
                pids[f"{prefix}controller"] = controller.pid
            stack = instance.stack
            assert isinstance(stack, SlotStack)
            for name in sorted(stack.private):
                if stack.endpoints.pids.get(name):
                    pids[f"{prefix}{name}"] = stack.endpoints.pids[name]

    def stop(self) -> None:
        """Stop every instance; delete the used namespaces of a cluster that outlives the run.

        An envtest cluster stops with the stack, so only kind and existing clusters need it.
        """
        for slot in list(self.instances):
            self.stop_one(slot)
        if self.used and self.main.stack.settings.backend != "envtest":
            self._delete_namespaces(sorted(self.used))

    def _delete_namespaces(self, slots: list[int]) -> None:
        from wetest.kube import clients, objects

        api = clients.api_client(self.main.endpoints.kubeconfig_of("harness"))
        namespaces = objects.ObjectRef.core("namespaces")
        for slot in slots:
            try:
                objects.delete(api, namespaces.named(self.namespaces[slot]), missing_ok=True)
            except Exception as exc:  # the stack still stops; say what is left behind
                print(
                    f"isolation namespace {self.namespaces[slot]} not deleted ({exc}); delete "
                    f"it with: kubectl delete namespace {self.namespaces[slot]}",
                    flush=True,
                )

    def reap(self, skip: frozenset[int] = frozenset()) -> dict[str, int | None]:
        """Instances' components that died on their own, named ``<slot>/<component>``.

        ``skip``: slots a command is acting on (one may be between a stop and a start).
        """
        with self.main.stack.lock:
            running = [(slot, one) for slot, one in self.instances.items() if slot not in skip]
        return {
            f"isolated-{slot}/{name}": code
            for slot, instance in running
            for name, code in instance.reap().items()
        }


@dataclass
class Router:
    """The test side of one slot: which commands go to the instance, and its endpoints.

    ``wetest.supervision.handle.StackHandle`` consults it (``command``, ``refresh``), so every
    fixture built on the handle (we_target, we_datastorage, we_faults, evidence) follows it.
    """

    slot: int
    namespace: str
    instance: Endpoints
    datastorage: bool
    apiserver: str = ""  # the replica's process name (kube-apiserver-iso-<slot>), if any
    postgres: bool = False  # a private PostgreSQL (with the private DataStorage on it)
    tekton: bool = False  # a private Tekton stand-in driver

    def routes(self, command: str) -> bool:
        """Whether a supervisor command is the instance's (its controller, its private ones)."""
        name, _, argument = command.partition(" ")
        if name in CONTROLLER_COMMANDS or name == "conflict-proxy":
            return True
        if name == "restart-component":
            return argument.strip() in self.private()
        return self.datastorage and name in DATASTORAGE_COMMANDS

    def private(self) -> frozenset[str]:
        """The components (process names) the instance runs for this test."""
        names = {"controller"}
        names |= {"datastorage"} if self.datastorage else set()
        names |= {"postgres"} if self.postgres else set()
        names |= {"tekton-stand-in"} if self.tekton else set()
        return frozenset(names)

    def rewritten(self, command: str) -> str:
        """A stack command as this test means it: the API server is its replica, if it has one."""
        if self.apiserver and command.split() == ["restart-component", "kube-apiserver"]:
            return f"restart-component {self.apiserver}"
        return command

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> float:
        """Await the instance's controller (``/readyz``) and private DataStorage (``/health``).

        Raises StartupFailed with the log tail when a process exits or stays unready.
        """
        from wetest.stack import probing

        started = time.monotonic()
        waiting = self._probes()
        while waiting:
            name, url, pid, log = waiting[0]
            if probing.answers_ok(url):
                waiting.pop(0)
                continue
            gone = not processes.pid_alive(pid)
            if gone or time.monotonic() - started > timeout:
                what = "exited" if gone else f"was not ready within {timeout:.0f}s"
                raise StartupFailed(
                    f"The isolated {name} of {self.namespace} {what}. Log tail ({log}):\n"
                    f"{processes.tail(Path(log))}\nFix the cause above, then re-run."
                )
            time.sleep(0.05)  # a port that starts listening has no event to await
        return time.monotonic() - started

    def _probes(self) -> list[tuple[str, str, int, str]]:
        """(name, URL, pid, log) of each process to await."""
        found: list[tuple[str, str, int, str]] = []
        controller = self.instance.controller
        if controller is not None and controller.health:
            ready = controller.health.removesuffix("/healthz") + "/readyz"
            found.append(("controller", ready, controller.pid, controller.log))
        if self.datastorage:
            pid, log = self.instance.pids.get("datastorage", 0), self.instance.logs["datastorage"]
            found.append(("DataStorage", f"{self.instance.datastorage}/health", pid, log))
        return found

    def prefixed(self, command: str) -> str:
        return f"isolated {self.slot} {command}"

    def overlay(self, main: Endpoints) -> Endpoints:
        """The stack's endpoints as this test sees them: the instance's controller and DS."""
        seen = copy.deepcopy(main)
        seen.controller = self.instance.controller
        seen.kubeconfigs["controller"] = self.instance.kubeconfig_of("controller")
        if self.datastorage:
            seen.datastorage = self.instance.datastorage
            seen.pids.pop("datastorage", None)
            if self.instance.pids.get("datastorage"):
                seen.pids["datastorage"] = self.instance.pids["datastorage"]
            seen.logs["datastorage"] = self.instance.logs.get("datastorage", "")
        for name in ("postgres", "tekton-stand-in"):
            if name in self.private():  # what we_faults pauses or restarts
                seen.pids[name] = self.instance.pids.get(name, 0)
                seen.logs[name] = self.instance.logs.get(name, "")
        if self.postgres:
            seen.postgres = self.instance.postgres
        return seen
