"""Conditions of a WorkflowExecution (DOMAIN §3; Kubernaut conditions_integration_test.go).

Every expected type, reason and message is spelt out here; only the PipelineRun name of a
test's own target is computed (WE-PR-001).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest

from wetest import check, consistently, eventually
from wetest import expectations as ex
from wetest.domain import comparison
from wetest.domain.comparison import message_matches, same_instant
from wetest.domain.naming import pipelinerun_name
from wetest.kube import objects

REASON_PATTERN = re.compile(r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")

CREATED = "TektonPipelineCreated"
RUNNING = "TektonPipelineRunning"
COMPLETE = "TektonPipelineComplete"
AUDIT = "AuditRecorded"


def conditions(we: Any) -> dict[str, dict[str, Any]]:
    found = (we or {}).get("status", {}).get("conditions") or []
    return {c["type"]: c for c in found}


def condition(we: Any, type_: str) -> dict[str, Any]:
    by_type = conditions(we)
    assert type_ in by_type, f"no {type_} condition in {sorted(by_type)}"
    return by_type[type_]


def instant(text: str) -> datetime:
    return comparison.instant(text)  # any zone and precision (DOMAIN §0.6)


def audit_recorded(event_type: str) -> ex.Expectation:
    return ex.has_condition(
        AUDIT,
        status="True",
        reason="AuditSucceeded",
        message_contains=f"Audit event {event_type} recorded to DataStorage",
    )


@pytest.mark.we_conformance("conditions", "WE-COND-010", "WE-RUN-010", "WE-STAT-002")
def test_pipeline_created_is_set_in_the_running_write(we_kube, we_create):
    we = we_create(scenario="run-forever")
    pr = pipelinerun_name(we["spec"]["targetResource"])
    probe = objects.Probe(we_kube, we_create.ref(we))

    with check("WE-RUN-010"):
        running = eventually(probe, ex.has_phase("Running"), timeout=10)
        assert running["status"]["pipelineRunRef"]["name"] == pr
        assert running["status"].get("startTime")

    created = condition(running, CREATED)
    assert created["status"] == "True"
    assert created["reason"] == "PipelineCreated"
    assert message_matches(  # WE-COND-010 shows placeholders (§0.6)
        created["message"],
        "PipelineRun <name> created in <ns> namespace",
        name=pr,
        ns=we_create.execution_namespace,
    ), created["message"]


@pytest.mark.we_conformance("conditions", "WE-COND-020", "WE-COND-003", "WE-RUN-020", "WE-RUN-023")
def test_pipeline_running_reflects_the_executing_pipelinerun(we_kube, we_create):
    we = we_create(scenario="run-forever")
    probe = objects.Probe(we_kube, we_create.ref(we))

    # real Tekton first says ResolvingPipelineRef (then Running); the message follows the
    # PipelineRun's reason on every Running reconcile, so wait for the Running one
    running = eventually(
        probe,
        ex.has_condition(
            RUNNING, status="True", reason="PipelineStarted", message_contains="(Running)"
        ),
        timeout=30,
    )

    executing = condition(running, RUNNING)["message"]
    assert message_matches(executing, "Pipeline executing (<reason>)", reason="Running"), executing
    with check("WE-RUN-020", soft=True):
        assert running["status"]["pipelineRunStatus"]["status"] == "Unknown"
    with check("WE-RUN-023"):
        assert running["status"]["phase"] == "Running"
    assert COMPLETE not in conditions(running)
    consistently(probe, ex.has_phase("Running") & ex.has_condition(RUNNING, status="True"))


@pytest.mark.we_conformance("conditions", "WE-COND-030", "WE-COND-005", "WE-RUN-021")
def test_pipeline_complete_true_when_the_pipelinerun_succeeds(we_kube, we_create):
    we = we_create(scenario="succeed after=1s")
    probe = objects.Probe(we_kube, we_create.ref(we))

    with check("WE-RUN-021"):
        done = eventually(probe, ex.has_phase("Completed"), timeout=15)

    complete = condition(done, COMPLETE)
    assert complete["status"] == "True"
    assert complete["reason"] == "PipelineSucceeded"
    duration = done["status"]["duration"]
    template = "All tasks completed successfully in <duration>"
    assert message_matches(complete["message"], template, duration=duration), complete["message"]
    running = condition(done, RUNNING)
    assert (running["status"], running["reason"]) == ("True", "PipelineStarted")


@pytest.mark.parametrize(
    ("scenario", "reason", "message"),
    [
        pytest.param("fail reason=task after=1s", "TaskFailed", None, id="task-failed"),
        pytest.param(
            "fail reason=timeout after=1s",
            "DeadlineExceeded",
            "Pipeline exceeded timeout deadline",
            id="timeout",
        ),
    ],
)
@pytest.mark.we_conformance("conditions", "WE-COND-031", "WE-COND-006", "WE-STAT-001")
def test_pipeline_complete_false_when_the_pipelinerun_fails(
    we_kube, we_create, scenario, reason, message
):
    we = we_create(scenario=scenario)
    probe = objects.Probe(we_kube, we_create.ref(we))

    failed = eventually(
        probe, ex.has_phase("Failed") & audit_recorded("workflow.failed"), timeout=30
    )

    complete = condition(failed, COMPLETE)
    details = failed["status"]["failureDetails"]
    assert complete["status"] == "False"
    assert complete["reason"] == reason
    assert complete["message"] == (message or details["message"])
    assert details["reason"] == reason
    assert sorted(conditions(failed)) == sorted([CREATED, RUNNING, COMPLETE, AUDIT])
    assert condition(failed, CREATED)["status"] == "True"
    assert condition(failed, RUNNING)["status"] == "True"


@pytest.mark.parametrize(
    ("pr_reason", "pr_message", "reason", "message"),
    [
        pytest.param(
            "TaskRunFailed",
            "task failed: OOMKilled",
            "OOMKilled",
            "Pipeline task killed due to out of memory",
            id="oom",
        ),
        pytest.param(
            "PipelineRunFailed",
            "unexpected error occurred",
            "PipelineFailed",
            "unexpected error occurred",
            id="unknown-maps-to-pipeline-failed",
        ),
    ],
)
@pytest.mark.we_conformance("conditions", "WE-COND-031", "WE-COND-007", "WE-STAT-005")
def test_pipeline_complete_false_reason_by_failure_reason(
    we_kube, we_create, pr_reason, pr_message, reason, message
):
    we = we_create(scenario="run-forever")
    probe = objects.Probe(we_kube, we_create.ref(we))
    running = eventually(probe, ex.has_condition(RUNNING, status="True"), timeout=30)

    with check("WE-STAT-005"):  # finish the run-forever PipelineRun as a harness does
        we_create.finish(
            we_create.pipelinerun_ref(running), "fail", reason=pr_reason, message=pr_message
        )

    failed = eventually(probe, ex.has_phase("Failed"), timeout=15)
    complete = condition(failed, COMPLETE)
    assert (complete["status"], complete["reason"], complete["message"]) == (
        "False",
        reason,
        message,
    )
    for entry in conditions(failed).values():
        assert REASON_PATTERN.match(entry["reason"]), entry


@pytest.mark.we_conformance("conditions", "WE-COND-031", "WE-COND-040", "WE-RUN-024")
def test_pipeline_complete_false_and_audit_recorded_on_external_deletion(we_kube, we_create):
    we = we_create(scenario="run-forever")
    probe = objects.Probe(we_kube, we_create.ref(we))
    running = eventually(probe, ex.has_phase("Running"), timeout=10)

    objects.delete(we_kube, we_create.pipelinerun_ref(running))

    with check("WE-RUN-024"):
        eventually(probe, ex.has_phase("Failed"), timeout=30)
    failed = eventually(probe, audit_recorded("workflow.failed"), timeout=30)
    complete = condition(failed, COMPLETE)
    assert (complete["status"], complete["reason"], complete["message"]) == (
        "False",
        "PipelineFailed",
        "PipelineRun was deleted externally",
    )


@pytest.mark.we_conformance("conditions", "WE-COND-040", "WE-COND-001", "WE-COND-003")
def test_audit_recorded_follows_each_transition(we_kube, we_create):
    we = we_create(scenario="run-forever")
    probe = objects.Probe(we_kube, we_create.ref(we))

    running = eventually(
        probe, ex.has_phase("Running") & audit_recorded("workflow.started"), timeout=30
    )
    first = condition(running, AUDIT)
    assert first["message"] == "Audit event workflow.started recorded to DataStorage"

    we_create.finish(we_create.pipelinerun_ref(running), "succeed")

    done = eventually(
        probe, ex.has_phase("Completed") & audit_recorded("workflow.completed"), timeout=30
    )
    second = condition(done, AUDIT)
    assert second["message"] == "Audit event workflow.completed recorded to DataStorage"
    # Unchanged status keeps lastTransitionTime; only reason/message move (WE-COND-001).
    assert same_instant(second["lastTransitionTime"], first["lastTransitionTime"])
    created_then = condition(running, CREATED)["lastTransitionTime"]
    assert same_instant(condition(done, CREATED)["lastTransitionTime"], created_then)


@pytest.mark.we_conformance(
    "conditions", "WE-COND-006", "WE-COND-001", "WE-COND-002", "WE-COND-007", "WE-STAT-001"
)
def test_successful_lifecycle_ends_with_exactly_four_conditions(we_kube, we_create):
    we = we_create(scenario="succeed after=1s")
    probe = objects.Probe(we_kube, we_create.ref(we))

    with check("WE-STAT-001"):
        eventually(probe, ex.has_phase("Completed"), timeout=30)
    done = eventually(probe, audit_recorded("workflow.completed"), timeout=30)

    entries = done["status"]["conditions"]
    assert [c["type"] for c in entries].count(AUDIT) == 1
    assert sorted(c["type"] for c in entries) == sorted([CREATED, RUNNING, COMPLETE, AUDIT])
    assert all(c["status"] == "True" for c in entries), entries
    assert {c["type"]: c["reason"] for c in entries} == {
        CREATED: "PipelineCreated",
        RUNNING: "PipelineStarted",
        COMPLETE: "PipelineSucceeded",
        AUDIT: "AuditSucceeded",
    }
    for entry in entries:
        assert "observedGeneration" not in entry, entry
        assert REASON_PATTERN.match(entry["reason"]), entry
        assert instant(entry["lastTransitionTime"])
    assert "observedGeneration" not in done["status"]


@pytest.mark.we_conformance("conditions", "WE-COND-011", "WE-COND-006", "WE-FAIL-010")
def test_pre_execution_failure_sets_only_created_false_and_audit(we_kube, we_create):
    we = we_create(container_image="")
    probe = objects.Probe(we_kube, we_create.ref(we))

    with check("WE-FAIL-010"):
        pre = eventually(probe, ex.has_phase("Failed"), timeout=30)
        assert "startTime" not in pre["status"]
    failed = eventually(probe, audit_recorded("workflow.failed"), timeout=30)

    created = condition(failed, CREATED)
    assert (created["status"], created["reason"]) == ("False", "PipelineCreationFailed")
    assert created["message"].startswith("Failed to create PipelineRun: ")
    assert "workflowRef.containerImage is required" in created["message"]
    assert sorted(conditions(failed)) == sorted([CREATED, AUDIT])


@pytest.mark.we_conformance("conditions", "WE-COND-003", "WE-STAT-002", "WE-COND-005")
def test_every_observed_state_carries_the_conditions_of_its_phase(we_kube, we_create):
    """Each phase is persisted together with its conditions: no state lacks them."""
    we = we_create(scenario="succeed after=1s")
    probe = objects.Probe(we_kube, we_create.ref(we))
    consistent = (
        ex.has_phase("Pending")
        | (ex.has_phase("Running") & ex.has_condition(CREATED, status="True"))
        | (
            ex.has_phase("Completed")
            & ex.has_condition(CREATED, status="True")
            & ex.has_condition(COMPLETE, status="True", reason="PipelineSucceeded")
            & ex.has_field("status.completionTime")
            & ex.has_field("status.duration")
        )
    )

    consistently(probe, consistent, duration=2.5)  # the whole run: Pending to Completed

    done = eventually(probe, ex.has_phase("Completed"), timeout=15)
    assert not ex.has_condition(RUNNING, status="False").match(done)
