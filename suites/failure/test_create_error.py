"""A PipelineRun create error other than AlreadyExists is a pre-execution failure.

WE-RUN-012: "Create fails otherwise → pre-execution failure, reason Unknown, message
`Failed to create PipelineRun: <error>`". The error is produced for real by the API server: a
ValidatingAdmissionPolicy (GA since Kubernetes 1.30) denies the create of this test's
PipelineRun only (matched by its target-resource label), so no other test is affected.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from wetest import check, consistently, eventually
from wetest import expectations as ex
from wetest.domain.comparison import message_matches
from wetest.kube import admission, objects

if TYPE_CHECKING:  # annotations only: importing the client costs each worker 0.3 s
    from kubernetes import client

DENIAL = "denied by the wetest create-error policy"


def _expression(label: str) -> str:
    return (
        "!has(object.metadata.labels) || "
        "!('kubernaut.ai/target-resource' in object.metadata.labels) || "
        f"object.metadata.labels['kubernaut.ai/target-resource'] != '{label}'"
    )


def _probe_pipelinerun(label: str) -> dict[str, Any]:
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {
            "generateName": "wetest-policy-probe-",
            "labels": {"kubernaut.ai/target-resource": label},
        },
        "spec": {"pipelineRef": {"name": "x"}},
    }


@pytest.fixture
def deny_create(
    we_kube: client.ApiClient, we_name: str, we_namespace: str, we_create
) -> Iterator[str]:
    """Deny creates of the PipelineRun of this test's target; yield the target."""
    target = f"{we_namespace}/deployment/{we_name}"
    label = target.replace("/", "__")[:63]
    creates = admission.rule("tekton.dev", "v1", "pipelineruns", "CREATE")
    pipelineruns = objects.ObjectRef.pipeline_run(we_create.execution_namespace).collection()
    with admission.denying(
        we_kube, f"wetest-deny-{we_name}", creates, _expression(label), DENIAL
    ) as denial:
        eventually(
            lambda: denial.refuses("POST", pipelineruns.path(), _probe_pipelinerun(label)),
            ex.satisfies(bool, "policy denies the create"),
            timeout=15,
        )
        yield target


@pytest.mark.we_conformance(
    "failure", "WE-RUN-012", "WE-FAIL-010", "WE-COND-011", "WE-CRD-020", "WE-AUD-012"
)
def test_create_error_is_a_pre_execution_failure_with_reason_unknown(
    we_kube, we_create, deny_create, we_audit
):
    we = we_create(target=deny_create)
    failed = eventually(
        objects.Probe(we_kube, we_create.ref(we)), ex.has_phase("Failed"), timeout=15
    )
    status = failed["status"]
    details = status["failureDetails"]
    assert details["reason"] == "Unknown"
    assert details["message"].startswith("Failed to create PipelineRun: ")
    assert DENIAL in details["message"]
    assert details.get("wasExecutionFailure", False) is False  # omitted when false (§1.4)
    assert details["executionTimeBeforeFailure"] == ""
    assert details["failedTaskName"] == ""
    assert details["failedTaskIndex"] == 0
    assert "startTime" not in status
    assert status.get("duration", "") == ""
    with check("WE-COND-011", soft=True):
        created = [c for c in status["conditions"] if c["type"] == "TektonPipelineCreated"]
        assert [(c["status"], c["reason"]) for c in created] == [
            ("False", "PipelineCreationFailed")
        ]
        # WE-COND-011 shows a placeholder: prefix + substituted value, which controllers may wrap.
        template = "Failed to create PipelineRun: <failure message>"
        assert message_matches(created[0]["message"], template, **{"failure message": DENIAL})
    with check("WE-AUD-012", soft=True):
        eventually(we_audit.probe(we["metadata"]["name"]), ex.count_is(1), timeout=10)
        events = consistently(
            we_audit.probe(we["metadata"]["name"]), ex.count_is(1), description="one event"
        )
        assert [e["event_type"] for e in events] == ["workflow.failed"]
        assert events[0]["event_data"]["failure_reason"] == "Unknown"
