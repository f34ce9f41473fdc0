"""No audit event for a transition that did not commit (WE-STAT-004, WE-AUD-021).

The API server itself refuses the terminal status write for a while: a
ValidatingAdmissionPolicy (GA since Kubernetes 1.30) denies any status write of this one
WorkflowExecution that sets phase Completed. The controller's transition write fails again and
again; when the policy is lifted it commits once. Exactly one ``workflow.completed`` may exist:
an event emitted before its write commits (Kubernaut #1597) shows up once per failed attempt.
Deterministic, unlike a race with a concurrent writer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from wetest import KubeAPIError, check, consistently, eventually
from wetest import expectations as ex
from wetest.kube import admission, objects

DENIAL = "wetest holds the Completed write back"


def _policy(name: str, we_name: str) -> dict[str, Any]:
    expression = (
        f"object.metadata.name != '{we_name}' || !has(object.status) || "
        "!has(object.status.phase) || object.status.phase != 'Completed'"
    )
    status_writes = admission.rule(
        "kubernaut.ai", "v1alpha1", "workflowexecutions/status", "UPDATE"
    )
    return admission.deny_policy(name, status_writes, expression, DENIAL)


def _denied(api: client.ApiClient, we: dict[str, Any]) -> bool:
    meta = we["metadata"]
    ref = objects.ObjectRef.workflow_execution(meta["namespace"], meta["name"])
    current = objects.get(api, ref)
    current["status"] = {**(current.get("status") or {}), "phase": "Completed"}
    try:
        objects.replace_status(api, ref, current, dry_run=True)
    except KubeAPIError as exc:
        return DENIAL in str(exc)
    return False


@pytest.fixture
def hold_completed(we_kube: client.ApiClient, we_name: str) -> Iterator[Any]:
    """Install the policy for this test's WE; yield a function that lifts it."""
    name = f"wetest-hold-{we_name}"
    admission.install(we_kube, _policy(name, we_name))
    lifted = []

    def lift() -> None:
        if not lifted:
            admission.remove(we_kube, name)
            lifted.append(True)

    yield lift
    lift()


@pytest.mark.we_long
@pytest.mark.we_conformance("audit", "WE-STAT-004", "WE-AUD-021", "WE-AUD-020", "WE-STAT-001")
def test_refused_transition_writes_emit_no_audit_event(
    we_kube, we_create, we_name, hold_completed, we_audit
):
    we = we_create(parameters={"WETEST_SCENARIO": "succeed after=2s"})
    probe = objects.Probe(we_kube, we_create.ref(we))
    running = eventually(probe, ex.has_phase("Running"), timeout=15)
    eventually(
        lambda: _denied(we_kube, running),
        ex.satisfies(bool, "the policy refuses a Completed write"),
        timeout=15,
    )
    pr_ref = objects.ObjectRef.pipeline_run(
        "kubernaut-workflows", running["status"]["pipelineRunRef"]["name"]
    )
    eventually(
        objects.Probe(we_kube, pr_ref), ex.has_condition("Succeeded", status="True"), timeout=20
    )
    # the controller now tries to write Completed and is refused, again and again
    consistently(probe, ex.has_phase("Running"))

    with check("WE-STAT-001"):
        hold_completed()
        eventually(probe, ex.has_phase("Completed"), timeout=30)

    audit = we_audit.probe(we_name, event_category="workflow")
    eventually(audit, ex.at_least(2), timeout=10)
    events = consistently(audit, ex.count_is(2))
    assert sorted(e["event_type"] for e in events) == ["workflow.completed", "workflow.started"]
