"""``deployed:<ns>/<deployment>`` against a real API server (envtest).

The Deployment objects are real; their availability is written through the status subresource
(no kubelet runs), which is all the target looks at.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from deployhelp import deployment, set_available
from kubernetes import client

from wetest.config import settings
from wetest.errors import ConfigError, ControllerCrashed, DependencyMissing
from wetest.stack.endpoints import Endpoints
from wetest.targets import selecting
from wetest.targets.deployed import DeployedTarget, parse


def test_missing_deployment_fails_fast_with_the_fix(
    envtest_endpoints: Endpoints, namespace: str, tmp_path: Path
) -> None:
    target = DeployedTarget(namespace, "no-such-controller")
    with pytest.raises(DependencyMissing) as err:
        target.start(envtest_endpoints, tmp_path)
    message = str(err.value)
    assert f"The controller Deployment {namespace}/no-such-controller was not found." in message
    assert message.rstrip(")").endswith("--wetest-target deployed:<namespace>/<name>")
    assert f"kubectl -n {namespace} get deployments" in message


def test_available_deployment_starts_and_alive_follows_available_replicas(
    envtest_endpoints: Endpoints, kube: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    client.AppsV1Api(kube).create_namespaced_deployment(namespace, deployment("ctl"))
    set_available(kube, namespace, "ctl", 1)
    target = DeployedTarget(namespace, "ctl")
    assert not target.alive()  # not started yet
    info = target.start(envtest_endpoints, tmp_path)
    assert info.target == f"deployed:{namespace}/ctl"
    assert info.pid == 0
    assert target.alive()
    set_available(kube, namespace, "ctl", 0)
    assert not target.alive()
    target.stop()
    assert client.AppsV1Api(kube).read_namespaced_deployment("ctl", namespace)  # left alone


def test_never_available_deployment_is_a_controller_crash_with_evidence(
    envtest_endpoints: Endpoints, kube: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    client.AppsV1Api(kube).create_namespaced_deployment(namespace, deployment("ctl"))
    set_available(kube, namespace, "ctl", 0)
    target = DeployedTarget(namespace, "ctl", ready_timeout=0.0)
    with pytest.raises(ControllerCrashed) as err:
        target.start(envtest_endpoints, tmp_path)
    message = str(err.value)
    assert "did not become available within 0s" in message
    assert "0/1 available, Available=False (MinimumReplicasUnavailable)" in message
    assert "no Pods match app=ctl" in message  # the log tail, read through the API
    assert message.endswith(f"kubectl -n {namespace} describe deployment ctl), then re-run.")


def test_log_tail_reads_the_pods_selected_by_the_deployment(
    envtest_endpoints: Endpoints, kube: client.ApiClient, namespace: str, tmp_path: Path
) -> None:
    client.AppsV1Api(kube).create_namespaced_deployment(namespace, deployment("ctl"))
    set_available(kube, namespace, "ctl", 1)
    core = client.CoreV1Api(kube)
    pod = {
        "metadata": {"name": "ctl-1", "labels": {"app": "ctl"}},
        "spec": {"containers": [{"name": "c", "image": "example.invalid/ctl:dev"}]},
    }
    core.create_namespaced_pod(namespace, pod)
    core.create_namespaced_pod(namespace, {**pod, "metadata": {"name": "other"}})
    target = DeployedTarget(namespace, "ctl")
    target.start(envtest_endpoints, tmp_path)
    tail = target.log_tail()
    # No kubelet serves logs here: the API has nothing (or an error) and the tail says so.
    assert tail.startswith("--- pod ctl-1 ---\n(")
    assert "other" not in tail


def test_selecting_parses_deployed_and_rejects_bad_specs() -> None:
    s = settings.load({"target": "deployed:kubernaut-system/we-controller"})
    target = selecting.target_for(s)
    assert isinstance(target, DeployedTarget)
    assert (target.namespace, target.deployment) == ("kubernaut-system", "we-controller")
    for bad in ("no-slash", "/name", "ns/", "a/b/c"):
        with pytest.raises(ConfigError, match=r"Use deployed:<namespace>/<deployment>"):
            parse(bad)
