"""WE lifecycle: creation, phases Pending → Running → Completed, status round trips.

Catalogue: lifecycle_test.go ("WorkflowExecution CRD Lifecycle") and the transition /
status-sync lines of reconciler_test.go (DOMAIN §6.2). Clauses: WE-CRD-001/002/010, WE-PH-*,
WE-FIN-001/003, WE-RUN-010/021.
"""

from __future__ import annotations

import copy
import itertools
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from wetest import consistently, eventually
from wetest import expectations as ex
from wetest.domain.comparison import same_data
from wetest.kube import objects

VALID = Path(__file__).parents[2] / "fixtures" / "workflowexecutions" / "valid"
FINALIZER = "workflowexecution.kubernaut.ai/workflowexecution-cleanup"
PR_NAME = re.compile(r"^wfe-[0-9a-f]{16}$")
GO_DURATION = re.compile(r"^((\d+h)?\d+m)?\d+s$")
ALLOWED_NEXT = {
    "Pending": {"Pending", "Running", "Failed"},
    "Running": {"Running", "Completed", "Failed"},
    "Completed": {"Completed"},
    "Failed": {"Failed"},
}


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _go_seconds(text: str) -> int:
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(\d+)s", text)
    assert match, f"{text!r} is not a Go duration"
    h, m, s = (int(g or 0) for g in match.groups())
    return h * 3600 + m * 60 + s


def _phase_recorder(seen: list[str]) -> ex.Expectation:
    """Record every distinct phase the watch shows (empty counts as Pending)."""

    def record(state: Any) -> bool:
        phase = ((state or {}).get("status") or {}).get("phase") or "Pending"
        if not seen or seen[-1] != phase:
            seen.append(phase)
        return False

    return ex.satisfies(record, "phase history recorded")


@pytest.mark.we_conformance("lifecycle", "WE-CRD-001", "WE-CRD-010")
def test_valid_manifest_is_accepted_and_spec_preserved(we_kube, we_create, we_namespace, we_name):
    """lifecycle_test: create successfully / preserve spec fields / accept valid spec."""
    body = yaml.safe_load((VALID / "payment-oom-example.yaml").read_text())
    body["metadata"].update(name=we_name, namespace=we_namespace)
    body["spec"]["targetResource"] = f"{we_namespace}/deployment/{we_name}"
    body["spec"]["confidence"] = 0.95
    body["spec"]["unknownSpecField"] = "pruned"
    sent = copy.deepcopy(body["spec"])

    created = we_create(body=body)

    assert created["apiVersion"] == "kubernaut.ai/v1alpha1"
    assert created["kind"] == "WorkflowExecution"
    # read after the controller's first write (a finalizer, whatever its name: WE-FIN-002 is
    # Ext): the spec must survive that write too
    stored = eventually(
        objects.Probe(we_kube, objects.ObjectRef.workflow_execution(we_namespace, we_name)),
        ex.has_field("metadata.finalizers", predicate=bool),
        timeout=10,
    )
    spec = stored["spec"]
    assert "unknownSpecField" not in spec, "unknown spec fields must be pruned (WE-CRD-010)"
    assert spec["targetResource"] == f"{we_namespace}/deployment/{we_name}"
    assert spec["workflowRef"] == {
        "workflowId": "increase-memory-limit",
        "version": "v1.0.0",
        "containerImage": "ghcr.io/kubernaut/workflows/increase-memory@sha256:abc123",
        "containerDigest": "sha256:abc123",
    }
    assert spec["parameters"] == {
        "NAMESPACE": "payment",
        "DEPLOYMENT_NAME": "payment-api",
        "MEMORY_LIMIT": "1Gi",
    }
    assert spec["confidence"] == 0.95
    assert spec["rationale"] == "Container OOMKilled 3 times in 10 minutes"
    # A typed client writing the whole object back re-renders 30m as 30m0s (DOMAIN §0.6).
    assert same_data({"timeout": "30m"}, spec["executionConfig"], duration_keys={"timeout"})
    assert spec["remediationRequestRef"] == sent["remediationRequestRef"]
    listed = objects.items(
        we_kube,
        objects.ObjectRef.workflow_execution(we_namespace),
        label_selector="kubernaut.ai/correlation-id=rr-payment-oom-001",
    )
    assert [w["metadata"]["name"] for w in listed] == [we_name]


