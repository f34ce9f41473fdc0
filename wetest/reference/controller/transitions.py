"""Pure builders of the status a transition writes (WE-STAT-002: everything in one write).

Each function takes the status as read and returns the complete new status: phase, times,
refs, failure details and the phase's conditions together. No I/O, so every clause about
status content is unit-tested here.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wetest.domain import conditions as c
from wetest.domain import durations, failures, timestamps
from wetest.domain.phases import Phase

Body = dict[str, Any]


def _base(status: Body | None) -> Body:
    out = copy.deepcopy(status or {})
    out.setdefault("conditions", [])
    return out


def _cond(status: Body, ctype: str, ok: bool, reason: str, message: str, now: datetime) -> None:
    status["conditions"] = c.set_condition(
        status["conditions"],
        ctype,
        "True" if ok else "False",
        reason,
        message,
        timestamps.rfc3339(now),
    )


def pending(status: Body | None) -> Body:
    """Cooldown gate on an empty phase: write ``Pending`` (WE-LOCK-010)."""
    out = _base(status)
    out["phase"] = Phase.PENDING
    return out


def running(
    status: Body | None, pr_name: str, created_message: str, mirror: Body, now: datetime
) -> Body:
    """Pending→Running (WE-RUN-010, WE-COND-010/020): the PR was just observed non-terminal."""
    out = _base(status)
    out.update(
        phase=Phase.RUNNING,
        startTime=timestamps.rfc3339(now),
        pipelineRunRef={"name": pr_name},
        pipelineRunStatus=mirror,
    )
    _cond(out, c.CREATED, True, c.Reason.PIPELINE_CREATED, created_message, now)
    return progress(out, mirror, now)


def progress(status: Body | None, mirror: Body, now: datetime) -> Body:
    """Write progress while the PR runs: mirror + TektonPipelineRunning (WE-RUN-020/023)."""
    out = _base(status)
    out["pipelineRunStatus"] = mirror
    message = c.running_message(mirror.get("reason") if "reason" in mirror else None)
    _cond(out, c.RUNNING, True, c.Reason.PIPELINE_STARTED, message, now)
    return out


def completed(status: Body | None, pr_completion: str | None, mirror: Body, now: datetime) -> Body:
    """Running→Completed (WE-RUN-021, WE-COND-030)."""
    out = _base(status)
    start = timestamps.parse(out.get("startTime")) or now
    end = max(timestamps.parse(pr_completion) or now, start)
    duration = durations.between(start, end)
    out.update(
        phase=Phase.COMPLETED,
        completionTime=timestamps.rfc3339(end),
        duration=duration,
        pipelineRunStatus=mirror,
    )
    _cond(out, c.COMPLETE, True, c.Reason.PIPELINE_SUCCEEDED, c.succeeded_message(duration), now)
    return out


@dataclass(frozen=True)
class Failure:
    """What the controller observed about a failure; the builders turn it into status."""

    reason: str
    message: str
    task_index: int = 0
    task_name: str = ""
    exit_code: int | None = None
    was_execution_failure: bool = False


def failed_running(
    status: Body | None, spec: Body, failure: Failure, mirror: Body | None, now: datetime
) -> Body:
    """Running→Failed (WE-RUN-022/024, WE-COND-031)."""
    out = _base(status)
    start = timestamps.parse(out.get("startTime"))
    out.update(
        phase=Phase.FAILED,
        completionTime=timestamps.rfc3339(now),
        duration=durations.between(start, now) if start else "",
        failureDetails=details(spec, failure, start, now),
    )
    if mirror is not None:
        out["pipelineRunStatus"] = mirror
    reason, message = c.complete_false(failure.reason, failure.message)
    _cond(out, c.COMPLETE, False, reason, message, now)
    return out


def failed_pre_execution(status: Body | None, spec: Body, failure: Failure, now: datetime) -> Body:
    """Pre-execution failure (WE-FAIL-010, WE-COND-011): no startTime, empty duration."""
    out = _base(status)
    out.pop("startTime", None)
    out.update(
        phase=Phase.FAILED,
        completionTime=timestamps.rfc3339(now),
        duration="",
        failureDetails=details(spec, failure, None, now),
    )
    _cond(
        out,
        c.CREATED,
        False,
        c.Reason.PIPELINE_CREATION_FAILED,
        c.creation_failed_message(failure.message),
        now,
    )
    return out


def details(spec: Body, failure: Failure, start: datetime | None, now: datetime) -> Body:
    """Build failureDetails (§1.4, WE-FAIL-002..005, -020)."""
    before = durations.between(start, now) if start else ""
    out: Body = {
        "failedTaskIndex": failure.task_index,
        "failedTaskName": failure.task_name,
        "reason": failure.reason,
        "message": failure.message,
        "failedAt": timestamps.rfc3339(now),
        "executionTimeBeforeFailure": before,
        "naturalLanguageSummary": failures.summary(
            (spec.get("workflowRef") or {}).get("workflowId", ""),
            spec.get("targetResource", ""),
            failure.reason,
            failure.message,
            before,
        ),
    }
    if failure.exit_code is not None:
        out["exitCode"] = failure.exit_code
    if failure.was_execution_failure:
        out["wasExecutionFailure"] = True
    return out


def audit_recorded(status: Body, event_type: str, error: str | None, now: datetime) -> Body:
    """AuditRecorded in the transition's own write (WE-STAT-004 design a, WE-COND-040/041)."""
    out = _base(status)
    if error is None:
        _cond(
            out,
            c.AUDIT_RECORDED,
            True,
            c.Reason.AUDIT_SUCCEEDED,
            c.audit_recorded_message(event_type),
            now,
        )
    else:
        _cond(
            out, c.AUDIT_RECORDED, False, c.Reason.AUDIT_FAILED, c.audit_failed_message(error), now
        )
    return out
