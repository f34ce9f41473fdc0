"""Scenario bundles: Tekton's bundle format, the pod outcomes they carry, the registry push."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from typing import Any

import httpx
import pytest
from kubernetes import client

from wetest.domain import manifests
from wetest.kube import objects
from wetest.stack.tekton import admission, bundles, scenarios

OUTCOME = bundles.PREFIX + "outcome"


def _tasks(text: str) -> list[dict[str, str]]:
    objs = bundles.objects(scenarios.parse(text), "127.0.0.1:1/wetest/scenarios:t")
    return [obj["metadata"].get("annotations", {}) for obj in objs if obj["kind"] == "Task"]


def test_bundle_layout_passes_the_checks_of_tekton_bundle_resolver() -> None:
    """bundle.go checkImageCompliance + GetEntry: ≤20 layers, three annotations, kind lowercase
    singular, the object as the first tar entry, found by (kind, name)."""
    objs = bundles.objects(scenarios.parse("fail reason=task tasks=3 at=2"), "r/x:t")
    image = bundles.build(objs)
    manifest = json.loads(image.manifest)
    assert manifest["mediaType"] == bundles.MEDIA_MANIFEST
    assert manifest["config"]["digest"] in image.blobs
    entries = {}
    for layer in manifest["layers"]:
        notes = layer["annotations"]
        assert set(notes) == {
            "dev.tekton.image.apiVersion",
            "dev.tekton.image.kind",
            "dev.tekton.image.name",
        }
        assert notes["dev.tekton.image.kind"] in ("pipeline", "task")
        blob = image.blobs[layer["digest"]]
        assert layer["size"] == len(blob)
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob))) as tar:
            first = tar.extractfile(tar.next())  # type: ignore[arg-type]
            obj = json.load(first)  # type: ignore[arg-type]
        assert obj["apiVersion"] == notes["dev.tekton.image.apiVersion"]
        entries[(notes["dev.tekton.image.kind"], notes["dev.tekton.image.name"])] = obj
    assert set(entries) == {("pipeline", "workflow"), *{("task", f"task-{i}") for i in (1, 2, 3)}}
    pipeline = entries[("pipeline", "workflow")]["spec"]
    assert [t["name"] for t in pipeline["tasks"]] == ["task-1", "task-2", "task-3"]
    assert pipeline["tasks"][2]["runAfter"] == ["task-2"]
    assert pipeline["tasks"][0]["taskRef"]["params"][0] == {"name": "bundle", "value": "r/x:t"}
    # same scenario, same registry: same digest (stable references across pushes)
    assert bundles.build(objs).digest == image.digest


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("succeed tasks=2", [("succeed", "0", "Completed")] * 2),
        ("fail reason=task tasks=2", [("succeed", "0", "Completed"), ("fail", "1", "Error")]),
        ("fail reason=oom", [("fail", "137", "OOMKilled")]),
        ("fail reason=image-pull", [("image-pull", "1", "Error")]),
        ("fail reason=timeout", [("run-forever", "0", "Completed")]),
        ("cancel tasks=2", [("run-forever", "0", "Completed"), ("succeed", "0", "Completed")]),
        (
            "fail tasks=3 at=2",
            [("succeed", "0", "Completed"), ("fail", "1", "Error"), ("succeed", "0", "Completed")],
        ),
    ],
)
def test_each_task_carries_its_pod_outcome(text: str, expected: list[tuple[str, str, str]]) -> None:
    """Interface 2: the annotations the simulator's KWOK Stages play, one Task per PipelineTask."""
    got = [
        (a[OUTCOME], a[bundles.PREFIX + "exit-code"], a[bundles.PREFIX + "reason"])
        for a in _tasks(text)
    ]
    assert got == expected


def test_the_scenario_duration_is_shared_by_the_tasks_that_run() -> None:
    assert [a[bundles.PREFIX + "after"] for a in _tasks("succeed after=3s tasks=3")] == [
        "1000ms"
    ] * 3
    assert _tasks("succeed")[0][bundles.PREFIX + "after"] == "500ms"  # the stand-in's default


def test_at_names_the_failing_task_and_must_be_within_tasks() -> None:
    assert scenarios.parse("fail tasks=3 at=2").failing == 2
    assert scenarios.parse("fail tasks=3").failing == 3
    with pytest.raises(ValueError, match="past tasks=2"):
        scenarios.parse("fail tasks=2 at=3")


def test_tags_name_the_scenario() -> None:
    assert bundles.tag(scenarios.parse("fail reason=oom after=1s tasks=2")) == (
        "fail-reason-oom-after-1000ms-tasks-2"
    )


def test_pushed_bundles_read_back_from_a_real_registry(registry: str) -> None:
    """Over the distribution API: manifest by digest, each layer's object, identical content."""
    with httpx.Client(timeout=10) as http:
        refs = bundles.publish_standard(http, registry)
        assert set(refs) == set(bundles.STANDARD)
        for text, ref in refs.items():
            scenario = scenarios.parse(text)
            repository = bundles.repository(scenario)
            assert ref.startswith(f"{registry}/{repository}@sha256:")
            tagged = f"{registry}/{repository}:{bundles.tag(scenario)}"
            pulled = bundles.pull(http, ref)
            assert [p["object"] for p in pulled] == bundles.objects(scenario, tagged)
            assert bundles.pull(http, tagged) == pulled  # the Tasks are fetched by this tag
        assert bundles.publish(http, registry, "cancel") == refs["cancel"]


