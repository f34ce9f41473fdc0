"""Create errors the controller causes itself: label values no PipelineRun can carry.

WE-PR-003 fixes the PipelineRun's label values: ``kubernaut.ai/workflow-execution`` = the WE
name and ``kubernaut.ai/workflow-id`` = ``spec.workflowRef.workflowId``, copied as they are
(only the target-resource label is transformed). A label value is at most 63 characters of
``[A-Za-z0-9_.-]``, while a WE name may have up to 253 characters and a workflowId is free
text, so some valid WEs yield a PipelineRun the API server refuses (422).

Decision (the contract has no sanitising rule): since WE-PR-003 leaves no other label value,
the only conformant outcome is WE-RUN-012, a pre-execution failure with reason ``Unknown``
(WE-CRD-020: not Kubernaut V1.0's ``PipelineRunCreationFailed``, which the API server rejects
and which leaves the WE Pending forever) and a message ``Failed to create PipelineRun:
<error>``. A controller that shortens or rewrites the value deviates from WE-PR-003 and is
reported so. DOMAIN §7.3 Q5 (a cut target label ending in ``-``) stays untested: it is open.
"""

from __future__ import annotations

from typing import Any

import pytest

from wetest import consistently, eventually
from wetest import expectations as ex
from wetest.domain.naming import pipelinerun_name
from wetest.kube import objects

PREFIX = "Failed to create PipelineRun: "


def assert_create_error_failure(we_kube, we_create, we: dict[str, Any]) -> None:
    """The WE failed before execution with the API server's refusal in the message."""
    failed = eventually(
        objects.Probe(we_kube, we_create.ref(we)), ex.has_phase("Failed"), timeout=15
    )
    status = failed["status"]
    details = status["failureDetails"]
    assert details["reason"] == "Unknown", (
        f"a create error must fail with reason Unknown (WE-RUN-012), got {details['reason']}"
    )
    assert details["message"].startswith(PREFIX), details["message"]
    assert "label" in details["message"].lower() or "invalid" in details["message"].lower(), (
        f"the message must carry the API server's error, got {details['message']!r}"
    )
    assert "startTime" not in status
    assert details.get("wasExecutionFailure", False) is False
    created = [c for c in status["conditions"] if c["type"] == "TektonPipelineCreated"]
    assert [(c["status"], c["reason"]) for c in created] == [("False", "PipelineCreationFailed")]
    assert created[0]["message"].startswith(PREFIX)
    pr = we_create.pipelinerun_ref(pipelinerun_name(we["spec"]["targetResource"]))
    consistently(objects.Probe(we_kube, pr), ex.is_deleted(), duration=2)


@pytest.mark.we_conformance(
    "failure", "WE-RUN-012", "WE-PR-003", "WE-FAIL-010", "WE-COND-011", "WE-CRD-020"
)
def test_we_name_longer_than_a_label_value_fails_before_execution(
    we_kube, we_create, we_name, we_namespace
):
    """A 70-character WE name is valid, but not as the workflow-execution label value."""
    name = f"{we_name}-{'x' * 70}"[:70]
    we = we_create(name, target=f"{we_namespace}/deployment/{we_name}")
    assert_create_error_failure(we_kube, we_create, we)


@pytest.mark.we_conformance(
    "failure", "WE-RUN-012", "WE-PR-003", "WE-FAIL-010", "WE-COND-011", "WE-CRD-020"
)
def test_workflow_id_with_spaces_and_slashes_fails_before_execution(we_kube, we_create):
    """``increase memory/limit`` is a valid workflowId but not a label value."""
    we = we_create(
        workflowRef={
            "workflowId": "increase memory/limit",
            "version": "v1.0.0",
            "containerImage": "ghcr.io/kubernaut/workflows/test@sha256:abc123",
        }
    )
    assert_create_error_failure(we_kube, we_create, we)
