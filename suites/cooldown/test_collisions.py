"""Collisions on the deterministic PipelineRun name (DOMAIN §2.8; Kubernaut conflict_test.go).

The PipelineRun name is the lock: WEs sharing a ``targetResource`` compete for one name. None of
these tests waits out the cooldown.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from wetest import check, consistently, eventually
from wetest import expectations as ex
from wetest.domain.comparison import message_matches, same_instant
from wetest.domain.naming import pipelinerun_name
from wetest.kube import events, objects

WE_LABEL = "kubernaut.ai/workflow-execution"


def pr_ref(we_create, target: str) -> objects.ObjectRef:
    return we_create.pipelinerun_ref(pipelinerun_name(target))


def condition(we: dict[str, Any], type_: str) -> dict[str, Any]:
    found = {c["type"]: c for c in we["status"].get("conditions") or []}
    assert type_ in found, f"no {type_} condition in {sorted(found)}"
    return found[type_]


def events_of(we_kube, namespace: str, name: str, reason: str) -> list[events.Event]:
    return events.about(we_kube, namespace, name, reason)


@pytest.mark.we_conformance("cooldown", "WE-LOCK-004", "WE-PR-001", "WE-RUN-011")
def test_concurrent_creates_on_one_target_leave_exactly_one_pipelinerun(
    we_kube, we_create, we_name, we_namespace
):
    target = f"{we_namespace}/deployment/shared"
    names = [f"{we_name[:34]}-{i}" for i in range(5)]
    with ThreadPoolExecutor(len(names)) as pool:
        created = list(
            pool.map(lambda n: we_create(n, target=target, scenario="run-forever"), names)
        )
    probes = {we["metadata"]["name"]: objects.Probe(we_kube, we_create.ref(we)) for we in created}
    pr_name = pipelinerun_name(target)

    pr = eventually(objects.Probe(we_kube, pr_ref(we_create, target)), ex.exists(), timeout=10)
    owner = pr["metadata"]["labels"][WE_LABEL]
    assert owner in probes
    running = eventually(probes[owner], ex.has_phase("Running"), timeout=10)
    assert running["status"]["pipelineRunRef"]["name"] == pr_name

    def single_run(prs: Any) -> bool:
        return [p["metadata"]["uid"] for p in prs] == [pr["metadata"]["uid"]]

    same_pr = objects.Probe(
        we_kube,
        pr_ref(we_create, target).collection(),
        label_selector=f"{WE_LABEL} in ({','.join(names)})",
    )
    consistently(same_pr, ex.satisfies(single_run, "exactly the first PipelineRun"))
    for name, probe in probes.items():
        if name == owner:
            continue
        loser = objects.get(we_kube, probe.ref)
        phase = loser.get("status", {}).get("phase") or "Pending"
        assert phase in ("Pending", "Failed"), f"{name} is {phase} next to the owner {owner}"
        if phase == "Failed":
            assert "Race condition" in loser["status"]["failureDetails"]["message"]
    assert objects.get(we_kube, probes[owner].ref)["status"]["phase"] == "Running"


@pytest.mark.we_conformance(
    "cooldown", "WE-LOCK-001", "WE-COND-010", "WE-AUD-010", "WE-EVT-001", "WE-PR-001"
)
def test_own_pipelinerun_created_before_reconcile_is_adopted(
    we_kube, we_create, we_name, we_namespace, we_audit
):
    target = f"{we_namespace}/deployment/{we_name}"
    pr_name = pipelinerun_name(target)
    existing = objects.create(
        we_kube,
        pr_ref(we_create, target),
        {
            "kind": "PipelineRun",
            "metadata": {
                "name": pr_name,
                "labels": {
                    WE_LABEL: we_name,
                    "kubernaut.ai/source-namespace": we_namespace,
                    "kubernaut.ai/workflow-id": "test-workflow",
                },
                "annotations": {
                    "kubernaut.ai/target-resource": target,
                    "wetest.kubernaut.ai/scenario": "run-forever",
                },
            },
            "spec": {"pipelineRef": {"resolver": "bundles"}},
        },
    )

    we = we_create(target=target, scenario="run-forever")
    with check("WE-LOCK-001"):
        running = eventually(
            objects.Probe(we_kube, we_create.ref(we)), ex.has_phase("Running"), timeout=10
        )
        assert running["status"]["pipelineRunRef"]["name"] == pr_name
        adopted = objects.get(we_kube, pr_ref(we_create, target))
        assert adopted["metadata"]["uid"] == existing["metadata"]["uid"], "PipelineRun replaced"

    with check("WE-COND-010", soft=True):
        created = condition(running, "TektonPipelineCreated")
        assert (created["status"], created["reason"]) == ("True", "PipelineCreated")
        template = "PipelineRun <name> already exists (race condition)"
        assert message_matches(created["message"], template, name=pr_name), created["message"]
    with check("WE-AUD-010", soft=True):
        started_probe = we_audit.probe(we_name, event_type="workflow.started")
        eventually(started_probe, ex.at_least(1), timeout=10)
        consistently(started_probe, ex.count_is(1), description="exactly one workflow.started")
    with check("WE-EVT-001", soft=True):
        found = eventually(
            lambda: events_of(we_kube, we_namespace, we_name, "PipelineRunCreated"),
            ex.at_least(1),
            timeout=10,
        )
        assert [e.type for e in found] == ["Normal"]
        template = "PipelineRun <ns>/<name> (already exists, ours)"
        assert message_matches(
            found[0].message, template, ns=we_create.execution_namespace, name=pr_name
        )


@pytest.mark.we_conformance(
    "cooldown", "WE-LOCK-002", "WE-FAIL-010", "WE-COND-011", "WE-AUD-012", "WE-EVT-001"
)
def test_pipelinerun_of_another_execution_fails_with_race_condition(
    we_kube, we_create, we_name, we_namespace, we_audit
):
    target = f"{we_namespace}/deployment/{we_name}"
    pr_name = pipelinerun_name(target)
    first = we_create(f"{we_name[:36]}-a", target=target, scenario="run-forever")
    first_probe = objects.Probe(we_kube, we_create.ref(first))
    running = eventually(first_probe, ex.has_phase("Running"), timeout=10)
    pr_uid = objects.get(we_kube, pr_ref(we_create, target))["metadata"]["uid"]

    second = we_create(f"{we_name[:36]}-b", target=target, scenario="run-forever")
    failed = eventually(
        objects.Probe(we_kube, we_create.ref(second)), ex.has_phase("Failed"), timeout=15
    )

    status, details = failed["status"], failed["status"]["failureDetails"]
    for part in ("Race condition", "PipelineRun", "already exists", pr_name):
        assert part in details["message"], f"{part!r} not in {details['message']!r}"
    assert first["metadata"]["name"] in details["message"]
    assert details["reason"] == "Unknown"
    assert details.get("wasExecutionFailure", False) is False
    assert details["failedTaskName"] == ""
    assert details["executionTimeBeforeFailure"] == ""
    assert "startTime" not in status
    assert status.get("duration", "") == ""
    with check("WE-COND-011", soft=True):
        created = condition(failed, "TektonPipelineCreated")
        assert (created["status"], created["reason"]) == ("False", "PipelineCreationFailed")
        assert created["message"].startswith("Failed to create PipelineRun: ")
        assert "Race condition" in created["message"]
    # The other execution and its PipelineRun are unaffected.
    still = consistently(first_probe, ex.has_phase("Running"))
    assert same_instant(still["status"]["startTime"], running["status"]["startTime"])
    pr = objects.get(we_kube, pr_ref(we_create, target))
    assert pr["metadata"]["uid"] == pr_uid
    assert pr["metadata"]["labels"][WE_LABEL] == first["metadata"]["name"]
    second_name = second["metadata"]["name"]
    with check("WE-AUD-012", soft=True):
        eventually(we_audit.probe(second_name), ex.at_least(1), timeout=10)
        audit = consistently(we_audit.probe(second_name), ex.count_is(1), description="one event")
        assert [e["event_type"] for e in audit] == ["workflow.failed"]
    with check("WE-EVT-001", soft=True):
        warnings = eventually(
            lambda: events_of(we_kube, we_namespace, second_name, "WorkflowFailed"),
            ex.at_least(1),
            timeout=10,
        )
        assert warnings[0].type == "Warning"
        template = "Pre-execution failure: <reason> - <message>"  # placeholders (§0.6)
        assert message_matches(
            warnings[0].message, template, reason="Unknown", message="Race condition"
        )
