"""Small helpers for the integration tests: WE manifests, reads, and polling with a deadline."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from wetest.waiting import expectations as ex
from wetest.waiting.eventually import eventually as wait_for

T = TypeVar("T")
G, V, P = "kubernaut.ai", "v1alpha1", "workflowexecutions"
IMAGE = "ghcr.io/kubernaut/workflows/test@sha256:abc123"


def manifest(target: str, **spec: Any) -> dict[str, Any]:
    name = f"int-test-{uuid.uuid4().hex[:8]}"
    body: dict[str, Any] = {
        "apiVersion": f"{G}/{V}",
        "kind": "WorkflowExecution",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "remediationRequestRef": {
                "apiVersion": "kubernaut.ai/v1alpha1",
                "kind": "RemediationRequest",
                "name": "test-rr-1",
                "namespace": "default",
            },
            "workflowRef": {
                "workflowId": "test-workflow",
                "version": "v1.0.0",
                "containerImage": IMAGE,
            },
            "targetResource": target,
        },
    }
    body["spec"].update(spec)
    return body


def create(api: client.ApiClient, body: dict[str, Any]) -> str:
    client.CustomObjectsApi(api).create_namespaced_custom_object(G, V, "default", P, body)
    return str(body["metadata"]["name"])


def get(api: client.ApiClient, name: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = client.CustomObjectsApi(api).get_namespaced_custom_object(
            G, V, "default", P, name
        )
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    return found


def get_pr(api: client.ApiClient, name: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = client.CustomObjectsApi(api).get_namespaced_custom_object(
            "tekton.dev", "v1", "kubernaut-workflows", "pipelineruns", name
        )
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    return found


def eventually(
    probe: Callable[[], T], ok: Callable[[T], bool], timeout: float = 20.0, what: str = ""
) -> T:
    """The project's polled eventually, with this module's (probe, predicate) shape."""
    state: T = wait_for(probe, ex.satisfies(ok, what or "condition holds"), timeout=timeout)
    return state


def phase_of(api: client.ApiClient, name: str) -> str:
    return str(((get(api, name) or {}).get("status") or {}).get("phase") or "")
