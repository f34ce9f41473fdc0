"""Failure details: classification, wasExecutionFailure and the summary (WE-FAIL-001..020).

Pure functions over the PipelineRun ``Succeeded`` condition and facts the controller read;
the controller does the reading.
"""

from __future__ import annotations

import enum

EXTERNAL_DELETION_MESSAGE = "PipelineRun was deleted externally"


class FailureReason(enum.StrEnum):
    """The failureDetails.reason enum (§1.4); nothing else may be written (WE-CRD-020)."""

    OOM_KILLED = "OOMKilled"
    DEADLINE_EXCEEDED = "DeadlineExceeded"
    FORBIDDEN = "Forbidden"
    RESOURCE_EXHAUSTED = "ResourceExhausted"
    CONFIGURATION_ERROR = "ConfigurationError"
    IMAGE_PULL_BACK_OFF = "ImagePullBackOff"
    TASK_FAILED = "TaskFailed"
    UNKNOWN = "Unknown"


def classify(reason: str | None, message: str | None) -> FailureReason:
    """WE-FAIL-001: first matching rule over the lower-cased (reason, message)."""
    r, m = (reason or "").lower(), (message or "").lower()
    if "oomkilled" in m or "oom" in m:
        return FailureReason.OOM_KILLED
    if "timeout" in r or "timeout" in m or "deadline" in m:
        return FailureReason.DEADLINE_EXCEEDED
    if any(word in m for word in ("forbidden", "rbac", "permission denied")):
        return FailureReason.FORBIDDEN
    if "quota" in m or "resource exhausted" in m:
        return FailureReason.RESOURCE_EXHAUSTED
    if "imagepullbackoff" in m or "image pull" in m:
        return FailureReason.IMAGE_PULL_BACK_OFF
    if "invalid" in m or "configuration" in m:
        return FailureReason.CONFIGURATION_ERROR
    if "taskfailed" in r or ("task" in m and "failed" in m):
        return FailureReason.TASK_FAILED
    return FailureReason.UNKNOWN


_NOT_EXECUTED = {
    FailureReason.IMAGE_PULL_BACK_OFF,
    FailureReason.CONFIGURATION_ERROR,
    FailureReason.RESOURCE_EXHAUSTED,
}
_EXECUTED = {
    FailureReason.OOM_KILLED,
    FailureReason.DEADLINE_EXCEEDED,
    FailureReason.FORBIDDEN,
    FailureReason.TASK_FAILED,
}


def was_execution_failure(
    pr_exists: bool, pr_started: bool, has_children: bool, reason: str
) -> bool:
    """Tell whether the workflow ran, so non-idempotent actions may have happened (WE-FAIL-004)."""
    if not pr_exists:
        return False
    if pr_started:
        return reason not in _NOT_EXECUTED
    if has_children:
        return True
    return reason in _EXECUTED


RECOMMENDATIONS = {
    FailureReason.OOM_KILLED: "The workflow task ran out of memory. "
    "Consider increasing task resource limits.",
    FailureReason.FORBIDDEN: "The service account lacks required RBAC permissions. "
    "Grant appropriate permissions or use an alternative workflow.",
    FailureReason.DEADLINE_EXCEEDED: "The workflow exceeded its timeout. "
    "Consider increasing the timeout or using a faster "
    "workflow variant.",
    FailureReason.IMAGE_PULL_BACK_OFF: "Unable to pull the workflow container image. "
    "Verify image exists and credentials are configured.",
}


def summary(workflow_id: str, target: str, reason: str, message: str, failed_after: str) -> str:
    """WE-FAIL-020: the natural-language summary, every line ending in a newline."""
    lines = [f"Workflow '{workflow_id}' failed on target '{target}'.", f"Reason: {reason}"]
    if message:
        lines.append(f"Error: {message}")
    if failed_after:
        lines.append(f"Failed after: {failed_after}")
    if reason in RECOMMENDATIONS:
        lines.append(f"Recommendation: {RECOMMENDATIONS[FailureReason(reason)]}")
    return "".join(line + "\n" for line in lines)


def race_message(pr_name: str, other_we: str) -> str:
    """WE-LOCK-002."""
    return (
        f"Race condition: PipelineRun '{pr_name}' already exists for target resource "
        f"(created by {other_we}). This indicates RO routing may have failed."
    )


def unverifiable_message(error: str) -> str:
    """WE-LOCK-003."""
    return f"PipelineRun already exists but failed to verify ownership: {error}"


def create_failed_message(error: str) -> str:
    """WE-RUN-012."""
    return f"Failed to create PipelineRun: {error}"