def test_select_points_a_we_at_its_bundle_and_keeps_its_parameters(registry: str) -> None:
    """Interface 1 on the real tier; an explicit image is the test's own choice and stays."""
    we = manifests.workflow_execution("w", "ns", "ns/deployment/a", parameters={"A": "1"})
    bundles.select(we, "fail reason=oom", registry)
    assert we["spec"]["workflowRef"]["containerImage"].startswith(registry + "/")
    assert we["spec"]["parameters"] == {"A": "1"}

    legacy = manifests.workflow_execution(
        "w", "ns", "ns/deployment/a", parameters={scenarios.PARAM: "run-forever"}
    )
    plain = manifests.workflow_execution("w", "ns", "ns/deployment/a")
    own = manifests.workflow_execution("w", "ns", "ns/deployment/a", container_image="")
    with httpx.Client(timeout=10) as http:
        assert bundles.select(legacy, None, registry)["spec"]["workflowRef"][
            "containerImage"
        ] == bundles.publish(http, registry, "run-forever")
        assert bundles.select(plain, None, registry)["spec"]["workflowRef"][
            "containerImage"
        ] == bundles.publish(http, registry, "succeed")
    assert bundles.select(own, None, registry)["spec"]["workflowRef"]["containerImage"] == ""
    no_spec = {"metadata": {"name": "w"}}  # a schema test's manifest
    assert bundles.select(no_spec, None, registry) == {"metadata": {"name": "w"}}


def test_a_timeout_scenario_pipelinerun_gets_its_timeout_at_admission(
    kube_api: client.ApiClient, namespace: str
) -> None:
    """The WE controller sets no timeout (WE-PR-009); the real tier's policy reads it from the
    bundle reference: ``fail reason=timeout after=1500ms`` times out 1.5 s after resolution."""
    admission.apply(kube_api, bundles.timeout_policy())
    timeout = bundles.repository(scenarios.parse("fail reason=timeout after=1500ms"))
    ref = objects.ObjectRef.pipeline_run(namespace)

    def body(name: str, repository: str) -> dict[str, Any]:
        bundle = f"127.0.0.1:5000/{repository}@sha256:{'0' * 64}"
        return {
            "apiVersion": "tekton.dev/v1",
            "kind": "PipelineRun",
            "metadata": {"name": name},
            "spec": {"pipelineRef": bundles.pipeline_ref(bundle)},
        }

    def timeouts() -> object:
        made = objects.call(
            kube_api, "POST", ref.path(), query=objects.DRY_RUN, body=body("t", timeout)
        )
        return made["spec"].get("timeouts")

    admission.await_timeout_policy(kube_api, namespace)  # enforced a moment after the apply
    assert timeouts() == {"pipeline": f"{round(1500 + bundles.RESOLUTION_ALLOWANCE * 1000)}ms"}
    made = objects.create(kube_api, ref, body("other", bundles.REPOSITORY))
    assert "timeouts" not in made["spec"]
    bare = {"apiVersion": "tekton.dev/v1", "kind": "PipelineRun", "metadata": {"name": "bare"}}
    assert "spec" not in objects.create(kube_api, ref, bare)  # admitted: no CEL error


@pytest.mark.parametrize(
    ("bundle", "uri", "digest"),
    [
        (
            f"127.0.0.1:5000/wetest/scenarios@sha256:{'a' * 64}",
            "127.0.0.1:5000/wetest/scenarios",
            "a" * 64,
        ),
        ("127.0.0.1:5000/wetest/scenarios:succeed", "127.0.0.1:5000/wetest/scenarios", ""),
        (
            "ghcr.io/kubernaut/workflows/test@sha256:abc123",
            "ghcr.io/kubernaut/workflows/test",
            "abc123",
        ),
    ],
)
def test_the_standin_resolves_a_bundle_reference_as_tekton_does(
    bundle: str, uri: str, digest: str
) -> None:
    """refSource.uri is the repository without tag or digest (go-containerregistry's
    Context().Name()); the Tasks come from the scenario's tag in the same registry."""
    scenario = scenarios.parse("fail reason=task tasks=2")
    resolved = bundles.resolution(bundle, scenario)
    registry = bundle.split("/", 1)[0]
    assert resolved.pipeline_provenance()["refSource"] == {
        "uri": uri,
        "entryPoint": "workflow",
        **({"digest": {"sha256": digest}} if digest else {}),
    }
    assert resolved.task_provenance(2)["refSource"]["uri"] == f"{registry}/{bundles.REPOSITORY}"
    assert resolved.task_provenance(2)["refSource"]["entryPoint"] == "task-2"
    assert resolved.pipeline_spec["tasks"][1]["runAfter"] == ["task-1"]
    assert [t["steps"][0]["computeResources"] for t in resolved.task_specs] == [{}, {}]
