"""Reading a PipelineRun the way a WE controller must (DOMAIN §2.6, WE-FAIL-002/003)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from wetest.kube.errors import KubeAPIError
from wetest.reference.controller.kubeio import Kube

Body = dict[str, Any]


def succeeded(obj: Body) -> Body | None:
    """Return the ``Succeeded`` condition of a PipelineRun or TaskRun, or None."""
    conditions = (obj.get("status") or {}).get("conditions") or []
    return next((c for c in conditions if c.get("type") == "Succeeded"), None)


def mirror(pr: Body) -> Body:
    """WE-RUN-020: status.pipelineRunStatus for the PipelineRun as read."""
    cond = succeeded(pr) or {}
    out: Body = {"status": cond.get("status") or "Unknown", "totalTasks": len(children(pr))}
    if cond.get("reason"):
        out["reason"] = cond["reason"]
    if cond.get("message"):
        out["message"] = cond["message"]
    return out


def children(pr: Body) -> list[Body]:
    return list((pr.get("status") or {}).get("childReferences") or [])


@dataclass(frozen=True)
class FailedTask:
    index: int = 0
    name: str = ""
    exit_code: int | None = None


def child_taskruns(kube: Kube, pr: Body) -> Iterator[tuple[int, Body]]:
    """The readable child TaskRuns with their index in ``childReferences`` (others skipped)."""
    for index, child in enumerate(children(pr)):
        if child.get("kind") != "TaskRun":
            continue
        try:
            yield index, kube.get_taskrun(child.get("name", ""))
        except KubeAPIError:
            continue


def first_failed_task(kube: Kube, pr: Body) -> FailedTask:
    """WE-FAIL-002/003: first child TaskRun with Succeeded=False, and its first non-zero exit."""
    for index, taskrun in child_taskruns(kube, pr):
        if (succeeded(taskrun) or {}).get("status") == "False":
            return FailedTask(index, taskrun["metadata"]["name"], exit_code(taskrun))
    return FailedTask()


CANCELLED = "TaskRunCancelled"
"""The ``spec.status`` Tekton patches onto each child TaskRun when it times out or cancels a run."""


def taskruns_settled(kube: Kube, pr: Body) -> bool:
    """Whether no readable child TaskRun is being cancelled and still without a final condition.

    Real Tekton marks a PipelineRun final (a timeout, a cancel) right after it has patched
    ``spec.status: TaskRunCancelled`` onto its TaskRuns, before they are final; read at once,
    the failed TaskRun of WE-FAIL-002 is still Unknown. A TaskRun nobody is cancelling (one a
    test left running under a hand-written final status) will not become final: no reason to
    wait for it.
    """
    for _, taskrun in child_taskruns(kube, pr):
        cancelling = (taskrun.get("spec") or {}).get("status") == CANCELLED
        if cancelling and (succeeded(taskrun) or {}).get("status") not in ("True", "False"):
            return False
    return True


def exit_code(taskrun: Body) -> int | None:
    for step in (taskrun.get("status") or {}).get("steps") or []:
        code = (step.get("terminated") or {}).get("exitCode")
        if code:
            return int(code)
    return None
