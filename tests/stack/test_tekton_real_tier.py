"""The real Tekton tier end to end: a WE runs to Completed through Tekton's own controller.

One stack for the whole file (about 10-20 s warm to start). The binaries are built here when
missing (`wetest assets install --tekton real` does the same; scripts/test.sh starts that build
in the background, and the build lock makes this call wait for it instead of racing it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from wetest import eventually
from wetest import expectations as ex
from wetest.config import settings
from wetest.domain import manifests
from wetest.kube import clients, objects
from wetest.kube.errors import KubeAPIError
from wetest.stack import building, processes
from wetest.stack.endpoints import Endpoints
from wetest.stack.tekton import bundles
from wetest.stack.tekton.real import kwok, smoke
from wetest.supervision import lifecycle


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Endpoints, lifecycle.Running]]:
    s = settings.load({"tekton": "real", "state_dir": str(tmp_path_factory.mktemp("real-tekton"))})
    building.install_real_tekton(s.cache_dir, s.tekton_version)
    running = lifecycle.Running(s)
    endpoints = running.start()
    try:
        yield endpoints, running
    finally:
        pids = dict(endpoints.pids)
        running.stop()
        assert {n for n, pid in pids.items() if processes.pid_alive(pid)} == set()


@pytest.fixture(scope="module")
def api(real: tuple[Endpoints, lifecycle.Running]) -> Iterator[client.ApiClient]:
    with clients.api_client(real[0].kubeconfig) as kube:
        yield kube


def test_stack_state_records_the_tier_the_registry_and_every_component(
    real: tuple[Endpoints, lifecycle.Running],
) -> None:
    endpoints, running = real
    assert endpoints.tekton == "real"
    assert endpoints.registry.startswith("127.0.0.1:")
    names = {"tekton-controller", "tekton-webhook", "tekton-resolvers", "tekton-kwok"}
    assert names | {"tekton-registry"} <= set(endpoints.pids)
    status = running.component_status()["components"]
    assert all(status[n]["alive"] for n in names)


def test_a_workflow_execution_completes_through_a_real_taskrun_and_pod(
    real: tuple[Endpoints, lifecycle.Running], api: client.ApiClient, tmp_path: Path
) -> None:
    endpoints, _ = real
    bundle = smoke.push_smoke(endpoints.registry, {f"{kwok.PREFIX}after": "1s"})
    namespace = "real-tier"
    objects.create(api, objects.ObjectRef.core("namespaces"), {"metadata": {"name": namespace}})
    we = manifests.workflow_execution(
        "smoke", namespace, f"{namespace}/deployment/smoke", container_image=bundle
    )
    ref = objects.ObjectRef.workflow_execution(namespace, "smoke")
    objects.create(api, ref.collection(), we)
    eventually(objects.Probe(api, ref), ex.has_phase("Completed"), timeout=60)
    exec_ns = endpoints.execution_namespace
    taskruns = objects.items(api, objects.ObjectRef("tekton.dev", "v1", "taskruns", exec_ns))
    pods = objects.items(
        api,
        objects.ObjectRef.core("pods", exec_ns),
        label_selector="app.kubernetes.io/managed-by=tekton-pipelines",
    )
    assert any(_succeeded(tr) for tr in taskruns)
    assert any(p["status"]["phase"] == "Succeeded" for p in pods)
    assert all(p["spec"]["nodeName"] == kwok.NODE for p in pods)


def test_the_webhook_rejects_what_a_cluster_rejects(
    real: tuple[Endpoints, lifecycle.Running], api: client.ApiClient
) -> None:
    body = {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {"name": "duplicate-params"},
        "spec": {
            "params": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}],
            "pipelineRef": {"name": "x"},
        },
    }
    ref = objects.ObjectRef.pipeline_run(real[0].execution_namespace)
    with pytest.raises(KubeAPIError, match=r"validation\.webhook\.pipeline\.tekton\.dev"):
        objects.create(api, ref, body)


def _succeeded(obj: dict[str, Any]) -> bool:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return any(c["type"] == "Succeeded" and c["status"] == "True" for c in conditions)


def test_a_bundle_outside_loopback_is_refused_not_fetched(
    real: tuple[Endpoints, lifecycle.Running], api: client.ApiClient
) -> None:
    body = {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {"name": "remote-bundle"},
        "spec": {"pipelineRef": bundles.pipeline_ref("ghcr.io/kubernaut/workflows/test:v1")},
    }
    ref = objects.ObjectRef.pipeline_run(real[0].execution_namespace)
    objects.create(api, ref, body)
    done = eventually(
        objects.Probe(api, ref.named("remote-bundle")),
        ex.has_condition("Succeeded", "False"),
        timeout=60,
    )
    message = str(done)
    assert "proxyconnect" in message, message


OUTCOMES: dict[str, tuple[dict[str, str], str]] = {
    # name: (the task's annotations, interface 2; the TaskRun reason real Tekton writes)
    "ok": ({}, "Succeeded"),
    "exit2": ({"outcome": "fail", "exit-code": "2"}, "StepFailed"),
    "oom": ({"outcome": "fail", "exit-code": "137", "reason": "OOMKilled"}, "StepOOM"),
    "pull": ({"outcome": "image-pull"}, "TaskRunImagePullFailed"),
    "forever": ({"outcome": "run-forever"}, "TaskRunCancelled"),  # by the pipeline timeout
    "results": (
        {"termination-message": '[{"key":"out","value":"v1","type":1}]', "after": "1s"},
        "Succeeded",
    ),
}


def test_kwok_plays_each_pod_outcome_the_annotations_declare(
    real: tuple[Endpoints, lifecycle.Running], api: client.ApiClient
) -> None:
    namespace = real[0].execution_namespace
    for name, (declared, _) in OUTCOMES.items():
        task: dict[str, Any] = {
            "steps": [{"name": "s", "image": "wetest.invalid/step", "script": "true"}],
            "results": [{"name": "out"}],
            "metadata": {"annotations": {f"{kwok.PREFIX}{k}": v for k, v in declared.items()}},
        }
        spec: dict[str, Any] = {"pipelineSpec": {"tasks": [{"name": "t", "taskSpec": task}]}}
        if name == "forever":
            spec["timeouts"] = {"pipeline": "3s"}
        body: dict[str, Any] = {"apiVersion": "tekton.dev/v1", "kind": "PipelineRun"}
        body |= {"metadata": {"name": f"outcome-{name}"}, "spec": spec}
        objects.create(api, objects.ObjectRef.pipeline_run(namespace), body)
    taskruns = objects.ObjectRef("tekton.dev", "v1", "taskruns", namespace)
    for name, (_, reason) in OUTCOMES.items():
        done = eventually(
            objects.Probe(api, taskruns.named(f"outcome-{name}-t")),
            ex.has_condition("Succeeded", reason=reason),
            timeout=60,
        )
        if name == "results":
            assert isinstance(done, dict)
            assert done["status"]["results"] == [{"name": "out", "type": "string", "value": "v1"}]
