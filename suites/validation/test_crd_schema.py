"""The installed WorkflowExecution CRD (DOMAIN §1.1, §1.7): identity, subresource, columns, and
what the API server accepts or rejects at create time. These check the API server's CRD, not the
controller (WE-CRD-030).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from wetest import KubeAPIError, eventually
from wetest import expectations as ex
from wetest.kube import objects

FIXTURES = Path(__file__).parents[2] / "fixtures" / "workflowexecutions"
CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/workflowexecutions.kubernaut.ai"

# DOMAIN §1.7: file → substrings of the field error (exact wording varies across versions).
INVALID = {
    "i1-target-resource-missing.yaml": ["spec.targetResource: Required value"],
    "i2-workflow-ref-missing.yaml": ["spec.workflowRef: Required value"],
    "i3-remediation-request-ref-missing.yaml": ["spec.remediationRequestRef: Required value"],
    "i4-container-image-missing.yaml": ["spec.workflowRef.containerImage: Required value"],
    "i5-workflow-id-missing.yaml": ["spec.workflowRef.workflowId: Required value"],
    "i5-workflow-version-missing.yaml": ["spec.workflowRef.version: Required value"],
    "i6-parameter-not-string.yaml": ["spec.parameters.REPLICAS", "must be of type string"],
    "i7-confidence-not-number.yaml": ["spec.confidence", "must be of type number"],
    "i8-remediation-request-ref-not-object.yaml": [
        "spec.remediationRequestRef",
        "must be of type object",
    ],
}
STATUS_CASES = {
    "status-phase-skipped.yaml": [
        'status.phase: Unsupported value: "Skipped": supported values: '
        '"Pending", "Running", "Completed", "Failed"'
    ],
    "status-failure-reason-not-in-enum.yaml": [
        "status.failureDetails.reason",
        "Unsupported value",
        '"RaceConditionError"',
    ],
}


def _load(kind: str, file: str, namespace: str, name: str) -> dict[str, Any]:
    body = yaml.safe_load((FIXTURES / kind / file).read_text())
    body["metadata"].update(name=name, namespace=namespace)
    return body


@pytest.mark.we_conformance("validation", "WE-CRD-001", "WE-CRD-002", "WE-CRD-003", "WE-CRD-004")
def test_crd_identity_status_subresource_and_printer_columns(we_kube):
    """lifecycle_test: the CRD is served as kubernaut.ai/v1alpha1 WorkflowExecution."""
    crd = objects.call(we_kube, "GET", CRD_PATH)
    spec = crd["spec"]
    assert spec["group"] == "kubernaut.ai"
    assert spec["scope"] == "Namespaced"
    assert spec["names"]["kind"] == "WorkflowExecution"
    assert spec["names"]["listKind"] == "WorkflowExecutionList"
    assert spec["names"]["plural"] == "workflowexecutions"
    assert spec["names"]["singular"] == "workflowexecution"
    assert spec["names"]["shortNames"] == ["wfe"]
    [version] = [v for v in spec["versions"] if v["name"] == "v1alpha1"]
    assert version["served"] is True
    assert version["storage"] is True
    assert version["subresources"]["status"] == {}
    columns = [(c["name"], c["type"], c["jsonPath"]) for c in version["additionalPrinterColumns"]]
    assert columns == [
        ("Phase", "string", ".status.phase"),
        ("WorkflowID", "string", ".spec.workflowRef.workflowId"),
        ("Target", "string", ".spec.targetResource"),
        ("Duration", "string", ".status.duration"),
        ("Age", "date", ".metadata.creationTimestamp"),
    ]
    schema = version["schema"]["openAPIV3Schema"]
    assert "observedGeneration" not in schema["properties"]["status"]["properties"]
    assert "x-kubernetes-validations" not in str(schema), "v1.0 has no CEL rules (WE-CRD-004)"
    assert schema["properties"]["status"]["properties"]["phase"]["enum"] == [
        "Pending",
        "Running",
        "Completed",
        "Failed",
    ]

    discovery = objects.call(we_kube, "GET", "/apis/kubernaut.ai/v1alpha1")
    served = {r["name"]: r for r in discovery["resources"]}
    assert served["workflowexecutions"]["kind"] == "WorkflowExecution"
    assert served["workflowexecutions"]["namespaced"] is True
    assert served["workflowexecutions"]["shortNames"] == ["wfe"]
    assert "workflowexecutions/status" in served


@pytest.mark.parametrize("file", sorted(INVALID))
@pytest.mark.we_conformance("validation", "WE-CRD-030")
def test_invalid_manifest_is_rejected_with_422(we_kube, we_namespace, we_name, file):
    """DOMAIN §1.7 I1-I8: rejected at create time, HTTP 422 Invalid, field error in message."""
    body = _load("invalid", file, we_namespace, we_name)

    with pytest.raises(KubeAPIError) as raised:
        objects.create(we_kube, objects.ObjectRef.workflow_execution(we_namespace), body)

    error = raised.value
    assert error.status == 422
    assert error.reason == "Invalid"
    assert f'WorkflowExecution.kubernaut.ai "{we_name}" is invalid' in str(error)
    for fragment in INVALID[file]:
        assert fragment in str(error)
    ref = objects.ObjectRef.workflow_execution(we_namespace, we_name)
    assert objects.get_or_none(we_kube, ref) is None


@pytest.mark.parametrize("file", sorted(STATUS_CASES))
@pytest.mark.we_conformance("validation", "WE-CRD-030", "WE-CRD-020", "WE-PH-005", "WE-STAT-005")
def test_invalid_status_write_is_rejected_with_422(we_kube, we_create, we_namespace, we_name, file):
    """DOMAIN §1.7 status cases: the status subresource validates against the same schema."""
    manifest = _load("invalid", file, we_namespace, we_name)
    wanted = manifest.pop("status")
    manifest["spec"]["targetResource"] = f"{we_namespace}/deployment/{we_name}"
    ref = we_create.ref(we_create(body=manifest, scenario="run-forever"))
    eventually(objects.Probe(we_kube, ref), ex.has_phase("Running"), timeout=10)

    def write(obj: dict[str, Any]) -> None:
        obj["status"].update(wanted)

    with pytest.raises(KubeAPIError) as raised:
        objects.update_status_with_retry(we_kube, ref, write)

    assert raised.value.status == 422
    for fragment in STATUS_CASES[file]:
        assert fragment in str(raised.value)
    assert objects.get(we_kube, ref)["status"]["phase"] == "Running"


@pytest.mark.parametrize("file", sorted(p.name for p in (FIXTURES / "valid").glob("*.yaml")))
@pytest.mark.we_conformance("validation", "WE-CRD-001", "WE-CRD-031", "WE-CRD-032")
def test_schema_valid_manifest_is_accepted(we_kube, we_create, we_namespace, we_name, file):
    """lifecycle_test: should accept valid WorkflowExecution spec (and WE-CRD-031/032 cases)."""
    body = _load("valid", file, we_namespace, we_name)
    spec = body.get("spec")
    if spec and spec.get("targetResource", "").count("/") >= 1:
        # per-test target: PipelineRun names hash the target (ENV-007)
        spec["targetResource"] = f"{we_namespace}/deployment/{we_name}"

    created = we_create(body=body)

    assert created["metadata"]["name"] == we_name
    assert created["metadata"]["uid"]
    assert created.get("spec") == spec
