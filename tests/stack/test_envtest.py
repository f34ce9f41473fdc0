"""The real envtest control plane: version, namespace deletion, garbage collection, CRDs."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from wetest import eventually
from wetest import expectations as ex
from wetest.config import settings
from wetest.kube import clients
from wetest.stack import apiaudit, replica
from wetest.stack.backends import envtest
from wetest.stack.endpoints import Endpoints


def wait_until(predicate: Callable[[], bool], timeout: float = 15.0) -> float:
    started = time.monotonic()
    eventually(predicate, ex.satisfies(bool, "condition holds"), timeout=timeout)
    return time.monotonic() - started


def gone(read: object) -> bool:
    try:
        read()  # type: ignore[operator]
    except ApiException as exc:
        return exc.status == 404
    return False


@pytest.fixture
def core(envtest_endpoints: Endpoints) -> client.CoreV1Api:
    return client.CoreV1Api(clients.api_client(envtest_endpoints.kubeconfig))


def test_server_reports_the_pinned_version(envtest_endpoints: Endpoints) -> None:
    api = clients.api_client(envtest_endpoints.kubeconfig)
    assert client.VersionApi(api).get_code().git_version == "v1.36.3"


def test_namespace_with_content_really_finishes_deleting(core: client.CoreV1Api) -> None:
    core.create_namespace({"metadata": {"name": "wetest-ns-delete"}})
    core.create_namespaced_config_map("wetest-ns-delete", {"metadata": {"name": "c"}})
    core.delete_namespace("wetest-ns-delete")
    took = wait_until(lambda: gone(lambda: core.read_namespace("wetest-ns-delete")), 10.0)
    assert took < 10.0


def test_owner_reference_dependents_are_garbage_collected(core: client.CoreV1Api) -> None:
    owner = core.create_namespaced_config_map("default", {"metadata": {"name": "owner"}})
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner.metadata.uid}
    core.create_namespaced_config_map(
        "default", {"metadata": {"name": "dependent", "ownerReferences": [ref]}}
    )
    core.delete_namespaced_config_map("owner", "default")
    wait_until(lambda: gone(lambda: core.read_namespaced_config_map("dependent", "default")))


def test_we_and_tekton_crds_are_served(envtest_endpoints: Endpoints) -> None:
    api = clients.api_client(envtest_endpoints.kubeconfig)
    names = {
        c.metadata.name
        for c in client.ApiextensionsV1Api(api).list_custom_resource_definition().items
    }
    assert {
        "workflowexecutions.kubernaut.ai",
        "pipelineruns.tekton.dev",
        "taskruns.tekton.dev",
    } <= names
    objects = client.CustomObjectsApi(api)
    assert (
        objects.list_namespaced_custom_object("tekton.dev", "v1", "default", "pipelineruns")[
            "items"
        ]
        == []
    )


def test_execution_namespace_exists(core: client.CoreV1Api, envtest_endpoints: Endpoints) -> None:
    ns = core.read_namespace(envtest_endpoints.execution_namespace)
    assert ns.status.phase == "Active"


def test_the_audit_log_tells_the_harness_from_kube_controller_manager(
    envtest_endpoints: Endpoints,
) -> None:
    """Each component's own client certificate shows up as its actor in the audit log."""
    harness = client.CoreV1Api(
        clients.api_client(
            envtest_endpoints.kubeconfig_of("harness"),
            user_agent=apiaudit.USER_AGENTS["harness"],
        )
    )
    harness.create_namespace({"metadata": {"name": "wetest-audit-ids"}})
    harness.create_namespaced_config_map("wetest-audit-ids", {"metadata": {"name": "c"}})
    harness.delete_namespace("wetest-audit-ids")
    wait_until(lambda: gone(lambda: harness.read_namespace("wetest-audit-ids")), 10.0)
    assert envtest_endpoints.api_call_evidence == "available"
    index = apiaudit.AuditIndex(Path(envtest_endpoints.audit_log))
    scope = apiaudit.Scope(frozenset({"wetest-audit-ids"}))
    calls = [(c["actor"], c["verb"], c["resource"], c["subresource"]) for c in index.calls(scope)]
    assert ("harness", "create", "namespaces", "") in calls
    assert ("harness", "delete", "namespaces", "") in calls
    assert any(actor == "kube-controller-manager" for actor, *_ in calls), calls


def test_a_replica_ahead_starts_beside_the_first_server_and_is_favoured_once_it_is_ready(
    envtest_settings: settings.Settings,
) -> None:
    """``EnvtestBackend.ahead``: asked while the first kube-apiserver starts (until it names a
    replica: the forecast comes once pytest has collected), the replica starts beside it at
    the usual priority and is favoured (``replica.PRIORITY``) once the first one is ready:
    everything else waits for that one."""
    backend = envtest.create(envtest_settings)
    asked: list[list[str]] = []

    def ahead() -> tuple[str, ...]:
        asked.append([p.name for p in backend.procs])  # the first server is not among them
        return ("early",) if len(asked) > 1 else ()  # pytest wrote its forecast meanwhile

    backend.ahead = ahead
    try:
        backend.start()
        early = backend.replicas["early"]
        assert early.proc is not None
        assert early.proc.ready_probe is not None
        early.proc.wait_ready(*early.proc.ready_probe)
        favoured = replica.PRIORITY if os.geteuid() == 0 else 0  # lowering it needs root
        tasks = Path(f"/proc/{early.proc.pid}/task").iterdir()
        assert {os.getpriority(os.PRIO_PROCESS, int(t.name)) for t in tasks} == {favoured}
        assert early.proc.priority == replica.PRIORITY  # its restarts are favoured too
    finally:
        backend.stop()
    assert asked == [["etcd"], ["etcd"]]  # asked until it named one, then no more
