"""Audit events written to DataStorage (DOMAIN §4; Kubernaut reconciler_test.go audit lines,
audit_comprehensive_test.go, audit_flow_integration_test.go).

Audit queries poll DataStorage (10 s budget, ENV-006/ENV-008); the expected envelope and
event_data literals are spelt out here.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pytest

from wetest import KubeAPIError, check, consistently, eventually
from wetest import expectations as ex
from wetest.domain import comparison
from wetest.domain.comparison import same_instant
from wetest.domain.naming import pipelinerun_name
from wetest.kube import objects

AUDIT_BUDGET = 10
WORKFLOW_ID = "test-workflow"
WORKFLOW_VERSION = "v1.0.0"
IMAGE = "ghcr.io/kubernaut/workflows/test@sha256:abc123"


def instant(text: str) -> datetime:
    return comparison.instant(text)  # any zone and precision (DOMAIN §0.6)


def one_event(we_audit, correlation_id: str, event_type: str) -> dict[str, Any]:
    """The single event of this type, exactly once over a quiet window (a late duplicate fails)."""
    probe = we_audit.probe(correlation_id, event_category="workflow", event_type=event_type)
    eventually(
        probe,
        ex.at_least(1),
        timeout=AUDIT_BUDGET,
        description=f"a {event_type} event for {correlation_id}",
    )
    found = consistently(
        probe, ex.count_is(1), description=f"exactly one {event_type} for {correlation_id}"
    )
    return found[0]


def assert_envelope(event: dict[str, Any], we: dict[str, Any], correlation_id: str) -> None:
    meta = we["metadata"]
    assert event["version"] == "1.0"
    assert event["event_category"] == "workflow"
    assert event["actor_type"] == "service"
    assert event["actor_id"] == "workflowexecution-controller"
    assert event["resource_type"] == "WorkflowExecution"
    assert event["resource_id"] == meta["name"]
    assert event["namespace"] == meta["namespace"]
    assert event["correlation_id"] == correlation_id
    assert instant(event["event_timestamp"])


def assert_common_data(data: dict[str, Any], we: dict[str, Any], phase: str) -> None:
    assert data["workflow_id"] == WORKFLOW_ID
    assert data["workflow_version"] == WORKFLOW_VERSION
    assert data["target_resource"] == we["spec"]["targetResource"]
    assert data["phase"] == phase
    assert data["container_image"] == we["spec"]["workflowRef"]["containerImage"]
    assert data["execution_name"] == we["metadata"]["name"]


@pytest.mark.we_conformance(
    "audit", "WE-AUD-001", "WE-AUD-002", "WE-AUD-003", "WE-AUD-010", "WE-AUD-023", "WE-STAT-001"
)
def test_workflow_started_event_has_the_contract_fields(we_kube, we_create, we_audit):
    we = we_create(scenario="run-forever")
    name = we["metadata"]["name"]
    with check("WE-STAT-001"):
        running = eventually(
            objects.Probe(we_kube, we_create.ref(we)), ex.has_phase("Running"), timeout=10
        )

    event = one_event(we_audit, name, "workflow.started")

    assert_envelope(event, we, name)
    assert (event["event_action"], event["event_outcome"]) == ("started", "success")
    data = event["event_data"]
    assert_common_data(data, we, "Running")
    assert data["pipelinerun_name"] == pipelinerun_name(we["spec"]["targetResource"])
    assert same_instant(data["started_at"], running["status"]["startTime"])
    for absent in ("completed_at", "failure_reason", "failure_message"):
        assert absent not in data, f"{absent} in a workflow.started event: {data}"


def terminal_event(
    we_audit, we: dict[str, Any], done: dict[str, Any], event_type: str, outcome: str
) -> dict[str, Any]:
    """The WE's one ``event_type`` event, checked for what completed and failed ones share.

    The envelope, action and outcome, the common data, and start, completion and PipelineRun
    taken from the status that committed the terminal transition (``done``).
    """
    name = we["metadata"]["name"]
    event = one_event(we_audit, name, event_type)
    assert_envelope(event, we, name)
    action = event_type.removeprefix("workflow.")
    assert (event["event_action"], event["event_outcome"]) == (action, outcome)
    data, status = event["event_data"], done["status"]
    assert_common_data(data, we, status["phase"])
    assert same_instant(data["started_at"], status["startTime"])
    assert same_instant(data["completed_at"], status["completionTime"])
    assert data["pipelinerun_name"] == status["pipelineRunRef"]["name"]
    return event


@pytest.mark.we_conformance("audit", "WE-AUD-011", "WE-AUD-003", "WE-AUD-001", "WE-STAT-001")
def test_workflow_completed_event_has_the_contract_fields(we_kube, we_create, we_audit):
    we = we_create(scenario="succeed after=1s")
    with check("WE-STAT-001"):
        done = eventually(
            objects.Probe(we_kube, we_create.ref(we)), ex.has_phase("Completed"), timeout=15
        )

    event = terminal_event(we_audit, we, done, "workflow.completed", "success")

    assert event["event_data"]["duration"] == done["status"]["duration"]
    assert "failure_reason" not in event["event_data"]


@pytest.mark.we_conformance("audit", "WE-AUD-012", "WE-AUD-003", "WE-AUD-001", "WE-STAT-001")
def test_workflow_failed_event_carries_failure_details(we_kube, we_create, we_audit):
    we = we_create(scenario="fail reason=task after=1s")
    with check("WE-STAT-001"):
        failed = eventually(
            objects.Probe(we_kube, we_create.ref(we)), ex.has_phase("Failed"), timeout=15
        )

    event = terminal_event(we_audit, we, failed, "workflow.failed", "failure")

    data, details = event["event_data"], failed["status"]["failureDetails"]
    assert data["failure_reason"] == "TaskFailed" == details["reason"]
    assert data["failure_message"] == details["message"]
    assert data["failed_task_name"] == details["failedTaskName"] != ""


@pytest.mark.we_conformance(
    "audit", "WE-AUD-012", "WE-AUD-020", "WE-AUD-003", "WE-VAL-001", "WE-FAIL-010"
)
def test_pre_execution_failure_emits_only_workflow_failed(we_kube, we_create, we_audit):
    we = we_create(container_image="")
    name = we["metadata"]["name"]
    with check("WE-VAL-001"), check("WE-FAIL-010"):
        failed = eventually(
            objects.Probe(we_kube, we_create.ref(we)), ex.has_phase("Failed"), timeout=15
        )
        assert "startTime" not in failed["status"]

    event = one_event(we_audit, name, "workflow.failed")

    assert (event["event_action"], event["event_outcome"]) == ("failed", "failure")
    data = event["event_data"]
    assert_common_data(data, we, "Failed")
    assert data["container_image"] == ""
    assert data["failure_reason"] == "ConfigurationError"
    assert data["failure_message"] == "workflowRef.containerImage is required"
    assert same_instant(data["completed_at"], failed["status"]["completionTime"])
    for absent in ("started_at", "failed_task_name", "pipelinerun_name"):
        assert absent not in data, f"{absent} in a pre-execution workflow.failed: {data}"
    assert we_audit.events(name, event_type="workflow.started") == []


@pytest.mark.we_conformance("audit", "WE-AUD-002", "WE-AUD-023")
def test_correlation_label_becomes_the_correlation_id(we_kube, we_create, we_audit, we_name):
    correlation = f"test-corr-{we_name}"
    we = we_create(
        labels={"kubernaut.ai/correlation-id": correlation},
        scenario="succeed after=500ms",
    )
    eventually(objects.Probe(we_kube, we_create.ref(we)), ex.has_phase("Completed"), timeout=15)

    started = one_event(we_audit, correlation, "workflow.started")
    completed = one_event(we_audit, correlation, "workflow.completed")

    for event in (started, completed):
        assert event["correlation_id"] == correlation
        assert event["resource_id"] == we["metadata"]["name"]
    assert we_audit.events(we["metadata"]["name"], event_category="workflow") == []


@pytest.mark.we_conformance(
    "audit", "WE-AUD-020", "WE-AUD-021", "WE-STAT-004", "WE-DEL-001", "DS-API-033"
)
def test_lifecycle_events_are_ordered_exactly_once_and_deletion_adds_none(
    we_kube, we_create, we_audit, we_datastorage
):
    we = we_create(scenario="succeed after=1s")
    name = we["metadata"]["name"]
    probe = objects.Probe(we_kube, we_create.ref(we))
    eventually(probe, ex.has_phase("Completed"), timeout=15)
    audit = we_audit.probe(name, event_category="workflow")
    eventually(audit, ex.count_is(2), timeout=AUDIT_BUDGET)

    with check("WE-DEL-001"):
        objects.delete(we_kube, we_create.ref(we))
        eventually(probe, ex.is_deleted(), timeout=15)
    events = consistently(audit, ex.count_is(2))

    newest, oldest = events
    assert [oldest["event_type"], newest["event_type"]] == [
        "workflow.started",
        "workflow.completed",
    ]
    assert instant(oldest["event_timestamp"]) <= instant(newest["event_timestamp"])
    with check("DS-API-033"):
        page = we_datastorage.client.get(
            "/api/v1/audit/events", params={"correlation_id": name, "limit": "1"}
        ).json()
        assert page["pagination"]["total"] == 2
        assert page["pagination"]["has_more"] is True
        assert [e["event_type"] for e in page["data"]] == ["workflow.completed"]


@pytest.mark.we_conformance(
    "audit", "WE-STAT-001", "WE-STAT-003", "WE-STAT-004", "WE-AUD-021", "WE-COND-040"
)
def test_exactly_once_under_concurrent_writes_to_the_object(we_kube, we_create, we_audit):
    """Metadata writes race the controller's status writes (409s); audit stays exactly once."""
    we = we_create(scenario="succeed after=2s")
    ref = we_create.ref(we)
    stop = threading.Event()
    writes: list[int] = []

    def churn() -> None:
        while not stop.is_set():
            try:
                objects.patch(
                    we_kube, ref, {"metadata": {"annotations": {"churn": str(len(writes))}}}
                )
                writes.append(1)
            except KubeAPIError:
                return
            stop.wait(0.02)

    thread = threading.Thread(target=churn, daemon=True)
    thread.start()
    try:
        with check("WE-STAT-003"):
            done = eventually(objects.Probe(we_kube, ref), ex.has_phase("Completed"), timeout=20)
    finally:
        stop.set()
        thread.join(5)
    assert len(writes) > 20, "the churn thread did not write enough to cause conflicts"
    with check("WE-STAT-001"):
        assert done["status"]["startTime"]
        assert done["status"]["completionTime"]

    audit = we_audit.probe(we["metadata"]["name"], event_category="workflow")
    eventually(audit, ex.count_is(2), timeout=AUDIT_BUDGET)
    events = consistently(audit, ex.count_is(2))
    assert sorted(e["event_type"] for e in events) == ["workflow.completed", "workflow.started"]
    with check("WE-COND-040", soft=True):
        eventually(
            objects.Probe(we_kube, ref),
            ex.has_condition("AuditRecorded", status="True", reason="AuditSucceeded"),
            timeout=10,
        )
