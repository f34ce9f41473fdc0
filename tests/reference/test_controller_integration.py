"""The reference controller on a real API server (envtest), the Tekton stand-in and a loopback
DataStorage: one test per Core behaviour, with the observable contract asserted.
"""

from __future__ import annotations

import time
from typing import Any

from kubehelp import create, eventually, get, get_pr, manifest, phase_of
from kubernetes import client

from wetest.domain import naming

TERMINAL = ("Completed", "Failed")


def audit_types(h: dict[str, Any], name: str) -> list[str]:
    return sorted(h["ds"].of_type(name))


def test_success_lifecycle(harness: dict[str, Any]) -> None:
    api = harness["api"]
    body = manifest("default/deployment/int-success", parameters={"NAMESPACE": "default"})
    name = create(api, body)
    pr_name = naming.pipelinerun_name("default/deployment/int-success")
    pr = eventually(lambda: get_pr(api, pr_name), lambda p: p is not None, what="PipelineRun")
    assert pr is not None
    assert pr["metadata"]["labels"] == {
        "kubernaut.ai/workflow-execution": name,
        "kubernaut.ai/workflow-id": "test-workflow",
        "kubernaut.ai/target-resource": "default__deployment__int-success",
        "kubernaut.ai/source-namespace": "default",
    }
    assert pr["metadata"]["annotations"] == {
        "kubernaut.ai/target-resource": "default/deployment/int-success"
    }
    assert "ownerReferences" not in pr["metadata"]
    assert pr["spec"]["pipelineRef"] == {
        "resolver": "bundles",
        "params": [
            {"name": "bundle", "value": "ghcr.io/kubernaut/workflows/test@sha256:abc123"},
            {"name": "name", "value": "workflow"},
            {"name": "kind", "value": "pipeline"},
        ],
    }
    assert pr["spec"]["params"][-1] == {
        "name": "TARGET_RESOURCE",
        "value": "default/deployment/int-success",
    }
    assert pr["spec"]["taskRunTemplate"] == {"serviceAccountName": "kubernaut-workflow-runner"}
    # The predicate judges the object it was handed: a second read could see Completed while the
    # first still held the Running status, without completionTime.
    we = eventually(
        lambda: get(api, name),
        lambda w: ((w or {}).get("status") or {}).get("phase") == "Completed",
        what="Completed",
    )
    assert we is not None
    assert (
        "workflowexecution.kubernaut.ai/workflowexecution-cleanup" in we["metadata"]["finalizers"]
    )
    status = we["status"]
    assert status["pipelineRunRef"] == {"name": pr_name}
    assert status["startTime"]
    assert status["completionTime"]
    assert status["duration"].endswith("s")
    conds = {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}
    assert conds == {
        "TektonPipelineCreated": ("True", "PipelineCreated"),
        "TektonPipelineRunning": ("True", "PipelineStarted"),
        "TektonPipelineComplete": ("True", "PipelineSucceeded"),
        "AuditRecorded": ("True", "AuditSucceeded"),
    }
    eventually(lambda: audit_types(harness, name), lambda t: len(t) == 2, what="audit")
    assert audit_types(harness, name) == ["workflow.completed", "workflow.started"]


def test_failure_scenario(harness: dict[str, Any]) -> None:
    api = harness["api"]
    name = create(
        api,
        manifest(
            "default/deployment/int-fail",
            parameters={"WETEST_SCENARIO": "fail reason=timeout after=0.5s"},
        ),
    )
    eventually(lambda: phase_of(api, name), lambda p: p in TERMINAL, what="terminal")
    status = (get(api, name) or {})["status"]
    assert status["phase"] == "Failed"
    details = status["failureDetails"]
    assert details["reason"] == "DeadlineExceeded"
    assert details["wasExecutionFailure"] is True
    assert details["failedTaskName"].endswith("-task-1")
    assert details["naturalLanguageSummary"].startswith(
        "Workflow 'test-workflow' failed on target 'default/deployment/int-fail'.\n"
    )
    complete = next(c for c in status["conditions"] if c["type"] == "TektonPipelineComplete")
    assert (complete["status"], complete["reason"]) == ("False", "DeadlineExceeded")
    eventually(lambda: audit_types(harness, name), lambda t: len(t) == 2, what="audit")
    assert audit_types(harness, name) == ["workflow.failed", "workflow.started"]


