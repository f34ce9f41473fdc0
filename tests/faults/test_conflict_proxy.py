"""The conflict-injection proxy against a real API server: 409s as asked, all else forwarded."""

from __future__ import annotations

import logging
import threading
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


def test_a_stop_with_a_watch_in_flight_logs_no_traceback(
    envtest_endpoints: Endpoints, tmp_path: Path, namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A controller's watch lasts minutes; the stop that ends it must not print a traceback.

    Python 3.11's connection callback read ``task.exception()`` of the cancelled handler and
    logged "Exception in callback ... CancelledError" into the supervisor's log at every stop.
    """
    proxy = ConflictProxy(Path(envtest_endpoints.kubeconfig_of("controller")), tmp_path).start()
    streaming = threading.Event()
    ended: list[BaseException | None] = []

    def watch() -> None:
        url = f"{proxy.url}/api/v1/namespaces/{namespace}/configmaps?watch=true&timeoutSeconds=60"
        try:
            with httpx.stream("GET", url, timeout=30) as response:
                streaming.set()
                for _ in response.iter_bytes():
                    pass
            ended.append(None)
        except httpx.HTTPError as exc:
            ended.append(exc)

    caplog.set_level(logging.ERROR, logger="asyncio")
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    assert streaming.wait(10), "the watch through the proxy never started streaming"
    proxy.stop()
    watcher.join(10)
    assert ended, "the watch outlived the proxy's stop"
    assert not [r for r in caplog.records if r.name == "asyncio"], caplog.text
