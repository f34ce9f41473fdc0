"""Pins every DOMAIN.md literal the reference controller relies on."""

from __future__ import annotations

import pytest

from wetest.domain import audit, conditions, durations, failures, naming, resources, validation
from wetest.domain.phases import Phase, can_transition


def test_resources_and_finalizer() -> None:
    assert (resources.GROUP, resources.VERSION, resources.PLURAL) == (
        "kubernaut.ai",
        "v1alpha1",
        "workflowexecutions",
    )
    assert resources.FINALIZER == "workflowexecution.kubernaut.ai/workflowexecution-cleanup"
    assert resources.LABEL_WORKFLOW_EXECUTION == "kubernaut.ai/workflow-execution"
    assert resources.LABEL_WORKFLOW_ID == "kubernaut.ai/workflow-id"
    assert resources.LABEL_TARGET_RESOURCE == "kubernaut.ai/target-resource"
    assert resources.LABEL_SOURCE_NAMESPACE == "kubernaut.ai/source-namespace"
    assert resources.DEFAULT_EXECUTION_NAMESPACE == "kubernaut-workflows"
    assert resources.DEFAULT_SERVICE_ACCOUNT == "kubernaut-workflow-runner"


@pytest.mark.parametrize(
    ("target", "name"),
    [
        ("payment/deployment/payment-api", "wfe-cf0cc089293b1165"),
        ("default/deployment/test-app", "wfe-196200272a2c85fd"),
        ("node/worker-node-1", "wfe-ac45b7d6911e97a5"),
    ],
)
def test_pipelinerun_name(target: str, name: str) -> None:
    assert naming.pipelinerun_name(target) == name
    assert len(name) == 20


def test_target_label_replaces_and_cuts() -> None:
    assert naming.target_label("payment/deployment/payment-api") == (
        "payment__deployment__payment-api"
    )
    assert len(naming.target_label("n/" + "x" * 100)) == 63


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (45, "45s"), (150, "2m30s"), (3600, "1h0m0s"), (44.6, "45s"), (3661, "1h1m1s")],
)
def test_go_duration(seconds: float, text: str) -> None:
    assert durations.go_duration(seconds) == text


def test_parse_go_duration() -> None:
    assert durations.parse_go_duration("1m30s") == 90
    assert durations.parse_go_duration("500ms") == 0.5
    assert durations.parse_go_duration("10") == 10
    with pytest.raises(ValueError, match="Go syntax"):
        durations.parse_go_duration("10x")


def test_phase_transitions() -> None:
    assert can_transition("", Phase.RUNNING)
    assert can_transition(Phase.RUNNING, Phase.FAILED)
    assert not can_transition(Phase.PENDING, Phase.COMPLETED)
    assert not can_transition(Phase.COMPLETED, Phase.FAILED)
    assert not can_transition(Phase.RUNNING, Phase.RUNNING)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"workflowRef": {"containerImage": ""}, "targetResource": "a/b/c"},
            "workflowRef.containerImage is required",
        ),
        (
            {"workflowRef": {"containerImage": "x"}, "targetResource": ""},
            "targetResource is required",
        ),
        (
            {"workflowRef": {"containerImage": "x"}, "targetResource": "a"},
            "targetResource must be in format {namespace}/{kind}/{name} (namespaced) or "
            "{kind}/{name} (cluster-scoped), got 1 parts",
        ),
        (
            {"workflowRef": {"containerImage": "x"}, "targetResource": "a/b/c/d"},
            "targetResource must be in format {namespace}/{kind}/{name} (namespaced) or "
            "{kind}/{name} (cluster-scoped), got 4 parts",
        ),
        (
            {"workflowRef": {"containerImage": "x"}, "targetResource": "a//c"},
            "targetResource has empty part at position 1",
        ),
        ({"workflowRef": {"containerImage": "x"}, "targetResource": "a/b/c"}, None),
    ],
)
def test_validation(spec: dict[str, object], message: str | None) -> None:
    assert validation.validate_spec(spec) == message


