"""Isolated instances for disruptive and cooldown tests: the plugin's side of the pool.

A test whose ``we_disruptive`` components are all private-able (``controller``,
``datastorage``; ``apiserver`` with replicas; ``tekton`` on the stand-in tier; ``postgres``
when wetest starts PostgreSQL: ``private()``), or that asks for its own cooldown
(``@pytest.mark.we_cooldown("2s")``), runs on its own instance of the target when the stack
has an isolation pool (``wetest.supervision.isolation``): it takes a free slot (a ``flock``),
its ``we_namespace`` is the slot's namespace, and the supervisor starts a private controller
watching only that namespace, plus a private DataStorage when it disrupts DataStorage, a
private PostgreSQL (with that DataStorage on it) when it disrupts PostgreSQL, and a private
Tekton stand-in driver that plays only the slot's PipelineRuns when it disrupts Tekton. Its
handle then routes the controller's, DataStorage's, PostgreSQL's and the driver's commands
and endpoints to the instance (``StackHandle.route``), so ``we_target``, ``we_datastorage``,
``we_audit``, ``we_faults`` (``tekton_pause`` freezes the private driver,
``postgres_restart`` restarts the private PostgreSQL), ``we_stack.command`` and the failure
evidence all see the instance. Its locks
(``wetest.plugin.locks``) are then shared ones on what it still uses of the main stack: it
runs beside every other test instead of alone at the end.

Without a pool (a ``deployed:``/``image:`` target, a ``command:`` template without the
namespace placeholders) or without a free slot, the test runs as before: on the main
controller, holding what it disrupts exclusively. A ``we_cooldown`` test then runs with the
run's cooldown, which is why such tests read the ``we_cooldown`` fixture, never the setting.

Teardown deletes the test's WorkflowExecutions while its controller still runs (their
finalizers remove their PipelineRuns), bounded by ``CLEANUP_TIMEOUT``; a slot that cannot be
cleaned, or whose failed test is kept (``--wetest-keep-failed``), is marked dirty and never
handed out again in this run.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pytest

from wetest import filelocks
from wetest.config.settings import Settings
from wetest.plugin import inflight, locks, session, workers

if TYPE_CHECKING:
    from kubernetes import client

    from wetest.stack.endpoints import Endpoints, ReplicaInfo

ISOLATED = pytest.StashKey["Isolated"]()
PROPERTY = "wetest_isolation"
"""The user_properties key: "instance <namespace>" or "locks: <why>" for a test that wanted one."""
PRIVATE = frozenset({"controller", "datastorage"})
"""The components a private instance can always stand in for (``private()`` adds the rest)."""
TEKTON = "tekton"
"""Stood in for by a private Tekton stand-in driver (the stand-in tier only: real Tekton's
controller cannot be scoped to one namespace's PipelineRuns, so it keeps the locks)."""
POSTGRES = "postgres"
"""Stood in for by a private PostgreSQL that wetest starts (not a DSN, not a container)."""
REPLICATED = "apiserver"
"""Stood in for by a kube-apiserver replica on the stack's etcd, where the stack has them."""
REPLICA_TIMEOUT = 120.0
"""Seconds for a replica to be ready (kube-apiserver: 4-15 s on a busy machine)."""
CLEANUP_TIMEOUT = 15.0
"""Seconds for the test's WEs to be gone (finalizers run) before the slot is given up."""


def wanted(item: pytest.Item) -> bool:
    """Own cooldown asked, or only private-able components disrupted beside other workers.

    With one test in flight (``--wetest-in-flight 1``) nothing runs beside a disruptive test: an
    instance would only add its start, so the test keeps the main controller (its locks are
    free).
    """
    disrupted = locks.disrupts(item)
    if not disrupted <= private(session.get(item.config)):
        return False
    if item.get_closest_marker("we_cooldown") is not None:
        return True
    return bool(disrupted) and inflight.in_flight(item.config) > 1


def private(settings: Settings) -> frozenset[str]:
    """The components an isolated test of this run can have its own of."""
    found = set(PRIVATE)
    if replicas(settings):
        found.add(REPLICATED)
    if settings.tekton_tier == "stand-in":
        found.add(TEKTON)
    if settings.postgres == "local" and not (settings.postgres_dsn or settings.datastorage_url):
        found.add(POSTGRES)
    return frozenset(found)


def replicas(settings: Settings) -> bool:
    """Whether the stack can run kube-apiserver replicas (``wetest.stack.replica``: envtest)."""
    return settings.backend == "envtest"


def scopable(settings: Settings) -> bool:
    """Whether the run's target can run isolated instances (decided before the stack runs)."""
    from wetest.targets import base, bundled

    spec = settings.target
    if spec == "bundled":
        return base.scopable(bundled.COMMAND)
    return spec.startswith("command:") and base.scopable(spec)


def planned(item: pytest.Item) -> bool:
    """Whether the test is meant to run isolated in this run (for scheduling)."""
    return wanted(item) and scopable(session.get(item.config))


def marked_cooldown(item: pytest.Item) -> str:
    """The cooldown a ``we_cooldown`` marker asks for, or "" (the run's)."""
    found = item.get_closest_marker("we_cooldown")
    if found is None:
        return ""
    if len(found.args) != 1 or not isinstance(found.args[0], str):
        raise pytest.UsageError(
            f"{item.nodeid}: we_cooldown takes one Go duration, such as "
            '@pytest.mark.we_cooldown("2s"). Fix the marker.'
        )
    return found.args[0]


def cooldown(item: pytest.Item) -> str:
    """The cooldown of the controller this test talks to (its instance's, or the run's)."""
    isolated = item.stash.get(ISOLATED, None)
    return isolated.cooldown if isolated is not None else session.get(item.config).cooldown


def run_mode(endpoints: Endpoints | None) -> dict[str, object]:
    """What run.json says about isolation: the mode the run used and the pool it had."""
    pool = endpoints.isolation if endpoints is not None else []
    if pool:
        return {"mode": "instances", "pool": list(pool)}
    return {"mode": "locks", "pool": []}


@pytest.fixture
def we_cooldown(request: pytest.FixtureRequest) -> str:
    """The cooldown (a Go duration) of the controller this test's WEs are reconciled by.

    A ``we_cooldown("2s")`` test runs on an instance with that cooldown when isolation is
    available, else on the main controller with the run's (ENV-004's 10 s): read this,
    never ``we_settings.cooldown``, to wait it out.
    """
    return cooldown(request.node)


@dataclass
class Isolated:
    """A test's slot, its private instance and the routing of its handle."""

    item: pytest.Item
    api: client.ApiClient
    slot: int
    namespace: str
    lock: IO[str]
    folder: Path
    cooldown: str
    datastorage: bool
    replica: ReplicaInfo | None = None  # the API-server replica's record, when it has one
    postgres: bool = False  # a private PostgreSQL, with the private DataStorage on it
    tekton: bool = False  # a private Tekton stand-in driver
    ahead: IO[str] | None = None  # the lock on the replica spawned ahead, when it took that one

    @property
    def unlocked(self) -> frozenset[str]:
        """The components the test takes no lock on: the ones its instance owns.

        Always its controller; Tekton with a private driver; DataStorage and PostgreSQL with a
        private PostgreSQL. A private DataStorage alone still uses the main PostgreSQL, so
        DataStorage stays locked (shared): a PostgreSQL restart by another test would break
        it too.
        """
        found = {"controller"}
        found |= {TEKTON} if self.tekton else set()
        found |= {"datastorage", POSTGRES} if self.postgres else set()
        return frozenset(found)

    def start(self) -> None:
        """Create the slot's namespace if needed, start the instance, route the handle."""
        from wetest.kube import objects
        from wetest.kube.errors import AlreadyExists
        from wetest.plugin.evidence import evidence_dir
        from wetest.plugin.stack import HANDLE_KEY
        from wetest.stack.endpoints import Endpoints
        from wetest.supervision.isolation import Router

        body = {"metadata": {"name": self.namespace, "labels": {"wetest": "true"}}}
        with contextlib.suppress(AlreadyExists):
            objects.create(self.api, objects.ObjectRef.core("namespaces"), body)
        handle = self.item.config.stash[HANDLE_KEY]
        request = {
            "cooldown": self.cooldown,
            "datastorage": self.datastorage,
            "postgres": self.postgres,
            "tekton": self.tekton,
            "log_dir": str(evidence_dir(self.item) / "instance"),
            "kubeconfig": self.replica.kubeconfigs["controller"] if self.replica else "",
        }
        result = handle.command(f"isolated start {self.slot} {json.dumps(request)}")
        instance = Endpoints.from_dict(result["endpoints"])
        apiserver = f"kube-apiserver-{self.replica.name}" if self.replica else ""
        router = Router(
            self.slot,
            self.namespace,
            instance,
            self.datastorage or self.postgres,
            apiserver,
            postgres=self.postgres,
            tekton=self.tekton,
        )
        handle.route(router)
        router.wait_ready()
        self.item.stash[ISOLATED] = self
        self.item.user_properties.append((PROPERTY, f"instance {self.namespace}"))

    def release(self, failed: bool, keep: bool) -> None:
        """Delete the test's WEs (its controller still runs), stop the instance, free the slot."""
        from wetest.plugin.stack import HANDLE_KEY
        from wetest.supervision import forecast, replicas

        handle = self.item.config.stash[HANDLE_KEY]
        clean = False
        try:
            if not (failed and keep):
                clean = self._clean()
        finally:
            try:
                handle.route(None)
                handle.command(f"isolated stop {self.slot}")
                if self.replica:
                    replicas.stop(handle, self.replica.name, now=True)
            finally:
                forecast.release(self.ahead)
                if not clean:
                    (self.folder / f"slot-{self.slot}.dirty").touch()
                self.lock.close()  # releases the flock

    def _clean(self) -> bool:
        """Delete every WE of the slot's namespace; True once they are all gone.

        Their finalizers need the instance's controller, which still runs: the wait is on
        the collection's watch (``eventually``), bounded by ``CLEANUP_TIMEOUT``.
        """
        from wetest import eventually
        from wetest import expectations as ex
        from wetest.errors import WaitTimeout
        from wetest.kube import objects

        api = self.api
        wes = objects.ObjectRef.workflow_execution(self.namespace, "").collection()
        for we in objects.items(api, wes):
            objects.delete(api, wes.named(we["metadata"]["name"]), missing_ok=True)
        try:
            eventually(objects.Probe(api, wes), ex.count_is(0), timeout=CLEANUP_TIMEOUT)
        except WaitTimeout as exc:
            self.item.warn(
                pytest.PytestWarning(
                    f"isolation slot {self.namespace} kept WorkflowExecutions after "
                    f"{CLEANUP_TIMEOUT:.0f}s; the slot is not reused in this run. See the "
                    f"instance's controller.log in the test's evidence folder. "
                    f"{str(exc).splitlines()[0]}"
                )
            )
            return False
        return True


def claim(request: pytest.FixtureRequest) -> Isolated | None:
    """A free slot for a test that wants isolation on a stack with a pool; else None.

    Says in the report why a test that wanted isolation runs with the locks instead.
    """
    from wetest.plugin.stack import HANDLE_KEY

    item = request.node
    if not wanted(item):
        return None
    api = request.getfixturevalue("we_kube")  # the stack too
    pool = item.config.stash[HANDLE_KEY].endpoints.isolation
    if not pool:
        item.user_properties.append((PROPERTY, "locks: the target cannot be scoped"))
        return None
    folder = workers.shared_dir(item.config) / "isolation"
    folder.mkdir(parents=True, exist_ok=True)
    taken = _take_slot(folder, _slots(len(pool), TEKTON in locks.disrupts(item)))
    if taken is None:
        item.user_properties.append((PROPERTY, "locks: every isolation slot is busy or dirty"))
        return None
    slot, lock = taken
    isolated = Isolated(
        item,
        api,
        slot,
        pool[slot],
        lock,
        folder,
        marked_cooldown(item) or session.get(item.config).cooldown,
        "datastorage" in locks.disrupts(item),
        postgres=POSTGRES in locks.disrupts(item),
        tekton=TEKTON in locks.disrupts(item),
    )
    if REPLICATED in locks.disrupts(item):
        isolated.replica = _replica(item, isolated)
        if isolated.replica is None:
            lock.close()
            return None
    return isolated


def _replica(item: pytest.Item, isolated: Isolated) -> ReplicaInfo | None:
    """Start the test's API-server replica; None (and why, in the report) if the stack cannot.

    Before the test's locks: a test without its replica takes the exclusive locks instead.
    The first such test takes the replica the supervisor spawned ahead
    (``wetest.supervision.forecast``), any other one of its slot's. The supervisor only
    spawns it and this worker awaits its ``/readyz`` (4-15 s under load).
    """
    from wetest.errors import WetestError
    from wetest.plugin.stack import HANDLE_KEY
    from wetest.supervision import forecast
    from wetest.supervision import replicas as replica_commands
    from wetest.supervision.isolation import REPLICA_PREFIX

    handle = item.config.stash[HANDLE_KEY]
    isolated.ahead = forecast.take_ahead(isolated.folder)
    name = forecast.AHEAD if isolated.ahead else f"{REPLICA_PREFIX}{isolated.slot}"
    try:
        found = replica_commands.start(handle, name, timeout=REPLICA_TIMEOUT)
    except WetestError as exc:
        forecast.release(isolated.ahead)
        item.user_properties.append((PROPERTY, f"locks: no API-server replica ({exc})"))
        return None
    return found


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Forecast an API-server replica when a collected test will want one (``forecast``).

    Only for a stack that is not ready yet: ``wetest run`` starts it beside this collection,
    and a plain pytest run starts it after. A ready stack (``wetest up``) reads no forecast.
    """
    from wetest.stack import state
    from wetest.supervision import forecast

    if not any(REPLICATED in locks.disrupts(item) and planned(item) for item in session.items):
        return
    shared = workers.shared_dir(session.config)
    found = state.read(shared)
    if found is None or found.status != "ready":
        forecast.write(shared, replica=True)


def _slots(size: int, driver: bool) -> list[int]:
    """The slots a test may take: a driver slot when it pauses Tekton, another one else.

    The main Tekton stand-in ignores only the driver slots' PipelineRuns (a private driver
    plays them), so a test without a private driver must not run in one.
    """
    from wetest.supervision.isolation import driver_slots

    drivers = driver_slots(size)
    return [slot for slot in range(size) if (slot in drivers) == driver]


def _take_slot(folder: Path, slots: list[int]) -> tuple[int, IO[str]] | None:
    """The first of ``slots`` that is clean and not held by another worker, with its lock."""
    for slot in slots:
        if (folder / f"slot-{slot}.dirty").exists():
            continue
        handle = filelocks.try_exclusive(folder / f"slot-{slot}.lock")
        if handle is not None:
            return slot, handle
    return None


@contextlib.contextmanager
def running(request: pytest.FixtureRequest, isolated: Isolated | None) -> Iterator[None]:
    """Run the test body on the instance (nothing without one); release it at the end."""
    if isolated is None:
        yield
        return
    try:
        isolated.start()
        yield
    finally:
        failed = bool(getattr(request.node, "wetest_failed", False))
        isolated.release(failed, session.get(request.config).keep_failed)
