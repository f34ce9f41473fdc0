"""The PipelineRun a WorkflowExecution gets (WE-PR-001..009), as a plain body."""

from __future__ import annotations

from typing import Any

from wetest.domain import naming
from wetest.domain import resources as r

Body = dict[str, Any]


def build(we: Body, execution_namespace: str, service_account: str) -> Body:
    """Deterministic name, execution namespace, the four labels, bundle resolver, params."""
    spec = we["spec"]
    target = spec["targetResource"]
    return {
        "apiVersion": f"{r.TEKTON_GROUP}/{r.TEKTON_VERSION}",
        "kind": "PipelineRun",
        "metadata": {
            "name": naming.pipelinerun_name(target),
            "namespace": execution_namespace,
            "labels": labels(we),
            "annotations": {r.ANNOTATION_TARGET_RESOURCE: target},
        },
        "spec": {
            "pipelineRef": {
                "resolver": "bundles",
                "params": [
                    {"name": "bundle", "value": spec["workflowRef"]["containerImage"]},
                    {"name": "name", "value": "workflow"},
                    {"name": "kind", "value": "pipeline"},
                ],
            },
            "params": params(spec),
            "taskRunTemplate": {"serviceAccountName": service_account},
        },
    }


def labels(we: Body) -> dict[str, str]:
    spec, meta = we["spec"], we["metadata"]
    return {
        r.LABEL_WORKFLOW_EXECUTION: meta["name"],
        r.LABEL_WORKFLOW_ID: spec["workflowRef"].get("workflowId", ""),
        r.LABEL_TARGET_RESOURCE: naming.target_label(spec["targetResource"]),
        r.LABEL_SOURCE_NAMESPACE: meta["namespace"],
    }


def params(spec: Body) -> list[dict[str, str]]:
    """One string param per spec.parameters entry, then TARGET_RESOURCE last (WE-PR-007)."""
    out = [{"name": k, "value": v} for k, v in (spec.get("parameters") or {}).items()]
    out.append({"name": "TARGET_RESOURCE", "value": spec["targetResource"]})
    return out


def owned_by(pr: Body, we: Body) -> bool:
    """WE-LOCK-001: the PipelineRun's labels name this WE (name and source namespace)."""
    found = (pr.get("metadata") or {}).get("labels") or {}
    meta = we["metadata"]
    return bool(
        found.get(r.LABEL_WORKFLOW_EXECUTION) == meta["name"]
        and found.get(r.LABEL_SOURCE_NAMESPACE) == meta["namespace"]
    )


def owner_of(pr: Body) -> str:
    """Name of the WE a PipelineRun's labels name (for the race-condition message)."""
    found = (pr.get("metadata") or {}).get("labels") or {}
    return str(found.get(r.LABEL_WORKFLOW_EXECUTION, ""))


def request_for(pr: Body) -> tuple[str, str] | None:
    """WE-PR-010: the WE a labelled PipelineRun maps to, or None without both labels."""
    found = (pr.get("metadata") or {}).get("labels") or {}
    name, namespace = found.get(r.LABEL_WORKFLOW_EXECUTION), found.get(r.LABEL_SOURCE_NAMESPACE)
    return (namespace, name) if name and namespace else None
