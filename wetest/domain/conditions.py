"""Condition types, reasons and messages of the Conditions profile (DOMAIN §3).

Also the standard ``metav1.Condition`` set semantics (WE-COND-001).
"""

from __future__ import annotations

import enum
from typing import Any

CREATED = "TektonPipelineCreated"
RUNNING = "TektonPipelineRunning"
COMPLETE = "TektonPipelineComplete"
AUDIT_RECORDED = "AuditRecorded"
TYPES = (CREATED, RUNNING, COMPLETE, AUDIT_RECORDED)


class Reason(enum.StrEnum):
    PIPELINE_CREATED = "PipelineCreated"
    PIPELINE_CREATION_FAILED = "PipelineCreationFailed"
    PIPELINE_STARTED = "PipelineStarted"
    PIPELINE_SUCCEEDED = "PipelineSucceeded"
    PIPELINE_FAILED = "PipelineFailed"
    TASK_FAILED = "TaskFailed"
    DEADLINE_EXCEEDED = "DeadlineExceeded"
    OOM_KILLED = "OOMKilled"
    AUDIT_SUCCEEDED = "AuditSucceeded"
    AUDIT_FAILED = "AuditFailed"


Condition = dict[str, Any]


def created_message(pr_name: str, namespace: str) -> str:
    return f"PipelineRun {pr_name} created in {namespace} namespace"


def adopted_message(pr_name: str) -> str:
    return f"PipelineRun {pr_name} already exists (race condition)"


def creation_failed_message(failure_message: str) -> str:
    return f"Failed to create PipelineRun: {failure_message}"


def running_message(succeeded_reason: str | None) -> str:
    """WE-COND-020: the PR condition's reason, or the waiting text when it has none."""
    if succeeded_reason is None:
        return "Pipeline created, waiting for Tekton to start execution"
    return f"Pipeline executing ({succeeded_reason})"


def succeeded_message(duration: str) -> str:
    return f"All tasks completed successfully in {duration}"


def complete_false(failure_reason: str, failure_message: str) -> tuple[str, str]:
    """WE-COND-031: (reason, message) of TektonPipelineComplete=False for a failure reason."""
    if failure_reason == "TaskFailed":
        return Reason.TASK_FAILED, failure_message
    if failure_reason == "DeadlineExceeded":
        return Reason.DEADLINE_EXCEEDED, "Pipeline exceeded timeout deadline"
    if failure_reason == "OOMKilled":
        return Reason.OOM_KILLED, "Pipeline task killed due to out of memory"
    return Reason.PIPELINE_FAILED, failure_message


def audit_recorded_message(event_type: str) -> str:
    return f"Audit event {event_type} recorded to DataStorage"


def audit_failed_message(error: str) -> str:
    return f"Failed to record audit event: {error}"


def find(conditions: list[Condition] | None, ctype: str) -> Condition | None:
    return next((c for c in conditions or [] if c.get("type") == ctype), None)


def set_condition(
    conditions: list[Condition], ctype: str, status: str, reason: str, message: str, now: str
) -> list[Condition]:
    """Return a new list with the condition set (keyed by type; WE-COND-001).

    An unchanged ``status`` keeps ``lastTransitionTime``; a changed one sets it to ``now``.
    ``observedGeneration`` is never set (WE-COND-002).
    """
    old = find(conditions, ctype)
    keep = old is not None and old.get("status") == status and old.get("lastTransitionTime")
    new: Condition = {
        "type": ctype,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": old["lastTransitionTime"] if keep and old else now,
    }
    out = [dict(c) for c in conditions if c.get("type") != ctype]
    out.append(new)
    return out