# WE-FAIL-001 incl. the eight catalogue cases of §6.2 (reason, message, startTime → reason, exec)
CATALOGUE = [
    ("TaskRunFailed", "task failed with exit code 1", True, "TaskFailed", True),
    ("TaskRunFailed", "task failed: OOMKilled", True, "OOMKilled", True),
    ("PipelineRunTimeout", "PipelineRun exceeded timeout of 1h", True, "DeadlineExceeded", True),
    ("TaskRunFailed", "pods is forbidden: cannot create", True, "Forbidden", True),
    ("TaskRunCreationFailed", "exceeded quota: compute", False, "ResourceExhausted", False),
    ("TaskRunValidationFailed", "invalid configuration: x", False, "ConfigurationError", False),
    ("TaskRunImagePullFailed", "failed: image pull backoff", False, "ImagePullBackOff", False),
    ("PipelineRunFailed", "unexpected error occurred", False, "Unknown", False),
]


@pytest.mark.parametrize(("reason", "message", "started", "expected", "executed"), CATALOGUE)
def test_failure_catalogue(
    reason: str, message: str, started: bool, expected: str, executed: bool
) -> None:
    got = failures.classify(reason, message)
    assert got == expected
    assert failures.was_execution_failure(True, started, False, got) is executed


def test_classification_order_and_bare_reason() -> None:
    assert failures.classify("TaskRunFailed", "nothing here") == "Unknown"
    assert (
        failures.classify("Failed", "Tasks Completed: 1 (Failed: 1, Cancelled 0), Skipped: 0")
        == "TaskFailed"
    )
    assert failures.classify("PipelineRunTimeout", "oom and timeout") == "OOMKilled"
    assert failures.classify("Failed", "deadline passed") == "DeadlineExceeded"
    assert failures.classify("X", "rbac denied") == "Forbidden"
    assert failures.classify("X", "resource exhausted") == "ResourceExhausted"
    assert failures.classify("X", "ImagePullBackOff") == "ImagePullBackOff"
    assert failures.classify("TaskFailed", "") == "TaskFailed"


def test_was_execution_failure_rules() -> None:
    assert failures.was_execution_failure(False, True, True, "TaskFailed") is False
    assert failures.was_execution_failure(True, True, False, "Unknown") is True
    assert failures.was_execution_failure(True, True, True, "ImagePullBackOff") is False
    assert failures.was_execution_failure(True, False, True, "Unknown") is True
    assert failures.was_execution_failure(True, False, False, "OOMKilled") is True


def test_summary_external_deletion_example() -> None:
    assert failures.summary(
        "test-workflow",
        "default/deployment/app",
        "Unknown",
        "PipelineRun was deleted externally",
        "12s",
    ) == (
        "Workflow 'test-workflow' failed on target 'default/deployment/app'.\nReason: Unknown\n"
        "Error: PipelineRun was deleted externally\nFailed after: 12s\n"
    )


def test_summary_recommendation_and_optional_lines() -> None:
    text = failures.summary("w", "a/b", "OOMKilled", "", "")
    assert text == (
        "Workflow 'w' failed on target 'a/b'.\nReason: OOMKilled\nRecommendation: "
        "The workflow task ran out of memory. Consider increasing task resource "
        "limits.\n"
    )


def test_collision_messages() -> None:
    msg = failures.race_message("wfe-1", "we-a")
    assert msg == (
        "Race condition: PipelineRun 'wfe-1' already exists for target resource "
        "(created by we-a). This indicates RO routing may have failed."
    )
    assert failures.unverifiable_message("boom").startswith(
        "PipelineRun already exists but failed to verify ownership: "
    )


