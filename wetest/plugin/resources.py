"""Function fixtures: we_name, we_namespace, we_create, we_audit, we_wait_defaults.

Each test gets its own namespace and, by default, its own ``targetResource`` (PipelineRun
names hash the target, so sharing one would make tests collide on the lock, WE-PR-001).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from kubernetes import client

from wetest.config.settings import Settings
from wetest.domain import manifests
from wetest.errors import KubeAPIError
from wetest.kube import objects
from wetest.plugin.stack import DataStorage, StackHandle
from wetest.stack.tekton import bundles, scenarios

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
    request: pytest.FixtureRequest, we_kube: client.ApiClient, we_settings: Settings, we_name: str
) -> Iterator[str]:
    """A fresh namespace; deleted on pass, kept on failure with --wetest-keep-failed."""
    name = f"we-{we_name}"[:63].rstrip("-")
    # objects, not client.CoreV1Api: importing that module costs each xdist worker 0.3 s
    namespaces = objects.ObjectRef.core("namespaces")
    objects.create(we_kube, namespaces, {"metadata": {"name": name, "labels": {"wetest": "true"}}})
    yield name
    failed = getattr(request.node, "wetest_failed", False)
    if failed and we_settings.keep_failed:
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
        if self.registry:
            bundles.select(body, scenario, self.registry)
        elif scenario is not None:
            scenarios.parse(scenario)
            parameters = body["spec"].setdefault("parameters", {})
            parameters[scenarios.PARAM] = scenario
        ref = objects.ObjectRef.workflow_execution(namespace, body["metadata"]["name"])
        created = objects.create(self.api, ref.collection(), body)
        self.created.append(created)
        return created

    def ref(self, we: dict[str, Any]) -> objects.ObjectRef:
        meta = we["metadata"]
        return objects.ObjectRef.workflow_execution(meta["namespace"], meta["name"])


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
    we_namespace: str,
    we_name: str,
) -> Creator:
    """Factory: ``we_create(name=None, target=None, scenario=..., parameters=..., labels=...)``."""
    registry = we_stack.endpoints.registry  # set only where the real tier's registry runs
    creator = Creator(we_kube, we_namespace, we_name, registry=registry)
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


def safe_get(api: client.ApiClient, ref: objects.ObjectRef) -> dict[str, Any] | None:
    try:
        return objects.get_or_none(api, ref)
    except KubeAPIError:
        return None


__all__ = ["AuditReader", "Creator", "StackHandle", "created_objects", "dns_name"]
