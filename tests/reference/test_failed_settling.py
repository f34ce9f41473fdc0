"""The reference controller's settling of a failed PipelineRun (WE-FAIL-002), without a stack.

Real Tekton marks a PipelineRun final on a timeout or a cancel *before* it cancels the
TaskRuns, so the reconciler waits (bounded) until they are final to name the failed one
(``reconciler.CANCELLING_REASONS``, ``Reconciler._taskruns_lag``). On any other failure the
failed TaskRun is final already: a sibling still running is no reason to wait, and waiting
cost the stand-in tests 10 s each. ``conclude`` is called directly with a fake ``Kube`` that
serves TaskRuns, and the settle clock is a fake one, so each case takes milliseconds.
"""

from __future__ import annotations

from typing import Any, cast

import pytest

from wetest.kube.errors import NotFound
from wetest.reference.controller import reconciler
from wetest.reference.controller.kubeio import Kube
from wetest.reference.controller.reconciler import Config, Reconciler
from wetest.reference.controller.requests import Result
from wetest.reference.controller.transitions import Failure

Body = dict[str, Any]
WE: Body = {"metadata": {"name": "we", "namespace": "ns", "uid": "we-uid"}, "spec": {}}


class TaskRuns:
    """The one read of ``Kube`` that settling makes: a TaskRun by name (404 when absent)."""

    def __init__(self, **succeeded: tuple[str, str]) -> None:
        self.runs = {name: taskrun(name, *cond) for name, cond in succeeded.items()}

    def get_taskrun(self, name: str) -> Body:
        if name not in self.runs:
            raise NotFound(f"taskrun {name} not found", 404, "NotFound")
        return self.runs[name]


class Clock:
    """``reconciler.time`` in these tests: monotonic() returns what the test sets."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


class Concluding(Reconciler):
    """The reference with its terminal write replaced by a record of the failure it saw."""

    def __init__(self, kube: TaskRuns) -> None:
        nothing = cast("Any", None)  # audit, events, metrics, cache: conclude reaches none
        super().__init__(cast("Kube", kube), nothing, nothing, nothing, nothing, Config())
        self.failures: list[Failure] = []

    def fail_running(self, we: Body, failure: Failure, mirror: Body | None) -> Result:
        self.failures.append(failure)
        return Result()


def taskrun(name: str, status: str, reason: str, cancelling: bool = False) -> Body:
    steps = [{"terminated": {"exitCode": 1}}] if status == "False" else []
    return {
        "metadata": {"name": name},
        "spec": {"status": reconciler.tekton.CANCELLED} if cancelling else {},
        "status": {
            "conditions": [{"type": "Succeeded", "status": status, "reason": reason}],
            "steps": steps,
        },
    }


def failed_pipelinerun(reason: str, message: str = "") -> Body:
    cond = {"type": "Succeeded", "status": "False", "reason": reason, "message": message}
    children = [{"kind": "TaskRun", "name": n, "pipelineTaskName": n} for n in ("build", "test")]
    return {
        "metadata": {"name": "pr", "uid": "pr-uid"},
        "status": {"conditions": [cond], "childReferences": children, "startTime": "t"},
    }


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(reconciler, "time", fake)
    return fake


def conclude(r: Concluding, pr: Body) -> Result:
    return r.conclude(WE, pr, reconciler.tekton.succeeded(pr) or {})


def test_failed_run_with_a_running_sibling_concludes_at_once(clock: Clock) -> None:
    kube = TaskRuns(build=("False", "Failed"), test=("Unknown", "Running"))
    r = Concluding(kube)

    result = conclude(r, failed_pipelinerun("Failed", "Tasks Completed: 2 (Failed: 1, ...)"))

    assert result == Result(), "a Failed PipelineRun waited for a TaskRun that is not failing"
    assert [(f.task_name, f.task_index, f.exit_code) for f in r.failures] == [("build", 0, 1)]


def test_timed_out_run_waits_until_its_taskruns_are_final(clock: Clock) -> None:
    kube = TaskRuns(build=("Unknown", "Running"), test=("Unknown", "Running"))
    for name in ("build", "test"):  # what Tekton patches just before it marks the run final
        kube.runs[name] = taskrun(name, "Unknown", "Running", cancelling=True)
    r = Concluding(kube)
    pr = failed_pipelinerun("PipelineRunTimeout", 'PipelineRun "pr" failed to finish within "1m"')

    for _ in range(3):
        assert conclude(r, pr) == Result(requeue_after=reconciler.SETTLE_RECHECK_SECONDS)
        clock.now += reconciler.SETTLE_RECHECK_SECONDS
    assert not r.failures, "concluded before Tekton had cancelled the TaskRuns"

    kube.runs["build"] = taskrun("build", "False", "TaskRunTimeout")
    kube.runs["test"] = taskrun("test", "False", "TaskRunCancelled")
    assert conclude(r, pr) == Result()
    assert [(f.reason, f.task_name) for f in r.failures] == [("DeadlineExceeded", "build")]


def test_timed_out_run_whose_taskruns_never_settle_concludes_after_the_bound(
    clock: Clock,
) -> None:
    kube = TaskRuns()  # "test" is not readable: it does not count
    kube.runs["build"] = taskrun("build", "Unknown", "Running", cancelling=True)
    r = Concluding(kube)
    pr = failed_pipelinerun("PipelineRunTimeout")

    assert conclude(r, pr).requeue_after == reconciler.SETTLE_RECHECK_SECONDS
    clock.now += reconciler.SETTLE_SECONDS - 0.1
    assert conclude(r, pr).requeue_after == reconciler.SETTLE_RECHECK_SECONDS
    clock.now += 0.1
    assert conclude(r, pr) == Result()
    assert [f.task_name for f in r.failures] == [""], "no TaskRun failed: none is named"


def test_timed_out_run_whose_taskruns_nobody_cancels_concludes_at_once(clock: Clock) -> None:
    """A final status written by hand over a TaskRun left running: it will never settle."""
    kube = TaskRuns(build=("Unknown", "Running"))
    r = Concluding(kube)

    result = conclude(r, failed_pipelinerun("PipelineRunTimeout", "it stopped"))

    assert result == Result(), "waited for a TaskRun that no one is cancelling"
    assert [(f.reason, f.task_name) for f in r.failures] == [("DeadlineExceeded", "")]
