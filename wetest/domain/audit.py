"""Audit events of the Audit profile (DOMAIN §4): types, envelope and event_data.

Built from the WorkflowExecution as it is AFTER the transition, so the payload always agrees
with the status that was committed.
"""

from __future__ import annotations

import enum
from typing import Any

from wetest.domain import resources

VERSION = "1.0"
CATEGORY = "workflow"
ACTOR_TYPE = "service"
ACTOR_ID = "workflowexecution-controller"
RESOURCE_TYPE = "WorkflowExecution"
BATCH_PATH = "/api/v1/audit/events/batch"
QUERY_PATH = "/api/v1/audit/events"
CATEGORY_ORDER = (
    "gateway",
    "notification",
    "analysis",
    "signalprocessing",
    "workflow",
    "execution",
    "orchestration",
)
CATEGORIES = frozenset(CATEGORY_ORDER)
OUTCOME_ORDER = ("success", "failure", "pending", "skipped")  # skipped: [seed], Q2
OUTCOMES = frozenset(OUTCOME_ORDER)
REQUIRED = (
    "version",
    "event_type",
    "event_timestamp",
    "event_category",
    "event_action",
    "event_outcome",
    "correlation_id",
    "event_data",
)


class EventType(enum.StrEnum):
    STARTED = "workflow.started"
    COMPLETED = "workflow.completed"
    FAILED = "workflow.failed"


ACTION_OUTCOME = {
    EventType.STARTED: ("started", "success"),
    EventType.COMPLETED: ("completed", "success"),
    EventType.FAILED: ("failed", "failure"),
}


def correlation_id(we: dict[str, Any]) -> str:
    """WE-AUD-002: the correlation-id label when non-empty, else the WE name."""
    meta = we.get("metadata") or {}
    label = (meta.get("labels") or {}).get(resources.LABEL_CORRELATION_ID)
    return str(label or meta.get("name", ""))


def is_about(event: dict[str, Any], we: dict[str, Any]) -> bool:
    """Whether an audit event is about the WE, whatever its correlation id says.

    By ``resource_id`` (the WE name, WE-AUD-001) in the WE's namespace, or by
    ``event_data.target_resource`` (WE-AUD-003), which is unique per test in the suites.
    """
    meta, spec = we.get("metadata") or {}, we.get("spec") or {}
    if meta.get("name") and (event.get("resource_id"), event.get("namespace")) == (
        meta.get("name"),
        meta.get("namespace"),
    ):
        return True
    raw = event.get("event_data")
    data: dict[str, Any] = raw if isinstance(raw, dict) else {}
    target = spec.get("targetResource")
    return bool(target) and data.get("target_resource") == target


def event_data(we: dict[str, Any]) -> dict[str, Any]:
    """WE-AUD-003: the event_data object for the WE's current (post-transition) status."""
    spec, status = we.get("spec") or {}, we.get("status") or {}
    ref = spec.get("workflowRef") or {}
    data: dict[str, Any] = {
        "workflow_id": ref.get("workflowId", ""),
        "workflow_version": ref.get("version", ""),
        "target_resource": spec.get("targetResource", ""),
        "phase": status.get("phase", ""),
        "container_image": ref.get("containerImage", ""),
        "execution_name": we["metadata"]["name"],
    }
    _optional(data, "started_at", status.get("startTime"))
    _optional(data, "completed_at", status.get("completionTime"))
    _optional(data, "duration", status.get("duration"))
    details = status.get("failureDetails")
    if status.get("phase") == "Failed" and details:
        data["failure_reason"] = details.get("reason", "")
        data["failure_message"] = details.get("message", "")
        _optional(data, "failed_task_name", details.get("failedTaskName"))
    _optional(data, "pipelinerun_name", (status.get("pipelineRunRef") or {}).get("name"))
    return data


def _optional(data: dict[str, Any], key: str, value: Any) -> None:
    if value:
        data[key] = value


def build_event(we: dict[str, Any], event_type: EventType, timestamp: str) -> dict[str, Any]:
    """WE-AUD-001: the full AuditEventRequest for one transition (no event_id)."""
    action, outcome = ACTION_OUTCOME[event_type]
    meta = we["metadata"]
    return {
        "version": VERSION,
        "event_type": str(event_type),
        "event_timestamp": timestamp,
        "event_category": CATEGORY,
        "event_action": action,
        "event_outcome": outcome,
        "actor_type": ACTOR_TYPE,
        "actor_id": ACTOR_ID,
        "resource_type": RESOURCE_TYPE,
        "resource_id": meta["name"],
        "correlation_id": correlation_id(we),
        "namespace": meta.get("namespace"),
        "event_data": event_data(we),
    }


def schema_error(event: dict[str, Any]) -> str | None:
    """Check an event against the AuditEventRequest schema (§5.3); None when valid."""
    for key in REQUIRED:
        if event.get(key) in (None, ""):
            return f"{key} is required"
    limits = {
        "version": 20,
        "event_type": 100,
        "event_category": 50,
        "event_action": 50,
        "correlation_id": 255,
        "actor_type": 50,
        "actor_id": 255,
        "resource_type": 100,
        "resource_id": 255,
    }
    for key, limit in limits.items():
        if len(str(event.get(key) or "")) > limit:
            return f"{key} longer than {limit} characters"
    if event["event_category"] not in CATEGORIES:
        return f"event_category {event['event_category']!r} is not allowed"
    if event["event_outcome"] not in OUTCOMES:
        return f"event_outcome {event['event_outcome']!r} is not allowed"
    if not isinstance(event["event_data"], dict):
        return "event_data must be a JSON object"
    return None