def test_condition_literals() -> None:
    assert conditions.TYPES == (
        "TektonPipelineCreated",
        "TektonPipelineRunning",
        "TektonPipelineComplete",
        "AuditRecorded",
    )
    assert conditions.created_message("p", "ns") == "PipelineRun p created in ns namespace"
    assert conditions.adopted_message("p") == "PipelineRun p already exists (race condition)"
    assert conditions.running_message(None) == (
        "Pipeline created, waiting for Tekton to start execution"
    )
    assert conditions.running_message("Running") == "Pipeline executing (Running)"
    assert conditions.complete_false("DeadlineExceeded", "x") == (
        "DeadlineExceeded",
        "Pipeline exceeded timeout deadline",
    )
    assert conditions.complete_false("OOMKilled", "x") == (
        "OOMKilled",
        "Pipeline task killed due to out of memory",
    )
    assert conditions.complete_false("TaskFailed", "m") == ("TaskFailed", "m")
    assert conditions.complete_false("Unknown", "gone") == ("PipelineFailed", "gone")
    assert conditions.audit_recorded_message("workflow.started") == (
        "Audit event workflow.started recorded to DataStorage"
    )
    assert conditions.audit_failed_message("e") == "Failed to record audit event: e"


def test_set_condition_keeps_transition_time_on_same_status() -> None:
    first = conditions.set_condition([], "A", "True", "R1", "m1", "T1")
    second = conditions.set_condition(first, "A", "True", "R2", "m2", "T2")
    assert second == [
        {"type": "A", "status": "True", "reason": "R2", "message": "m2", "lastTransitionTime": "T1"}
    ]
    third = conditions.set_condition(second, "A", "False", "R3", "m3", "T3")
    assert third[0]["lastTransitionTime"] == "T3"
    assert "observedGeneration" not in third[0]


WE = {
    "metadata": {
        "name": "we-1",
        "namespace": "default",
        "labels": {"kubernaut.ai/correlation-id": "corr-1"},
    },
    "spec": {
        "workflowRef": {
            "workflowId": "test-workflow",
            "version": "v1.0.0",
            "containerImage": "img",
        },
        "targetResource": "default/d/a",
    },
    "status": {
        "phase": "Failed",
        "startTime": "2025-12-15T19:22:33Z",
        "completionTime": "2025-12-15T19:22:51Z",
        "duration": "18s",
        "pipelineRunRef": {"name": "wfe-x"},
        "failureDetails": {
            "reason": "Unknown",
            "message": "PipelineRun failed",
            "failedTaskName": "",
        },
    },
}


def test_audit_event_envelope_and_data() -> None:
    event = audit.build_event(WE, audit.EventType.FAILED, "2025-12-15T19:22:51.007Z")
    assert {
        k: event[k]
        for k in (
            "version",
            "event_type",
            "event_category",
            "event_action",
            "event_outcome",
            "actor_type",
            "actor_id",
            "resource_type",
            "resource_id",
            "correlation_id",
            "namespace",
        )
    } == {
        "version": "1.0",
        "event_type": "workflow.failed",
        "event_category": "workflow",
        "event_action": "failed",
        "event_outcome": "failure",
        "actor_type": "service",
        "actor_id": "workflowexecution-controller",
        "resource_type": "WorkflowExecution",
        "resource_id": "we-1",
        "correlation_id": "corr-1",
        "namespace": "default",
    }
    assert event["event_data"] == {
        "workflow_id": "test-workflow",
        "workflow_version": "v1.0.0",
        "target_resource": "default/d/a",
        "phase": "Failed",
        "container_image": "img",
        "execution_name": "we-1",
        "started_at": "2025-12-15T19:22:33Z",
        "completed_at": "2025-12-15T19:22:51Z",
        "duration": "18s",
        "failure_reason": "Unknown",
        "failure_message": "PipelineRun failed",
        "pipelinerun_name": "wfe-x",
    }
    assert "event_id" not in event
    assert audit.schema_error(event) is None


def test_correlation_id_falls_back_to_name() -> None:
    we = {"metadata": {"name": "we-2", "labels": {"kubernaut.ai/correlation-id": ""}}}
    assert audit.correlation_id(we) == "we-2"
    assert [str(t) for t in audit.EventType] == [
        "workflow.started",
        "workflow.completed",
        "workflow.failed",
    ]


def test_schema_error() -> None:
    event = audit.build_event(WE, audit.EventType.STARTED, "2025-12-15T19:22:33.1Z")
    assert audit.schema_error({**event, "correlation_id": ""}) == "correlation_id is required"
    assert audit.schema_error({**event, "event_outcome": "maybe"}) is not None
