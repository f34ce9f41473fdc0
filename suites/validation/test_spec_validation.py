"""Controller-side spec validation in Pending (DOMAIN §2.4) and pre-execution failures (§2.7).

Catalogue: audit_comprehensive_test.go "pre-execution failure details (empty containerImage)"
for the WE state; the WE-CRD-031/032 manifests the API server accepts and the controller fails.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from wetest import consistently, eventually
from wetest import expectations as ex
from wetest.kube import objects

IMAGE = "ghcr.io/kubernaut/workflows/test@sha256:abc123"
FORMAT = (
    "targetResource must be in format {namespace}/{kind}/{name} (namespaced) "
    "or {kind}/{name} (cluster-scoped), got "
)

# (id, containerImage, targetResource, expected failureDetails.message); every target but the
# empty one carries the per-run name, so no run shares a target (and its cooldown) with another
CASES = [
    ("empty-image", "", "{ns}/deployment/{name}", "workflowRef.containerImage is required"),
    ("empty-target", IMAGE, "", "targetResource is required"),
    ("one-part", IMAGE, "invalid-format-{name}", FORMAT + "1 parts"),
    ("four-parts", IMAGE, "{ns}/apps/deployment/{name}", FORMAT + "4 parts"),
    ("empty-middle", IMAGE, "{ns}//{name}", "targetResource has empty part at position 1"),
    ("empty-first", IMAGE, "/deployment/{name}", "targetResource has empty part at position 0"),
    ("empty-last-2", IMAGE, "node-{name}/", "targetResource has empty part at position 1"),
    # order (WE-VAL-001 before WE-VAL-003): the first failing check wins
    (
        "image-before-format",
        "",
        "invalid-format-{name}",
        "workflowRef.containerImage is required",
    ),
]


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _assert_pre_execution_failure(failed: dict[str, Any], message: str, target: str, t0) -> None:
    status = failed["status"]
    assert status["phase"] == "Failed"
    assert not status.get("startTime"), "no startTime for a pre-execution failure (WE-VAL-005)"
    assert not status.get("duration"), "duration is empty for pre-execution failures"
    assert _instant(status["completionTime"]) >= t0 - timedelta(seconds=1)
    assert not (status.get("pipelineRunRef") or {}).get("name")
    assert not status.get("failureReason")
    details = status["failureDetails"]
    assert details["reason"] == "ConfigurationError"
    assert details["message"] == message
    assert details["failedTaskIndex"] == 0
    assert details["failedTaskName"] == ""
    assert details["executionTimeBeforeFailure"] == ""
    assert details.get("wasExecutionFailure", False) is False
    assert "exitCode" not in details or details["exitCode"] is None
    assert _instant(details["failedAt"]) >= t0 - timedelta(seconds=1)
    assert details["naturalLanguageSummary"] == (
        f"Workflow 'test-workflow' failed on target '{target}'.\n"
        f"Reason: ConfigurationError\nError: {message}\n"
    )


def _manifest(namespace: str, name: str, image: str, target: str) -> dict[str, Any]:
    """A schema-valid WE; built here because an empty target must stay empty."""
    return {
        "apiVersion": "kubernaut.ai/v1alpha1",
        "kind": "WorkflowExecution",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "remediationRequestRef": {
                "apiVersion": "kubernaut.ai/v1alpha1",
                "kind": "RemediationRequest",
                "name": f"test-rr-{name}",
            },
            "workflowRef": {
                "workflowId": "test-workflow",
                "version": "v1.0.0",
                "containerImage": image,
            },
            "targetResource": target,
        },
    }


def _no_pipelinerun_for(we_kube, we_create, namespace: str, name: str) -> objects.Probe:
    selector = f"kubernaut.ai/workflow-execution={name},kubernaut.ai/source-namespace={namespace}"
    return objects.Probe(we_kube, we_create.pipelinerun_ref(), label_selector=selector)


@pytest.mark.parametrize(
    ("image", "target", "message"), [pytest.param(*c[1:], id=c[0]) for c in CASES]
)
@pytest.mark.we_conformance(
    "validation",
    "WE-VAL-001",
    "WE-VAL-002",
    "WE-VAL-003",
    "WE-VAL-004",
    "WE-VAL-005",
    "WE-FAIL-010",
    "WE-FAIL-020",
    "WE-PH-002",
    "WE-CRD-031",
)
def test_invalid_spec_fails_before_execution(
    we_kube, we_create, we_namespace, we_name, image, target, message
):
    """WE-VAL-001..005: Pending → Failed with ConfigurationError, no PipelineRun."""
    target = target.format(ns=we_namespace, name=we_name)
    t0 = _now()
    we = we_create(body=_manifest(we_namespace, we_name, image, target))
    probe = objects.Probe(we_kube, we_create.ref(we))

    failed = eventually(probe, ex.has_phase("Failed"), timeout=15)

    _assert_pre_execution_failure(failed, message, target, t0)
    consistently(
        _no_pipelinerun_for(we_kube, we_create, we_namespace, we_name), ex.count_is(0), duration=0.5
    )
    assert objects.get(we_kube, we_create.ref(we))["status"]["phase"] == "Failed"


@pytest.mark.we_conformance("validation", "WE-CRD-032", "WE-VAL-001", "WE-VAL-005", "WE-FAIL-010")
def test_manifest_without_spec_fails_with_configuration_error(
    we_kube, we_create, we_namespace, we_name
):
    """WE-CRD-032: no spec at all is accepted by the API server, then fails validation."""
    body = {
        "apiVersion": "kubernaut.ai/v1alpha1",
        "kind": "WorkflowExecution",
        "metadata": {"name": we_name, "namespace": we_namespace},
    }
    t0 = _now()
    we = we_create(body=body)

    failed = eventually(
        objects.Probe(we_kube, we_create.ref(we)), ex.has_phase("Failed"), timeout=15
    )

    status = failed["status"]
    details = status["failureDetails"]
    assert details["reason"] == "ConfigurationError"
    assert details["message"] == "workflowRef.containerImage is required"
    assert not status.get("startTime")
    assert _instant(status["completionTime"]) >= t0 - timedelta(seconds=1)
    assert details["executionTimeBeforeFailure"] == ""
    assert details["naturalLanguageSummary"].startswith("Workflow '' failed on target ''.\n")
    assert (
        objects.items(
            we_kube,
            we_create.pipelinerun_ref(),
            label_selector=f"kubernaut.ai/workflow-execution={we_name}",
        )
        == []
    )
