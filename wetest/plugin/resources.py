"""Function fixtures: we_name, we_namespace, we_create, we_audit.

Each test gets its own namespace and, by default, its own ``targetResource`` (PipelineRun
names hash the target, so sharing one would make tests collide on the lock, WE-PR-001).

``we_create`` also carries the steps most suites share, so that a suite states only what it
checks: ``scenario=`` (what the Tekton stand-in plays), ``running`` (a WE whose PipelineRun
the stand-in has started) and ``finish`` (a PipelineRun's final status as Tekton writes it).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from wetest.config.settings import Settings
from wetest.domain import manifests
from wetest.kube import objects
from wetest.stack.tekton import bundles, scenarios, statuses
from wetest.supervision.handle import DataStorage, StackHandle
from wetest.waiting import expectations as ex
from wetest.waiting.eventually import eventually

if TYPE_CHECKING:  # annotations only: the fixtures receive the clients, never build them
    import httpx
    from kubernetes import client

CREATED_KEY = pytest.StashKey[list[dict[str, Any]]]()
SALT_KEY = pytest.StashKey[str]()


def dns_name(text: str, limit: int = 30, salt: str = "") -> str:
    """A DNS-1123 label from a test name plus a short hash (Tekton's ObjectNameForTest)."""
    digest = hashlib.sha256(f"{salt}{text}".encode()).hexdigest()[:8]
    base = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[: limit - 9].strip("-")
    return f"{base}-{digest}" if base else f"t-{digest}"


@pytest.fixture
def we_name(request: pytest.FixtureRequest) -> str:
    """A DNS-1123 name unique to this test *and this run* (≤ 30 characters).

    The run salt matters with a long-lived stack (`wetest up`, a kind cluster): the second run
    of a test would otherwise reuse its namespace (still Terminating) and find the first run's
    audit events under the same correlation ID.
    """
    salt = request.config.stash.setdefault(SALT_KEY, secrets.token_hex(4))
    return dns_name(request.node.name, salt=salt)


@pytest.fixture
def we_namespace(
    request: pytest.FixtureRequest,
    we_stack: StackHandle,
    we_kube: client.ApiClient,
    we_settings: Settings,
    we_name: str,
) -> Iterator[str]:
    """A fresh namespace; deleted on pass, kept on failure with --wetest-keep-failed.

    Left in place on a cluster discarded with the run (``StackHandle.discarded_with_run``):
    its WEs are the test's, named for it, and nothing reads them once it has ended.

    A test on an isolated instance gets its slot's namespace instead, the only one its
    controller watches; the slot's teardown empties it (``wetest.plugin.isolation``).
    """
    from wetest.plugin.isolation import ISOLATED

    isolated = request.node.stash.get(ISOLATED, None)
    if isolated is not None:
        yield isolated.namespace
        return
    name = f"we-{we_name}"[:63].rstrip("-")
    # objects, not client.CoreV1Api: importing that module costs each xdist worker 0.3 s
    namespaces = objects.ObjectRef.core("namespaces")
    objects.create(we_kube, namespaces, {"metadata": {"name": name, "labels": {"wetest": "true"}}})
    yield name
    failed = getattr(request.node, "wetest_failed", False)
    if (failed and we_settings.keep_failed) or we_stack.discarded_with_run:
        return
    try:
        objects.delete(we_kube, namespaces.named(name))
    except Exception as exc:  # teardown problems warn, they never hide the test's result
        request.node.warn(pytest.PytestWarning(f"namespace {name} not deleted: {exc}"))


@dataclass
class Creator:
    """Create WorkflowExecutions for this test and remember them for evidence."""

    api: client.ApiClient
    namespace: str
    name: str
    execution_namespace: str = "kubernaut-workflows"
    created: list[dict[str, Any]] = field(default_factory=list)
    registry: str = ""  # the real Tekton tier's registry; empty on the stand-in tier

    def __call__(
        self,
        name: str | None = None,
        *,
        namespace: str | None = None,
        target: str | None = None,
        body: dict[str, Any] | None = None,
        scenario: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Create a WE; ``scenario`` is the Tekton run its PipelineRun gets (interface 1).

        Stand-in tier: ``spec.parameters.WETEST_SCENARIO``. Real tier (``registry`` set):
        ``containerImage`` names the scenario's bundle in the stack's registry.
        """
        name = name or self.name
        namespace = namespace or self.namespace
        target = target or default_target(namespace, name)
        body = body or manifests.workflow_execution(name, namespace, target, **kwargs)
        if scenario is not None or self.registry:
            self.play(body, scenario)
        ref = objects.ObjectRef.workflow_execution(namespace, body["metadata"]["name"])
        created = objects.create(self.api, ref.collection(), body)
        self.created.append(created)
        return created

    def play(self, body: dict[str, Any], scenario: str | None) -> None:
        """Make the WE's PipelineRun play ``scenario`` (the one place that knows how).

        The stand-in tier reads ``spec.parameters.WETEST_SCENARIO`` (kept next to the WE's
        other parameters). On the real tier (``registry`` set) ``containerImage`` names the
        scenario's bundle in the stack's registry (``bundles.select``; without a scenario, a
        WETEST_SCENARIO parameter or the placeholder image still picks one).
        """
        if scenario is not None:
            checked_scenario(scenario)
        if self.registry:
            bundles.select(body, scenario, self.registry)
        elif scenario is not None:
            body["spec"]["parameters"] = {
                **(body["spec"].get("parameters") or {}),
                scenarios.PARAM: scenario,
            }

    def running(
        self,
        name: str | None = None,
        *,
        scenario: str = "run-forever",
        timeout: float = 10,
        **kwargs: Any,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Create a WE and return it Running, with its PipelineRun once Tekton has started it.

        "Started" is the PipelineRun's first ``Succeeded`` condition (Unknown/Running for
        ``run-forever``): the stand-in never writes a run-forever PipelineRun again after it,
        so from then on its status is the test's to write (WE-STAT-005, ``finish``).
        """
        we = self(name, scenario=scenario, **kwargs)
        running = eventually(
            objects.Probe(self.api, self.ref(we)), ex.has_phase("Running"), timeout=timeout
        )
        assert isinstance(running, dict)  # a Probe's read: the object's body
        pipelinerun = eventually(
            objects.Probe(self.api, self.pipelinerun_ref(running)),
            ex.has_condition("Succeeded"),
            timeout=timeout,
        )
        assert isinstance(pipelinerun, dict)
        return running, pipelinerun

    def finish(
        self,
        pipelinerun: dict[str, Any] | objects.ObjectRef,
        scenario: str = "succeed",
        *,
        reason: str | None = None,
        message: str | None = None,
        status: dict[str, Any] | None = None,
        drop: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """Write a PipelineRun's final ``Succeeded`` condition as Tekton does for ``scenario``.

        The condition comes from ``stack/tekton/statuses.py`` (the stand-in's own builder, so
        the shape is real Tekton v1's); ``reason``/``message`` replace its reason and message
        for cases Tekton's shapes do not cover, ``status`` adds or replaces status fields,
        ``drop`` removes some (``startTime``, ``completionTime``). A test writes a status
        this way only on a PipelineRun the stand-in has stopped writing (``running``).
        Returns the PipelineRun as written.
        """
        ref = pipelinerun if isinstance(pipelinerun, objects.ObjectRef) else self.ref(pipelinerun)
        played = scenarios.parse(checked_scenario(scenario))
        if not played.finishes:
            raise ValueError(
                f"finish(scenario={scenario!r}) does not finish a PipelineRun. "
                "Name a scenario that ends it: succeed, fail [reason=...] or cancel."
            )
        final = statuses.pr_final(ref.name, tekton_outcome(played), played.tasks)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        condition = statuses.condition(final[0], reason or final[1], message or final[2], now)

        def mutate(pr: dict[str, Any]) -> None:
            for key in drop:
                pr["status"].pop(key, None)
            pr["status"]["conditions"] = condition
            pr["status"].update(status or {})

        return objects.update_status_with_retry(self.api, ref, mutate)

    def ref(self, obj: dict[str, Any]) -> objects.ObjectRef:
        """The reference of a WE or of a PipelineRun (by its ``kind``) read from the API."""
        meta = obj["metadata"]
        if obj.get("kind") == "PipelineRun":
            return objects.ObjectRef.pipeline_run(meta["namespace"], meta["name"])
        return objects.ObjectRef.workflow_execution(meta["namespace"], meta["name"])

    def pipelinerun_ref(self, we_or_name: dict[str, Any] | str = "") -> objects.ObjectRef:
        """A PipelineRun in the execution namespace (the setting, ENV-001).

        Given a WE: the one its ``status.pipelineRunRef`` names; given a name: that one; given
        nothing: the collection (to list or watch the execution namespace).
        """
        if isinstance(we_or_name, str):
            name = we_or_name
        else:
            name = we_or_name["status"]["pipelineRunRef"]["name"]
        return objects.ObjectRef.pipeline_run(self.execution_namespace, name)


def checked_scenario(scenario: str) -> str:
    """The scenario line, or a ValueError that says what is wrong and how to write one."""
    try:
        scenarios.parse(scenario)
    except ValueError as exc:
        raise ValueError(
            f"{exc}. Write a scenario as one line the Tekton stand-in plays, such as "
            "'succeed after=1s', 'fail reason=oom tasks=2' or 'run-forever' "
            "(docs/tekton-scenarios.md)."
        ) from exc
    return scenario


def tekton_outcome(scenario: scenarios.Scenario) -> str:
    """The ``statuses`` outcome of a finishing scenario: a fail reason, cancel or succeed."""
    if scenario.verb == "fail":
        return scenario.reason
    return "cancel" if scenario.verb == "cancel" else "succeed"


def default_target(namespace: str, name: str) -> str:
    """Unique per test and short enough that the PipelineRun label stays ≤ 63 characters.

    The label is the target with '/' → '__' cut at 63 (WE-PR-003); a cut can leave an invalid
    trailing '-' (contract Q5), so wetest's own default targets never need cutting.
    """
    target = f"{namespace}/deployment/{name}"
    if len(target.replace("/", "__")) <= 63:
        return target
    return f"{namespace}/deployment/d-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


@pytest.fixture
def we_create(
    request: pytest.FixtureRequest,
    we_kube: client.ApiClient,
    we_stack: StackHandle,
    we_settings: Settings,
    we_namespace: str,
    we_name: str,
) -> Creator:
    """Factory: ``we_create(name=None, target=None, scenario=..., parameters=..., labels=...)``.

    Also ``we_create.running(...)``, ``we_create.finish(pipelinerun, scenario)`` and
    ``we_create.execution_namespace`` (the setting, where the PipelineRuns live).
    """
    registry = we_stack.endpoints.registry  # set only where the real tier's registry runs
    creator = Creator(
        we_kube, we_namespace, we_name, we_settings.execution_namespace, registry=registry
    )
    request.node.stash[CREATED_KEY] = creator.created
    return creator


@dataclass
class AuditReader:
    """Query DataStorage for this test's events (DOMAIN §5.4)."""

    http: httpx.Client

    def events(self, correlation_id: str, **filters: str) -> list[dict[str, Any]]:
        params = {"correlation_id": correlation_id, "limit": "1000", **filters}
        response = self.http.get("/api/v1/audit/events", params=params)
        response.raise_for_status()
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    def probe(self, correlation_id: str, **filters: str) -> Callable[[], list[dict[str, Any]]]:
        """A callable probe for eventually/consistently."""
        return lambda: self.events(correlation_id, **filters)


@pytest.fixture
def we_audit(we_datastorage: DataStorage) -> AuditReader:
    """Audit events of DataStorage, queried by correlation id."""
    return AuditReader(we_datastorage.client)


def created_objects(item: pytest.Item) -> list[dict[str, Any]]:
    return item.stash.get(CREATED_KEY, [])


__all__ = ["AuditReader", "Creator", "StackHandle", "created_objects", "dns_name"]
