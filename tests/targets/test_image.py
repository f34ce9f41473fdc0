"""``image:<ref>``: the manifest, the kind-only rule, and install/stop against envtest.

The kind side (``kind load docker-image``, the host address on the kind network) runs through
the recording stand-ins of tests/stack/standins; the objects are created in a real API server
(envtest) and made available through the Deployment status subresource, since no kubelet runs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from deployhelp import set_available
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from wetest.config import settings
from wetest.errors import ConfigError
from wetest.stack.endpoints import Endpoints
from wetest.stack.kind import backend as kind
from wetest.targets import image, selecting

STANDINS = Path(__file__).resolve().parents[1] / "stack" / "standins"
REF = "we-controller:dev"


def test_manifest_runs_the_image_in_cluster_with_the_documented_environment() -> None:
    env = {"WETEST_DATASTORAGE_URL": "http://172.18.0.1:18100", "WETEST_COOLDOWN": "10s"}
    ns, sa, binding, deployment = image.manifests(REF, env)
    assert ns["metadata"]["name"] == sa["metadata"]["namespace"] == "wetest-controller"
    assert binding["roleRef"]["name"] == "cluster-admin"
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "wetest-controller", "namespace": "wetest-controller"}
    ]
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "wetest-controller"
    (container,) = pod["containers"]
    assert container["image"] == REF
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert {e["name"]: e["value"] for e in container["env"]} == env


def test_environment_has_no_kubeconfig_and_a_datastorage_url_pods_can_reach() -> None:
    endpoints = Endpoints(
        kubeconfig="/home/u/.local/state/wetest/kubeconfig",
        datastorage="http://127.0.0.1:18100",
        execution_namespace="kubernaut-workflows",
    )
    env = image.environment(endpoints, "10s", "172.18.0.1")
    assert env == {
        "WETEST_DATASTORAGE_URL": "http://172.18.0.1:18100",
        "WETEST_EXECUTION_NAMESPACE": "kubernaut-workflows",
        "WETEST_COOLDOWN": "10s",
    }
    assert image.pod_datastorage_url("http://ds.example:8080/x", "h") == "http://ds.example:8080/x"


def test_image_target_needs_the_kind_backend() -> None:
    s = settings.load({"target": f"image:{REF}", "backend": "envtest"})
    with pytest.raises(ConfigError) as err:
        selecting.target_for(s)
    assert "needs the kind backend, but the backend is envtest" in str(err.value)
    assert "--wetest-backend kind" in str(err.value)
    kind_settings = settings.load({"target": f"image:{REF}", "backend": "kind"})
    target = selecting.target_for(kind_settings)
    assert isinstance(target, image.ImageTarget)
    assert isinstance(target.loader, kind.KindBackend)


@pytest.fixture
def kind_standins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Only the stand-ins of kind and docker on PATH; return the call log."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("kind", "docker"):
        wrapper = bin_dir / tool
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{STANDINS / tool}" "$@"\n')
        wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("WETEST_STANDIN_LOG", str(tmp_path / "calls.jsonl"))
    monkeypatch.setenv("WETEST_STANDIN_STATE", str(tmp_path / "state"))
    monkeypatch.delenv("WETEST_STANDIN_FAIL", raising=False)
    return tmp_path / "calls.jsonl"


def test_start_loads_installs_and_stop_removes(
    envtest_endpoints: Endpoints,
    kube: client.ApiClient,
    kind_standins: Path,
    tmp_path: Path,
) -> None:
    s = settings.load({"target": f"image:{REF}", "backend": "kind", "cooldown": "10s"})
    target = selecting.target_for(s)
    assert isinstance(target, image.ImageTarget)
    endpoints = Endpoints(
        kubeconfig=envtest_endpoints.kubeconfig, datastorage="http://127.0.0.1:18100"
    )
    # A leftover of an earlier run, already available: start() replaces its spec (status
    # survives a replace) and the target sees it available without a kubelet.
    apps = client.AppsV1Api(kube)
    image.install(kube, image.manifests("old:ref", {}))
    set_available(kube, image.NAMESPACE, image.NAME, 1)
    try:
        info = target.start(endpoints, tmp_path)
        assert info.target == f"image:{REF}"
        assert target.alive()
        calls = [json.loads(x) for x in kind_standins.read_text().splitlines()]
        assert ["load", "docker-image", REF, "--name", "wetest"] in [c["argv"] for c in calls]
        spec = apps.read_namespaced_deployment(image.NAME, image.NAMESPACE).spec
        container = spec.template.spec.containers[0]
        assert container.image == REF
        env = {e.name: e.value for e in container.env}
        assert env["WETEST_DATASTORAGE_URL"] == "http://172.18.0.1:18100"
        assert env["WETEST_COOLDOWN"] == "10s"
        assert "WETEST_KUBECONFIG" not in env
    finally:
        target.stop()
    rbac = client.RbacAuthorizationV1Api(kube)
    with pytest.raises(ApiException) as gone:
        rbac.read_cluster_role_binding(image.BINDING)
    assert gone.value.status == 404
    assert namespace_deleting_or_gone(kube, image.NAMESPACE)


def namespace_deleting_or_gone(kube: client.ApiClient, name: str) -> bool:
    """The namespace controller may already have finished the deletion."""
    try:
        meta = client.CoreV1Api(kube).read_namespace(name).metadata
    except ApiException as exc:
        return exc.status == 404
    return meta.deletion_timestamp is not None
