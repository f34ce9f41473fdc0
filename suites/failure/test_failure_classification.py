"""Running → Failed: Tekton failure classification and failureDetails (DOMAIN §2.6, §2.7).

Catalogue: failure_classification_integration_test.go (8 cases), reconciler_test.go "should sync
WFE status when PipelineRun fails" and "Pending → Running → Failed" (DOMAIN §6.2).

The (reason, message) cases follow ENV-003: the WE runs a `run-forever` PipelineRun (the Tekton
stand-in leaves it alone once it has written `Unknown/Running`), and the test then writes the
PipelineRun's terminal `Succeeded=False` status itself (WE-STAT-005), saying per case whether
`status.startTime` (and the stand-in's `childReferences`) stay set, as WE-FAIL-004 requires.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from wetest import consistently, eventually
from wetest import expectations as ex
from wetest.domain import comparison
from wetest.domain.comparison import same_instant
from wetest.kube import objects

GO_DURATION = re.compile(r"^((\d+h)?\d+m)?\d+s$")
RECOMMENDATION = {
    "OOMKilled": "Recommendation: The workflow task ran out of memory. "
    "Consider increasing task resource limits.\n",
    "Forbidden": "Recommendation: The service account lacks required RBAC permissions. "
    "Grant appropriate permissions or use an alternative workflow.\n",
    "DeadlineExceeded": "Recommendation: The workflow exceeded its timeout. "
    "Consider increasing the timeout or using a faster workflow variant.\n",
    "ImagePullBackOff": "Recommendation: Unable to pull the workflow container image. "
    "Verify image exists and credentials are configured.\n",
}


def _instant(text: str) -> datetime:
    return comparison.instant(text)  # any zone and precision (DOMAIN §0.6)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _fail(we_create, pr: dict[str, Any], reason: str, message: str, keep_start: bool) -> None:
    """Write Succeeded=False; without keep_start, startTime and childReferences are removed."""
    drop = () if keep_start else ("startTime", "childReferences")
    we_create.finish(pr, "fail", reason=reason, message=message, drop=drop)


def _summary(target: str, reason: str, message: str, after: str) -> str:
    text = f"Workflow 'test-workflow' failed on target '{target}'.\nReason: {reason}\n"
    text += f"Error: {message}\n" if message else ""
    text += f"Failed after: {after}\n" if after else ""
    return text + RECOMMENDATION.get(reason, "")


# (case id, PR reason, PR message, startTime kept, expected reason, wasExecutionFailure)
CATALOGUE = [
    ("task-failed", "TaskRunFailed", "task failed with exit code 1", True, "TaskFailed", True),
    ("oom", "TaskRunFailed", "task failed: OOMKilled", True, "OOMKilled", True),
    (
        "timeout",
        "PipelineRunTimeout",
        'PipelineRun "x" exceeded timeout of 1h0m0s',
        True,
        "DeadlineExceeded",
        True,
    ),
    (
        "forbidden",
        "TaskRunFailed",
        'pods is forbidden: User "system:serviceaccount:x" cannot create resource',
        True,
        "Forbidden",
        True,
    ),
    (
        "resource-exhausted",
        "TaskRunCreationFailed",
        "exceeded quota: compute-resources, requested: limits.memory=2Gi",
        False,
        "ResourceExhausted",
        False,
    ),
    (
        "configuration-error",
        "TaskRunValidationFailed",
        "invalid configuration: missing required parameter",
        False,
        "ConfigurationError",
        False,
    ),
    (
        "image-pull",
        "TaskRunImagePullFailed",
        "failed to pull image: image pull backoff",
        False,
        "ImagePullBackOff",
        False,
    ),
    ("unknown", "PipelineRunFailed", "unexpected error occurred", False, "Unknown", False),
    # WE-FAIL-004 rule 2 exception: startTime set, yet image-pull / configuration → false.
    (
        "image-pull-started",
        "TaskRunImagePullFailed",
        "ImagePullBackOff: back-off pulling image",
        True,
        "ImagePullBackOff",
        False,
    ),
    (
        "configuration-started",
        "TaskRunValidationFailed",
        "invalid configuration: bad param",
        True,
        "ConfigurationError",
        False,
    ),
    # Rule order (WE-FAIL-001): message `oom` beats reason `timeout`; reason `timeout` alone.
    ("oom-beats-timeout", "PipelineRunTimeout", "killed: oom", True, "OOMKilled", True),
    ("reason-timeout", "PipelineRunTimeout", "it stopped", True, "DeadlineExceeded", True),
    ("bare-taskrunfailed", "TaskRunFailed", "something odd", False, "Unknown", False),
]


@pytest.mark.parametrize(
    ("pr_reason", "pr_message", "keep_start", "reason", "was_execution_failure"),
    [pytest.param(*case[1:], id=case[0]) for case in CATALOGUE],
)
@pytest.mark.we_conformance(
    "failure",
    "WE-FAIL-001",
    "WE-FAIL-004",
    "WE-FAIL-005",
    "WE-FAIL-020",
    "WE-FAIL-031",
    "WE-RUN-022",
    "WE-CRD-020",
)
def test_failure_classification(
    we_kube, we_create, pr_reason, pr_message, keep_start, reason, was_execution_failure
):
    """failure_classification_integration_test: PR (reason, message) → failureDetails."""
    running, pr = we_create.running()
    written = _now()

    _fail(we_create, pr, pr_reason, pr_message, keep_start)

    failed = eventually(
        objects.Probe(we_kube, we_create.ref(running)), ex.has_phase("Failed"), timeout=15
    )
    status, details = failed["status"], failed["status"]["failureDetails"]
    assert details["reason"] == reason
    assert details["message"] == pr_message
    assert details.get("wasExecutionFailure", False) is was_execution_failure
    assert details["failedTaskName"] == ""  # the stand-in's only TaskRun is still running
    assert details["failedTaskIndex"] == 0
    assert "exitCode" not in details or details["exitCode"] is None
    assert (
        written - timedelta(seconds=1)
        <= _instant(details["failedAt"])
        <= _now() + timedelta(seconds=1)
    )
    after = details["executionTimeBeforeFailure"]
    assert GO_DURATION.match(after), after
    target = running["spec"]["targetResource"]
    assert details["naturalLanguageSummary"] == _summary(target, reason, pr_message, after)
    assert same_instant(status["startTime"], running["status"]["startTime"])
    assert status["pipelineRunRef"]["name"] == pr["metadata"]["name"]
    assert _instant(status["completionTime"]) >= written - timedelta(seconds=1)
    assert GO_DURATION.match(status["duration"]), status["duration"]
    assert not status.get("failureReason"), "status.failureReason is never written (WE-FAIL-031)"


@pytest.mark.we_conformance("failure", "WE-RUN-022", "WE-PH-002", "WE-PH-003")
def test_failed_completion_time_is_observation_time_not_pipelineruns(we_kube, we_create):
    """WE-RUN-022: completionTime = now, even if the PipelineRun reports an old one."""
    running, pr = we_create.running()
    written = _now()

    we_create.finish(
        pr,
        "fail",
        reason="Failed",
        message="PipelineRun failed",
        status={"completionTime": "2020-01-01T00:00:00Z"},
    )

    probe = objects.Probe(we_kube, we_create.ref(running))
    failed = eventually(probe, ex.has_phase("Failed"), timeout=15)
    status = failed["status"]
    assert _instant(status["completionTime"]) >= written - timedelta(seconds=1)
    assert _instant(status["completionTime"]) >= _instant(status["startTime"])
    # startTime kept + bare `Failed`/`PipelineRun failed` → Unknown, wasExecutionFailure true.
    assert status["failureDetails"]["reason"] == "Unknown"
    assert status["failureDetails"]["wasExecutionFailure"] is True
    frozen = {k: status.get(k) for k in ("completionTime", "duration", "failureDetails")}
    consistently(
        probe,
        ex.satisfies(
            lambda s: (
                s["status"]["phase"] == "Failed"
                and all(s["status"].get(k) == v for k, v in frozen.items())
            ),
            "Failed with unchanged completionTime, duration and failureDetails",
        ),
        duration=1.5,
    )


@pytest.mark.we_tekton(
    "stand-in",
    reason="it writes the PipelineRun status itself, which real Tekton's controller overwrites",
)
@pytest.mark.we_conformance("failure", "WE-FAIL-002", "WE-FAIL-003")
def test_failed_task_is_first_failed_taskrun_in_child_references(we_kube, we_create):
    """WE-FAIL-002/003: skip non-TaskRuns and unreadable TaskRuns; exit code of that TaskRun."""
    running, pr = we_create.running()
    pr_name = pr["metadata"]["name"]
    taskrun = f"{pr_name}-task-1"  # created by the stand-in, still running
    tr_ref = objects.ObjectRef(
        "tekton.dev", "v1", "taskruns", we_create.execution_namespace, taskrun
    )
    stamp = _now().strftime("%Y-%m-%dT%H:%M:%SZ")

    def fail_taskrun(tr: dict[str, Any]) -> None:
        tr["status"]["conditions"] = [
            {
                "type": "Succeeded",
                "status": "False",
                "reason": "Failed",
                "message": '"step-build" exited with code 42',
                "lastTransitionTime": stamp,
            }
        ]
        tr["status"]["steps"] = [
            {"name": "prepare", "container": "step-prepare", "terminated": {"exitCode": 0}},
            {"name": "build", "container": "step-build", "terminated": {"exitCode": 42}},
            {"name": "after", "container": "step-after", "terminated": {"exitCode": 3}},
        ]

    objects.update_status_with_retry(we_kube, tr_ref, fail_taskrun)
    children = [
        {"apiVersion": "tekton.dev/v1beta1", "kind": "CustomRun", "name": "custom-0"},
        {"apiVersion": "tekton.dev/v1", "kind": "TaskRun", "name": f"{pr_name}-missing"},
        {"apiVersion": "tekton.dev/v1", "kind": "TaskRun", "name": taskrun},
    ]
    # Tekton's own shape for a failed single-task run: Failed, "Tasks Completed: 1 (Failed: 1…"
    we_create.finish(pr, "fail", status={"childReferences": children})

    failed = eventually(
        objects.Probe(we_kube, we_create.ref(running)), ex.has_phase("Failed"), timeout=15
    )
    details = failed["status"]["failureDetails"]
    assert details["failedTaskName"] == taskrun
    assert details["failedTaskIndex"] == 2
    assert details["exitCode"] == 42
    assert details["reason"] == "TaskFailed"
    assert details["wasExecutionFailure"] is True


@pytest.mark.parametrize(
    ("scenario", "reason", "exit_code", "failed_index"),
    [
        pytest.param("fail reason=oom tasks=2", "TaskFailed", 137, 1, id="oom"),
        pytest.param("fail reason=task tasks=3", "TaskFailed", 1, 2, id="task"),
        pytest.param("fail reason=timeout", "DeadlineExceeded", 1, 0, id="timeout"),
    ],
)
@pytest.mark.we_conformance(
    "failure", "WE-PH-002", "WE-RUN-022", "WE-FAIL-001", "WE-FAIL-002", "WE-FAIL-003"
)
def test_pending_running_failed_with_tekton_shaped_status(
    we_kube, we_create, scenario, reason, exit_code, failed_index
):
    """reconciler_test: should transition Pending → Running → Failed / sync status on failure.

    The stand-in writes real Tekton v1 shapes: a failed task yields the "Tasks Completed" count
    message (→ TaskFailed), a timeout the PipelineRunTimeout reason (→ DeadlineExceeded).
    """
    we = we_create(scenario=f"{scenario} after=1s")
    probe = objects.Probe(we_kube, we_create.ref(we))
    eventually(probe, ex.has_phase("Running"), timeout=10)

    failed = eventually(probe, ex.has_phase("Failed"), timeout=15)

    status, details = failed["status"], failed["status"]["failureDetails"]
    pr_name = status["pipelineRunRef"]["name"]
    assert details["reason"] == reason
    assert details["failedTaskName"] == f"{pr_name}-task-{failed_index + 1}"
    assert details["failedTaskIndex"] == failed_index
    assert details["exitCode"] == exit_code
    assert details["wasExecutionFailure"] is True
    assert _instant(status["completionTime"]) >= _instant(status["startTime"])
    assert details["naturalLanguageSummary"].startswith(
        f"Workflow 'test-workflow' failed on target '{we['spec']['targetResource']}'.\n"
        f"Reason: {reason}\n"
    )
