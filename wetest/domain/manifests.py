"""Builders for WorkflowExecution objects used by suites and fixtures (ENV-007 defaults)."""

from __future__ import annotations

from typing import Any

WORKFLOW_ID = "test-workflow"
WORKFLOW_VERSION = "v1.0.0"
CONTAINER_IMAGE = "ghcr.io/kubernaut/workflows/test@sha256:abc123"
CORRELATION_LABEL = "kubernaut.ai/correlation-id"


def workflow_execution(
    name: str,
    namespace: str,
    target_resource: str,
    parameters: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    container_image: str = CONTAINER_IMAGE,
    **spec: Any,
) -> dict[str, Any]:
    """A valid WE (DOMAIN §1.6 shape); keyword arguments add or override spec fields."""
    body: dict[str, Any] = {
        "apiVersion": "kubernaut.ai/v1alpha1",
        "kind": "WorkflowExecution",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels or {})},
        "spec": {
            "remediationRequestRef": {
                "apiVersion": "kubernaut.ai/v1alpha1",
                "kind": "RemediationRequest",
                "name": f"rr-{name}",
                "namespace": namespace,
            },
            "workflowRef": {
                "workflowId": WORKFLOW_ID,
                "version": WORKFLOW_VERSION,
                "containerImage": container_image,
            },
            "targetResource": target_resource,
        },
    }
    if parameters is not None:
        body["spec"]["parameters"] = dict(parameters)
    body["spec"].update(spec)
    return body
