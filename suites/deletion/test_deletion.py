"""Deleting a WE (DOMAIN §2.10) and external deletion of its PipelineRun (WE-RUN-024).

Catalogue: lifecycle_test.go (delete with controller cleanup, finalizer during deletion, orphaned
PipelineRuns after a controller restart) and external_deletion_test.go (DOMAIN §6.2).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from wetest import consistently, eventually
from wetest import expectations as ex
from wetest.kube import objects

FINALIZER = "workflowexecution.kubernaut.ai/workflowexecution-cleanup"
GO_DURATION = re.compile(r"^((\d+h)?\d+m)?\d+s$")


def _running(we_create) -> tuple[objects.ObjectRef, objects.ObjectRef]:
    we, pr = we_create.running()
    return we_create.ref(we), we_create.ref(pr)


def _gone_or_going(obj: dict[str, Any] | None) -> bool:
    return obj is None or bool(obj["metadata"].get("deletionTimestamp"))


@pytest.mark.we_conformance("deletion", "WE-DEL-001", "WE-FIN-001", "WE-FIN-003")
def test_deleting_running_we_deletes_pipelinerun_and_removes_finalizer(we_kube, we_create):
    """lifecycle_test: should delete WorkflowExecution with controller cleanup / finalizer."""
    ref, pr_ref = _running(we_create)
    assert FINALIZER in objects.get(we_kube, ref)["metadata"]["finalizers"]

    objects.delete(we_kube, ref)

    eventually(objects.Probe(we_kube, ref), ex.is_deleted(), timeout=10)
    assert _gone_or_going(objects.get_or_none(we_kube, pr_ref)), (
        "the PipelineRun is deleted before the finalizer is removed (WE-DEL-001)"
    )
    eventually(objects.Probe(we_kube, pr_ref), ex.is_deleted(), timeout=10)


@pytest.mark.we_conformance("deletion", "WE-DEL-001", "WE-LOCK-011")
def test_deleting_completed_we_deletes_pipelinerun_within_cooldown(we_kube, we_create):
    """WE-DEL-001: deletion removes the PipelineRun even while the cooldown still holds it."""
    we = we_create()
    ref = we_create.ref(we)
    done = eventually(objects.Probe(we_kube, ref), ex.has_phase("Completed"), timeout=15)
    pr_ref = we_create.pipelinerun_ref(done)
    assert objects.get_or_none(we_kube, pr_ref) is not None, "kept during the 10 s cooldown"

    objects.delete(we_kube, ref)

    # well inside the 10 s cooldown: only the deletion path can have removed it
    eventually(objects.Probe(we_kube, pr_ref), ex.is_deleted(), timeout=5)
    eventually(objects.Probe(we_kube, ref), ex.is_deleted(), timeout=5)


@pytest.mark.we_conformance("deletion", "WE-DEL-001", "WE-VAL-005")
def test_deleting_we_without_pipelinerun_completes(we_kube, we_create):
    """WE-DEL-001: NotFound is success — a pre-execution failure (no PipelineRun) is deletable."""
    we = we_create(container_image="")
    ref = we_create.ref(we)
    failed = eventually(objects.Probe(we_kube, ref), ex.has_phase("Failed"), timeout=15)
    assert FINALIZER in failed["metadata"]["finalizers"]

    objects.delete(we_kube, ref)

    eventually(objects.Probe(we_kube, ref), ex.is_deleted(), timeout=10)


@pytest.mark.we_disruptive("controller")
@pytest.mark.we_conformance("deletion", "WE-DEL-001", "WE-FIN-003")
def test_deletion_while_controller_down_is_finished_after_restart(we_kube, we_stack, we_create):
    """lifecycle_test: should recover orphaned PipelineRuns after controller restart (deletion)."""
    ref, pr_ref = _running(we_create)
    we_stack.command("kill-controller")
    try:
        objects.delete(we_kube, ref)
        # nobody may remove the finalizer but the controller's deletion path
        consistently(
            objects.Probe(we_kube, ref),
            ex.has_finalizer(FINALIZER) & ex.has_field("metadata.deletionTimestamp"),
            duration=1,
        )
        assert objects.get_or_none(we_kube, pr_ref) is not None
    finally:
        we_stack.command("start-controller")

    eventually(objects.Probe(we_kube, ref), ex.is_deleted(), timeout=15)
    eventually(objects.Probe(we_kube, pr_ref), ex.is_deleted(), timeout=10)


@pytest.mark.we_conformance("deletion", "WE-RUN-024", "WE-FAIL-004", "WE-FAIL-005", "WE-FAIL-020")
def test_external_pipelinerun_deletion_fails_we(we_kube, we_create):
    """external_deletion_test: detect PR deletion, mark Failed, stay Failed, ref kept or nil."""
    ref, pr_ref = _running(we_create)
    target = objects.get(we_kube, ref)["spec"]["targetResource"]

    objects.delete(we_kube, pr_ref)

    probe = objects.Probe(we_kube, ref)
    failed = eventually(probe, ex.has_phase("Failed"), timeout=15)
    status, details = failed["status"], failed["status"]["failureDetails"]
    assert details["reason"] == "Unknown"
    assert details["message"] == "PipelineRun was deleted externally"
    assert details.get("wasExecutionFailure", False) is False
    after = details["executionTimeBeforeFailure"]
    assert GO_DURATION.match(after), after
    assert details["naturalLanguageSummary"] == (
        f"Workflow 'test-workflow' failed on target '{target}'.\n"
        f"Reason: Unknown\nError: PipelineRun was deleted externally\nFailed after: {after}\n"
    )
    assert status["startTime"]
    assert status["completionTime"]
    assert (status.get("pipelineRunRef") or {}).get("name", "") in ("", pr_ref.name)
    # no re-creation, no retry: the WE stays Failed and the PipelineRun stays gone
    consistently(probe, ex.has_phase("Failed"))
    assert objects.get_or_none(we_kube, pr_ref) is None
    assert objects.get(we_kube, ref)["status"]["failureDetails"] == details


@pytest.mark.we_conformance("deletion", "WE-RUN-024", "WE-PH-002", "WE-FIN-001")
def test_pipelinerun_deleted_as_soon_as_created(we_kube, we_create, we_namespace, we_name):
    """external_deletion_test: should handle deletion during Pending phase gracefully."""
    selector = (
        f"kubernaut.ai/workflow-execution={we_name},kubernaut.ai/source-namespace={we_namespace}"
    )
    prs = objects.Probe(
        we_kube,
        objects.ObjectRef.pipeline_run(we_create.execution_namespace),
        label_selector=selector,
    )
    we = we_create(scenario="run-forever")
    [pr] = eventually(prs, ex.count_is(1), timeout=10)
    pr_ref = we_create.ref(pr)
    # the finalizer was added before the PipelineRun was created (WE-FIN-001)
    assert FINALIZER in objects.get(we_kube, we_create.ref(we))["metadata"]["finalizers"]

    objects.delete(we_kube, pr_ref)

    probe = objects.Probe(we_kube, we_create.ref(we))
    failed = eventually(probe, ex.has_phase("Failed"), timeout=15)
    assert failed["status"]["failureDetails"]["message"] == "PipelineRun was deleted externally"
    consistently(prs, ex.count_is(0), duration=1.5)
    assert objects.get(we_kube, we_create.ref(we))["status"]["phase"] == "Failed"