@pytest.mark.we_conformance(
    "lifecycle", "WE-PH-001", "WE-PH-002", "WE-RUN-010", "WE-RUN-021", "WE-FIN-001", "WE-FIN-003"
)
def test_pending_running_completed(we_kube, we_create):
    """reconciler_test: should transition Pending → Running → Completed (and sync success)."""
    we = we_create(scenario="succeed after=1s")
    probe = objects.Probe(we_kube, we_create.ref(we))
    seen: list[str] = []

    done = eventually(probe, _phase_recorder(seen) | ex.has_phase("Completed"), timeout=15)
    _phase_recorder(seen).match(done)

    assert seen[-1] == "Completed"
    assert "Running" in seen, f"Running was never observed: {seen}"
    for before, after in itertools.pairwise(seen):
        assert after in ALLOWED_NEXT[before], f"forbidden transition {before}→{after} in {seen}"
    status = done["status"]
    assert status["phase"] == "Completed"
    assert PR_NAME.match(status["pipelineRunRef"]["name"])
    start, end = _instant(status["startTime"]), _instant(status["completionTime"])
    assert start <= end
    assert GO_DURATION.match(status["duration"]), status["duration"]
    assert abs(_go_seconds(status["duration"]) - (end - start).total_seconds()) <= 1
    assert "failureDetails" not in status or not status["failureDetails"]
    assert not status.get("failureReason"), "status.failureReason is never written (WE-FAIL-031)"
    assert FINALIZER in done["metadata"].get("finalizers", []), "only deletion removes it"


@pytest.mark.we_conformance("lifecycle", "WE-RUN-010", "WE-FIN-001", "WE-PR-002")
def test_running_sets_start_time_and_pipelinerun_ref(we_kube, we_create):
    """lifecycle_test: status to Running via controller (startTime); PipelineRunRef set."""
    created = we_create(scenario="run-forever")
    ref = we_create.ref(created)

    running = eventually(objects.Probe(we_kube, ref), ex.has_phase("Running"), timeout=10)

    status = running["status"]
    assert _instant(status["startTime"]) >= _instant(
        created["metadata"]["creationTimestamp"]
    ).replace(microsecond=0)
    assert "completionTime" not in status or status["completionTime"] is None
    pr_name = status["pipelineRunRef"]["name"]
    assert PR_NAME.match(pr_name), pr_name
    pr = objects.get(we_kube, we_create.pipelinerun_ref(pr_name))
    assert pr["metadata"]["labels"]["kubernaut.ai/workflow-execution"] == ref.name
    assert FINALIZER in running["metadata"]["finalizers"]
    # A run-forever PipelineRun keeps the WE Running: no phase change without a terminal PR.
    consistently(objects.Probe(we_kube, ref), ex.has_phase("Running"))


@pytest.mark.we_conformance("lifecycle", "WE-CRD-002", "WE-STAT-005")
def test_test_written_status_round_trips_through_subresource(we_kube, we_create):
    """lifecycle_test: should persist status written through the status subresource.

    The catalogue line wrote ``consecutiveFailures``; that field is deprecated routing state a
    controller may still set (WE-FAIL-030: suites MUST NOT assert it), so the round trip uses
    ``blockClearance``, which only operators and tools write (§1.3).
    """
    created = we_create(scenario="run-forever")
    ref = we_create.ref(created)
    eventually(objects.Probe(we_kube, ref), ex.has_phase("Running"), timeout=10)
    clearance = {"clearedBy": "wetest", "clearReason": "round trip", "clearMethod": "StatusField"}

    def set_clearance(obj: dict[str, Any]) -> None:
        obj["status"]["blockClearance"] = dict(clearance)

    objects.update_status_with_retry(we_kube, ref, set_clearance)
    assert objects.get(we_kube, ref)["status"]["blockClearance"] == clearance

    # status is a subresource: a status change sent to the main resource is ignored.
    current = objects.get(we_kube, ref)
    current["status"]["blockClearance"] = {**clearance, "clearedBy": "main resource"}
    current["metadata"].setdefault("labels", {})["wetest/touched"] = "yes"
    objects.replace(we_kube, ref, current)
    after = objects.get(we_kube, ref)
    assert after["metadata"]["labels"]["wetest/touched"] == "yes"
    assert after["status"]["blockClearance"] == clearance


@pytest.mark.we_conformance("lifecycle", "WE-PH-002", "WE-PH-003", "WE-RUN-021", "WE-FIN-003")
def test_completed_is_final(we_kube, we_create):
    """external_deletion_test: should NOT mark WFE as Failed when PipelineRun completes normally."""
    we = we_create()
    probe = objects.Probe(we_kube, we_create.ref(we))
    done = eventually(probe, ex.has_phase("Completed"), timeout=15)
    frozen = {k: done["status"].get(k) for k in ("phase", "startTime", "completionTime")}
    frozen["duration"] = done["status"].get("duration")
    frozen["pipelineRunRef"] = done["status"].get("pipelineRunRef")

    consistently(
        probe,
        ex.satisfies(
            lambda s: (
                s is not None
                and all(s["status"].get(k) == v for k, v in frozen.items())
                and not s["status"].get("failureDetails")
                and FINALIZER in s["metadata"].get("finalizers", [])
            ),
            f"terminal fields stay {frozen} and the finalizer stays",
        ),
    )
