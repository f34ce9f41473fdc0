"""The PipelineRun a controller creates for a WE (DOMAIN §2.3) and its execution namespace.

Catalogue: reconciler_test.go (PR creation, parameters, TARGET_RESOURCE, owner/labels, service
accounts, deterministic names) and custom_namespace_test.go (DOMAIN §6.2).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest

from wetest import check, eventually
from wetest import expectations as ex
from wetest.kube import objects

SERVICE_ACCOUNT = "kubernaut-workflow-runner"
FINALIZER = "workflowexecution.kubernaut.ai/workflowexecution-cleanup"
IMAGE = "ghcr.io/kubernaut/workflows/test@sha256:abc123"


def _pipeline_run(we_kube, we_create, we: dict[str, Any]) -> dict[str, Any]:
    """Wait for status.pipelineRunRef (set with Running) and read that PipelineRun."""
    seen = eventually(
        objects.Probe(we_kube, we_create.ref(we)),
        ex.has_field("status.pipelineRunRef.name", predicate=bool),
        timeout=10,
    )
    return objects.get(we_kube, we_create.pipelinerun_ref(seen))


def _params(pr: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["name"], p["value"]) for p in pr["spec"].get("params", [])]


# On the real tier the stored PipelineRun is the admitted one, not the controller's request.
DEFAULTED_TIMEOUTS = (
    "real Tekton's defaulting webhook and the tier's timeout policy write spec.timeouts, so "
    "the stored PipelineRun cannot show that the controller sent none (WE-PR-009)"
)


def _sha_name(target: str) -> str:
    """WE-PR-001 recomputed for a per-test target (the literal examples are asserted below)."""
    return "wfe-" + hashlib.sha256(target.encode()).hexdigest()[:16]


@pytest.mark.we_tekton(
    "stand-in",
    reason=DEFAULTED_TIMEOUTS,
)
@pytest.mark.we_conformance(
    "pipelinerun",
    "WE-PR-001",
    "WE-PR-002",
    "WE-PR-003",
    "WE-PR-004",
    "WE-PR-005",
    "WE-PR-006",
    "WE-PR-007",
    "WE-PR-008",
    "WE-PR-009",
    "WE-RUN-010",
)
def test_pipelinerun_matches_documented_example(we_kube, we_create, we_namespace, we_name):
    """reconciler_test: should create PipelineRun when WFE is created (DOMAIN §2.3 example).

    The example's shape with a target unique to this run: the literal target
    ``payment/deployment/payment-api`` would be one lock shared by every run on a long-lived
    stack. The literal name ``wfe-cf0cc089293b1165`` is checked in
    ``tests/domain/test_domain_literals.py``.
    """
    target = f"{we_namespace}/deployment/payment-api"
    we = we_create(
        target=target,
        parameters={"NAMESPACE": "payment"},
        container_image="ghcr.io/kubernaut/workflows/increase-memory@sha256:abc123",
        workflowRef={
            "workflowId": "increase-memory-limit",
            "version": "v1.0.0",
            "containerImage": "ghcr.io/kubernaut/workflows/increase-memory@sha256:abc123",
        },
        executionConfig={"timeout": "30m"},
    )

    pr = _pipeline_run(we_kube, we_create, we)

    meta = pr["metadata"]
    assert meta["name"] == _sha_name(target)
    assert meta["namespace"] == we_create.execution_namespace  # ENV-001's setting
    labels = meta["labels"]
    assert labels["kubernaut.ai/workflow-execution"] == we_name
    assert labels["kubernaut.ai/workflow-id"] == "increase-memory-limit"
    assert labels["kubernaut.ai/target-resource"] == f"{we_namespace}__deployment__payment-api"
    assert labels["kubernaut.ai/source-namespace"] == we_namespace
    assert meta["annotations"]["kubernaut.ai/target-resource"] == target
    assert not meta.get("ownerReferences"), "no cross-namespace owner reference (WE-PR-005)"
    assert pr["spec"]["pipelineRef"] == {
        "resolver": "bundles",
        "params": [
            {
                "name": "bundle",
                "value": "ghcr.io/kubernaut/workflows/increase-memory@sha256:abc123",
            },
            {"name": "name", "value": "workflow"},
            {"name": "kind", "value": "pipeline"},
        ],
    }
    assert _params(pr) == [("NAMESPACE", "payment"), ("TARGET_RESOURCE", target)]
    assert pr["spec"]["taskRunTemplate"]["serviceAccountName"] == "kubernaut-workflow-runner"
    assert "timeouts" not in pr["spec"], "executionConfig.timeout is ignored (WE-PR-009)"


@pytest.mark.we_conformance("pipelinerun", "WE-PR-001", "WE-PR-003", "WE-VAL-003")
def test_cluster_scoped_target_names_pipelinerun(we_kube, we_create, we_name):
    """WE-PR-001 shape of the example ``node/worker-node-1``, with a node unique to this run."""
    target = f"node/{we_name}"
    we = we_create(target=target)

    pr = _pipeline_run(we_kube, we_create, we)

    assert pr["metadata"]["name"] == _sha_name(target)
    assert pr["metadata"]["labels"]["kubernaut.ai/target-resource"] == f"node__{we_name}"
    assert ("TARGET_RESOURCE", target) in _params(pr)


@pytest.mark.we_conformance("pipelinerun", "WE-PR-001", "WE-RUN-010")
def test_deterministic_name_from_target_hash(we_kube, we_create, we_namespace, we_name):
    """reconciler_test / conflict_test: deterministic names (`wfe-` + 16 hex = 20 characters)."""
    target = f"{we_namespace}/deployment/{we_name}"
    we = we_create(target=target)

    pr = _pipeline_run(we_kube, we_create, we)

    name = pr["metadata"]["name"]
    assert len(name) == 20
    assert re.fullmatch(r"wfe-[0-9a-f]{16}", name)
    assert name == _sha_name(target)
    we_now = objects.get(we_kube, we_create.ref(we))
    assert we_now["status"]["pipelineRunRef"]["name"] == name


@pytest.mark.we_conformance("pipelinerun", "WE-PR-007")
def test_parameters_are_passed_with_target_resource_last(we_kube, we_create, we_namespace, we_name):
    """reconciler_test: should pass parameters / include TARGET_RESOURCE parameter."""
    parameters = {"NAMESPACE": "payment", "DEPLOYMENT_NAME": "payment-api", "MEMORY_LIMIT": "1Gi"}
    we = we_create(parameters=parameters)

    pr = _pipeline_run(we_kube, we_create, we)

    params = _params(pr)
    assert params[-1] == ("TARGET_RESOURCE", we["spec"]["targetResource"])
    assert sorted(params[:-1]) == [
        ("DEPLOYMENT_NAME", "payment-api"),
        ("MEMORY_LIMIT", "1Gi"),
        ("NAMESPACE", "payment"),
    ]
    assert all(p.get("value") is not None for p in pr["spec"]["params"])


@pytest.mark.we_conformance("pipelinerun", "WE-PR-007")
def test_without_parameters_target_resource_is_the_only_param(
    we_kube, we_create, we_namespace, we_name
):
    """WE-PR-007: with no spec.parameters, TARGET_RESOURCE is the only param."""
    we = we_create()

    pr = _pipeline_run(we_kube, we_create, we)

    assert _params(pr) == [("TARGET_RESOURCE", we["spec"]["targetResource"])]


@pytest.mark.we_tekton(
    "stand-in",
    reason=DEFAULTED_TIMEOUTS,
)
@pytest.mark.we_conformance("pipelinerun", "WE-PR-008", "WE-PR-009")
def test_controller_service_account_is_used(we_kube, we_create):
    """reconciler_test: default SA when not specified (no executionConfig at all)."""
    pr = _pipeline_run(we_kube, we_create, we_create())

    assert pr["spec"]["taskRunTemplate"]["serviceAccountName"] == "kubernaut-workflow-runner"
    assert "timeouts" not in pr["spec"]


@pytest.mark.we_tekton(
    "stand-in",
    reason=DEFAULTED_TIMEOUTS,
)
@pytest.mark.we_conformance("pipelinerun", "WE-PR-008", "WE-PR-009")
def test_execution_config_service_account_and_timeout_are_ignored(we_kube, we_create):
    """reconciler_test: should ignore ExecutionConfig ServiceAccount and use controller default."""
    we = we_create(executionConfig={"serviceAccountName": "custom-sa", "timeout": "5m"})

    pr = _pipeline_run(we_kube, we_create, we)

    assert pr["spec"]["taskRunTemplate"]["serviceAccountName"] == SERVICE_ACCOUNT
    assert "custom-sa" not in str(pr["spec"])
    assert "timeouts" not in pr["spec"]


@pytest.mark.we_conformance("pipelinerun", "WE-PR-003")
def test_long_target_label_is_cut_to_63_characters(we_kube, we_create, we_namespace):
    """WE-PR-003: `/` → `__`, then the label value is cut to 63 characters."""
    name = "a" * 30 + "-b" * 10  # 50 characters; the cut falls on an alphanumeric
    target = f"{we_namespace}/deployment/{name}"
    we = we_create(target=target)

    pr = _pipeline_run(we_kube, we_create, we)

    label = pr["metadata"]["labels"]["kubernaut.ai/target-resource"]
    assert label == target.replace("/", "__")[:63]
    assert len(label) == 63
    assert pr["metadata"]["annotations"]["kubernaut.ai/target-resource"] == target


@pytest.mark.we_conformance("pipelinerun", "WE-PR-002", "WE-PR-008", "WE-FIN-001", "WE-FIN-002")
def test_pipelineruns_live_in_execution_namespace_not_we_namespace(
    we_kube, we_create, we_namespace, we_name
):
    """custom_namespace_test: PRs in the execution namespace, for several WEs; isolation."""
    wes = [we_create(f"{we_name}-{i}", scenario="run-forever") for i in range(3)]

    names = set()
    for we in wes:
        running = eventually(
            objects.Probe(we_kube, we_create.ref(we)), ex.has_phase("Running"), timeout=10
        )
        with check("WE-FIN-001"):
            assert running["metadata"].get("finalizers"), "no finalizer on a Running WE"
        with check("WE-FIN-002", soft=True):
            assert FINALIZER in running["metadata"]["finalizers"]
        pr_name = running["status"]["pipelineRunRef"]["name"]
        pr = objects.get(we_kube, we_create.pipelinerun_ref(pr_name))
        assert pr["metadata"]["labels"]["kubernaut.ai/source-namespace"] == we_namespace
        assert pr["spec"]["taskRunTemplate"]["serviceAccountName"] == SERVICE_ACCOUNT
        names.add(pr_name)

    assert len(names) == 3, "different targets give different PipelineRuns"
    assert objects.items(we_kube, objects.ObjectRef.pipeline_run(we_namespace)) == []
    mine = objects.items(
        we_kube,
        we_create.pipelinerun_ref(),
        label_selector=f"kubernaut.ai/source-namespace={we_namespace}",
    )
    assert {p["metadata"]["name"] for p in mine} == names
