"""The conflict-injection proxy against a real API server: 409s as asked, all else forwarded."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from kubernetes import client

from wetest.faults.conflicts import ADMIN_PATH, ConflictProxy
from wetest.kube import clients, objects, watching
from wetest.kube.errors import ResourceConflict
from wetest.stack.endpoints import Endpoints


@pytest.fixture
def proxy(envtest_endpoints: Endpoints, tmp_path: Path):
    started = ConflictProxy(Path(envtest_endpoints.kubeconfig_of("controller")), tmp_path).start()
    yield started
    started.stop()


def through(proxy: ConflictProxy, tmp_path: Path) -> client.ApiClient:
    return clients.api_client(proxy.kubeconfig(tmp_path / "kubeconfig-proxied"))


def policy(proxy: ConflictProxy, **asked: object) -> dict[str, object]:
    response = httpx.put(f"{proxy.url}{ADMIN_PATH}", json=asked, timeout=10)
    response.raise_for_status()
    counts: dict[str, object] = response.json()
    return counts


def test_every_status_write_conflicts_at_fraction_one_and_none_reaches_the_server(
    proxy: ConflictProxy, tmp_path: Path, kube_api: client.ApiClient, namespace: str
) -> None:
    api = through(proxy, tmp_path)
    ref = objects.ObjectRef.workflow_execution(namespace, "w1")
    created = objects.create(
        api, ref.collection(), {"kind": "WorkflowExecution", "metadata": {"name": "w1"}}
    )
    policy(proxy, fraction=1.0)

    with pytest.raises(ResourceConflict, match="the object has been modified"):
        objects.replace_status(api, ref, {**created, "status": {"phase": "Running"}})
    objects.replace(
        api, ref, {**created, "metadata": {**created["metadata"], "finalizers": ["x/y"]}}
    )

    assert (objects.get(kube_api, ref).get("status") or {}).get("phase") is None
    counts = httpx.get(f"{proxy.url}{ADMIN_PATH}", timeout=10).json()
    assert counts["injected_by_kind"] == {"status": 1, "finalizer": 0}
    assert counts["writes"] == 1  # finalizer writes are not counted unless asked for


def test_fraction_zero_forwards_writes_and_watches_with_the_controllers_identity(
    proxy: ConflictProxy, tmp_path: Path, namespace: str
) -> None:
    api = through(proxy, tmp_path)
    ref = objects.ObjectRef.workflow_execution(namespace, "w2")
    created = objects.create(
        api, ref.collection(), {"kind": "WorkflowExecution", "metadata": {"name": "w2"}}
    )
    policy(proxy, fraction=0.0, finalizers=True)
    objects.replace_status(api, ref, {**created, "status": {"phase": "Running"}})
    seen = [
        kind
        for kind, _ in watching.events(
            api,
            ref,
            resource_version=created["metadata"]["resourceVersion"],
            deadline=time.monotonic() + 2,
        )
    ]
    assert "MODIFIED" in seen
    counts = httpx.get(f"{proxy.url}{ADMIN_PATH}", timeout=10).json()
    assert counts["injected"] == 0
    assert counts["writes"] == 1
