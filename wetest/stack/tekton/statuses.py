"""Tekton v1.15 ``status`` bodies for PipelineRuns and TaskRuns (shared/TEKTON-STATUS.md).

Pure builders: the stand-in driver decides when, these decide exactly what real Tekton writes
(condition shape without ``severity``, second-precision UTC times, ``%q``-quoted messages,
``podName`` always present, ``childReferences`` without embedded status).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

Body = dict[str, Any]
STEP = "build"


# ``provenance.featureFlags`` as Tekton v1.15 writes it with its default ``feature-flags``
# (enable-provenance-in-status is on by default; false and empty flags are omitted)
FEATURE_FLAGS: Body = {
    "awaitSidecarReadiness": True,
    "coschedule": "workspaces",
    "enableAPIFields": "beta",
    "enableProvenanceInStatus": True,
    "enforceNonfalsifiability": "none",
    "maxResultSize": 4096,
    "resultExtractionMethod": "termination-message",
    "runningInEnvWithInjectedSidecars": True,
    "sendCloudEventsForRuns": True,
    "verificationNoMatchPolicy": "ignore",
}


def provenance(uri: str, digest: str, entry_point: str) -> Body:
    """``status.provenance`` of a run whose Pipeline or Task came from a bundle."""
    source: Body = {"uri": uri, "entryPoint": entry_point}
    if digest:
        source["digest"] = {"sha256": digest}
    return {"featureFlags": dict(FEATURE_FLAGS), "refSource": source}


def q(text: str) -> str:
    """Go's ``%q`` for the plain strings Tekton quotes."""
    return json.dumps(text)


def condition(status: str, reason: str, message: str, now: str) -> list[Body]:
    return [
        {
            "type": "Succeeded",
            "status": status,
            "lastTransitionTime": now,
            "reason": reason,
            "message": message,
        }
    ]


def counts(done: int, failed: int, cancelled: int, incomplete: int | None, skipped: int) -> str:
    base = f"Tasks Completed: {done} (Failed: {failed}, Cancelled {cancelled})"
    if incomplete is not None:
        base += f", Incomplete: {incomplete}"
    return base + f", Skipped: {skipped}"


def child(name: str, task: str) -> Body:
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "TaskRun",
        "name": name,
        "pipelineTaskName": task,
    }


def pr_running(start: str, now: str, children: list[Body], total: int) -> Body:
    msg = counts(0, 0, 0, total, 0)
    return {
        "startTime": start,
        "conditions": condition("Unknown", "Running", msg, now),
        "childReferences": children,
    }


def pr_done(
    start: str, now: str, children: list[Body], status: str, reason: str, message: str
) -> Body:
    return {
        "startTime": start,
        "completionTime": now,
        "conditions": condition(status, reason, message, now),
        "childReferences": children,
    }


def tr_running(name: str, start: str, now: str) -> Body:
    return {
        "podName": f"{name}-pod",
        "startTime": start,
        "conditions": condition(
            "Unknown", "Running", "Not all Steps in the Task have finished executing", now
        ),
        "steps": [
            {
                "name": STEP,
                "container": f"step-{STEP}",
                "provenance": {},
                "running": {"startedAt": start},
            }
        ],
    }


def tr_done(name: str, start: str, now: str, outcome: str) -> Body:
    """A finished TaskRun: outcome is ``succeed`` or a fail reason / ``cancel``."""
    reason, message, code, kubelet = _tr_outcome(name, outcome)
    status = "True" if outcome == "succeed" else "False"
    body: Body = {
        "podName": "" if outcome == "forbidden" else f"{name}-pod",
        "startTime": start,
        "completionTime": now,
        "conditions": condition(status, reason, message, now),
    }
    if outcome in ("succeed", "task", "oom"):
        body["artifacts"] = {}  # written by the pod-completion path only, not by failTaskRun
    if outcome != "forbidden":
        term: Body = {"exitCode": code, "reason": kubelet, "startedAt": start, "finishedAt": now}
        if outcome in ("timeout", "cancel", "image-pull"):
            term["message"] = f"Step {STEP} terminated as pod {name}-pod is terminated"
        body["steps"] = [
            {
                "name": STEP,
                "container": f"step-{STEP}",
                "provenance": {},
                "terminated": term,
                "terminationReason": kubelet,
            }
        ]
    return body


def _tr_outcome(name: str, outcome: str) -> tuple[str, str, int, str]:
    """(condition reason, message, exit code, step terminated reason) per TEKTON-STATUS §3."""
    container = q(f"step-{STEP}")
    cancelled = "TaskRun cancelled as the PipelineRun it belongs to has "
    table = {
        "succeed": ("Succeeded", "All Steps have completed executing", 0, "Completed"),
        "task": ("StepFailed", f"{container} exited with code 1: Error", 1, "Error"),
        "oom": ("StepOOM", f"{container} exited with code 137: OOMKilled", 137, "OOMKilled"),
        "image-pull": (
            "TaskRunImagePullFailed",
            f'the step {q(STEP)} in TaskRun {q(name)} failed to pull the image "". '
            'The pod errored with the message: "Back-off pulling image '
            '"registry.example.com/workflow:missing"."',
            1,
            "TaskRunImagePullFailed",
        ),
        "forbidden": (
            "PodCreationFailed",
            f"failed to create task run pod {q(name)}: pods {q(name + '-pod')} is "
            "forbidden: exceeded RBAC permissions for service account. "
            "Maybe invalid TaskSpec",
            1,
            "",
        ),
        "timeout": (
            "TaskRunCancelled",
            f"TaskRun {q(name)} was cancelled. {cancelled}timed out.",
            1,
            "TaskRunCancelled",
        ),
        "cancel": (
            "TaskRunCancelled",
            f"TaskRun {q(name)} was cancelled. {cancelled}been cancelled.",
            1,
            "TaskRunCancelled",
        ),
    }
    return table[outcome]


def skipped(indexes: Iterable[int]) -> list[Body]:
    """``skippedTasks`` for the tasks after a failed one (TEKTON-STATUS §3.2, §4.3)."""
    return [{"name": f"task-{i}", "reason": "PipelineRun was stopping"} for i in indexes]


def pr_final(
    pr_name: str, outcome: str, tasks: int, skipped: int = 0, timeout: str = "1h0m0s"
) -> tuple[str, str, str]:
    """(status, reason, message) of the PipelineRun's final ``Succeeded`` condition.

    ``tasks`` is the number of TaskRuns that ran, ``skipped`` the PipelineTasks never started,
    ``timeout`` the run's ``spec.timeouts.pipeline`` as Go prints it (Tekton's default 1h).
    """
    if outcome == "succeed":
        return "True", "Succeeded", counts(tasks, 0, 0, None, 0)
    if outcome == "timeout":
        message = f"PipelineRun {q(pr_name)} failed to finish within {q(timeout)}"
        return "False", "PipelineRunTimeout", message
    if outcome == "cancel":
        return "False", "Cancelled", f"PipelineRun {q(pr_name)} was cancelled"
    return "False", "Failed", counts(tasks, 1, 0, None, skipped)
