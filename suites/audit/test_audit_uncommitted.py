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
from typing import TYPE_CHECKING, Any

import pytest

from wetest import check, consistently, eventually
from wetest import expectations as ex
from wetest.kube import admission, objects

if TYPE_CHECKING:  # annotations only: importing the client costs each worker 0.3 s
    from kubernetes import client

DENIAL = "wetest holds the Completed write back"


def _expression(we_name: str) -> str:
    return (
        f"object.metadata.name != '{we_name}' || !has(object.status) || "
        "!has(object.status.phase) || object.status.phase != 'Completed'"
    )


@pytest.fixture
def hold_completed(we_kube: client.ApiClient, we_name: str) -> Iterator[admission.Denial]:
    """Refuse the Completed status write of this test's WE until the test lifts it."""
    status_writes = admission.rule(
        "kubernaut.ai", "v1alpha1", "workflowexecutions/status", "UPDATE"
    )
    with admission.denying(
        we_kube, f"wetest-hold-{we_name}", status_writes, _expression(we_name), DENIAL
    ) as denial:
        yield denial


def _completed(api: client.ApiClient, ref: objects.ObjectRef) -> dict[str, Any]:
    """The WE as it is, with phase Completed: the write the policy must refuse."""
    current = objects.get(api, ref)
    current["status"] = {**(current.get("status") or {}), "phase": "Completed"}
    return current


@pytest.mark.we_long
@pytest.mark.we_conformance("audit", "WE-STAT-004", "WE-AUD-021", "WE-AUD-020", "WE-STAT-001")
def test_refused_transition_writes_emit_no_audit_event(
    we_kube, we_create, we_name, hold_completed, we_audit
):
    we = we_create(scenario="succeed after=2s")
    ref = we_create.ref(we)
    probe = objects.Probe(we_kube, ref)
    running = eventually(probe, ex.has_phase("Running"), timeout=15)
    eventually(
        lambda: hold_completed.refuses("PUT", ref.path("status"), _completed(we_kube, ref)),
        ex.satisfies(bool, "the policy refuses a Completed write"),
        timeout=15,
    )
    pr_ref = we_create.pipelinerun_ref(running)
    eventually(
        objects.Probe(we_kube, pr_ref), ex.has_condition("Succeeded", status="True"), timeout=20
    )
    # the controller now tries to write Completed and is refused, again and again
    consistently(probe, ex.has_phase("Running"))

    with check("WE-STAT-001"):
        hold_completed.lift()
        eventually(probe, ex.has_phase("Completed"), timeout=30)

    audit = we_audit.probe(we_name, event_category="workflow")
    eventually(audit, ex.at_least(2), timeout=10)
    events = consistently(audit, ex.count_is(2))
    assert sorted(e["event_type"] for e in events) == ["workflow.completed", "workflow.started"]