def test_validation_failure_creates_nothing(harness: dict[str, Any]) -> None:
    api = harness["api"]
    body = manifest("default/deployment/int-invalid")
    body["spec"]["workflowRef"]["containerImage"] = ""
    name = create(api, body)
    eventually(lambda: phase_of(api, name), lambda p: p == "Failed", what="Failed")
    status = (get(api, name) or {})["status"]
    assert "startTime" not in status
    assert status["failureDetails"]["reason"] == "ConfigurationError"
    assert status["failureDetails"]["message"] == "workflowRef.containerImage is required"
    assert {c["type"] for c in status["conditions"]} == {"TektonPipelineCreated", "AuditRecorded"}
    assert get_pr(api, naming.pipelinerun_name("default/deployment/int-invalid")) is None
    eventually(lambda: audit_types(harness, name), lambda t: t == ["workflow.failed"], what="audit")


def test_external_deletion(harness: dict[str, Any]) -> None:
    api = harness["api"]
    target = "default/deployment/int-extdel"
    name = create(api, manifest(target, parameters={"WETEST_SCENARIO": "run-forever"}))
    eventually(lambda: phase_of(api, name), lambda p: p == "Running", what="Running")
    client.CustomObjectsApi(api).delete_namespaced_custom_object(
        "tekton.dev", "v1", "kubernaut-workflows", "pipelineruns", naming.pipelinerun_name(target)
    )
    eventually(lambda: phase_of(api, name), lambda p: p == "Failed", what="Failed")
    details = (get(api, name) or {})["status"]["failureDetails"]
    assert details["message"] == "PipelineRun was deleted externally"
    assert details["reason"] == "Unknown"
    assert "wasExecutionFailure" not in details


def test_collision_on_target(harness: dict[str, Any]) -> None:
    api = harness["api"]
    target = "default/deployment/int-collide"
    first = create(api, manifest(target, parameters={"WETEST_SCENARIO": "run-forever"}))
    eventually(lambda: phase_of(api, first), lambda p: p == "Running", what="Running")
    second = create(api, manifest(target))
    eventually(lambda: phase_of(api, second), lambda p: p == "Failed", what="Failed")
    message = (get(api, second) or {})["status"]["failureDetails"]["message"]
    assert message.startswith("Race condition: PipelineRun '")
    assert first in message
    assert phase_of(api, first) == "Running"


def test_deletion_removes_pipelinerun_and_finalizer(harness: dict[str, Any]) -> None:
    api = harness["api"]
    target = "default/deployment/int-delete"
    name = create(api, manifest(target, parameters={"WETEST_SCENARIO": "run-forever"}))
    eventually(lambda: phase_of(api, name), lambda p: p == "Running", what="Running")
    client.CustomObjectsApi(api).delete_namespaced_custom_object(
        "kubernaut.ai", "v1alpha1", "default", "workflowexecutions", name
    )
    eventually(lambda: get(api, name), lambda w: w is None, what="WE gone")
    assert get_pr(api, naming.pipelinerun_name(target)) is None


def test_lock_released_after_cooldown(harness: dict[str, Any]) -> None:
    api = harness["api"]
    target = "default/deployment/int-lock"
    name = create(api, manifest(target))
    eventually(lambda: phase_of(api, name), lambda p: p == "Completed", what="Completed")
    pr_name = naming.pipelinerun_name(target)
    assert get_pr(api, pr_name) is not None  # cooldown (2 s) holds the lock
    started = time.monotonic()
    eventually(lambda: get_pr(api, pr_name), lambda p: p is None, timeout=15, what="release")
    assert time.monotonic() - started > 0.5
