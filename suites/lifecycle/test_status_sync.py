"""Running-phase status sync from the PipelineRun (DOMAIN §2.5, §2.6).

Catalogue: reconciler_test.go "should populate PipelineRunStatus during Running phase" and
"should sync WFE status when PipelineRun succeeds" (DOMAIN §6.2). The test writes PipelineRun
status itself (WE-STAT-005) on a `run-forever` PipelineRun once the Tekton stand-in has written
its `Unknown/Running` status (after that the stand-in never touches a run-forever run again).
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


def _instant(text: str) -> datetime:
    return comparison.instant(text)  # any zone and precision (DOMAIN §0.6)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _children(pr_name: str, n: int) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "tekton.dev/v1",
            "kind": "TaskRun",
            "name": f"{pr_name}-task-{i}",
            "pipelineTaskName": f"task-{i}",
        }
        for i in range(1, n + 1)
    ]


def _mirror(status: str, reason: str | None, message: str | None, total: int) -> ex.Expectation:
    def match(we: Any) -> bool:
        prs = ((we or {}).get("status") or {}).get("pipelineRunStatus") or {}
        return (
            prs.get("status") == status
            and (reason is None or prs.get("reason") == reason)
            and (message is None or prs.get("message") == message)
            and prs.get("totalTasks") == total
        )

    return ex.satisfies(
        match, f"pipelineRunStatus = {status}/{reason}/{message!r}, totalTasks {total}"
    )


@pytest.mark.we_tekton(
    "stand-in",
    reason="it writes the PipelineRun status itself, which real Tekton's controller overwrites",
)
@pytest.mark.we_conformance(
    "lifecycle", "WE-RUN-020", "WE-RUN-023", "WE-RUN-013", "WE-PR-010", "WE-STAT-005"
)
def test_pipelinerun_status_is_mirrored_while_running(we_kube, we_create):
    """reconciler_test: should populate PipelineRunStatus during Running phase."""
    running, pr = we_create.running(scenario="run-forever tasks=2")
    probe, pr_ref = objects.Probe(we_kube, we_create.ref(running)), we_create.ref(pr)

    # the stand-in's first status: Unknown/Running, one TaskRun in childReferences
    eventually(
        probe,
        _mirror(
            "Unknown",
            "Running",
            "Tasks Completed: 0 (Failed: 0, Cancelled 0), Incomplete: 2, Skipped: 0",
            1,
        ),
        timeout=10,
    )

    progress = "Tasks Completed: 1 (Failed: 0, Cancelled 0), Incomplete: 1, Skipped: 0"

    def advance(pr: dict[str, Any]) -> None:
        pr["status"]["childReferences"] = _children(pr_ref.name, 2)
        for condition in pr["status"]["conditions"]:
            if condition["type"] == "Succeeded":
                condition["message"] = progress

    objects.update_status_with_retry(we_kube, pr_ref, advance)
    # < the 10 s requeue: the PipelineRun watch must trigger this reconcile (WE-PR-010)
    seen = eventually(probe, _mirror("Unknown", "Running", progress, 2), timeout=5)
    assert seen["status"]["phase"] == "Running"

    def drop_condition(pr: dict[str, Any]) -> None:
        pr["status"]["conditions"] = []

    objects.update_status_with_retry(we_kube, pr_ref, drop_condition)
    eventually(probe, _mirror("Unknown", None, None, 2), timeout=5)
    consistently(probe, ex.has_phase("Running"), duration=1)


@pytest.mark.parametrize(
    ("offset", "duration"),
    [
        pytest.param(65, "1m5s", id="1m5s"),
        pytest.param(3725, "1h2m5s", id="1h2m5s"),
        pytest.param(0, "0s", id="0s"),
    ],
)
@pytest.mark.we_conformance("lifecycle", "WE-RUN-021", "WE-PH-002", "WE-STAT-005")
def test_success_takes_pipelinerun_completion_time(we_kube, we_create, offset, duration):
    """reconciler_test: sync WFE status when PipelineRun succeeds (completionTime, duration)."""
    running, pr = we_create.running()
    completion = _instant(running["status"]["startTime"]) + timedelta(seconds=offset)

    we_create.finish(
        pr,
        "succeed",
        reason="Completed",
        message="PipelineRun completed successfully",
        status={"completionTime": _stamp(completion)},
    )

    done = eventually(
        objects.Probe(we_kube, we_create.ref(running)), ex.has_phase("Completed"), timeout=15
    )
    status = done["status"]
    assert same_instant(status["completionTime"], _stamp(completion))
    assert status["duration"] == duration
    assert same_instant(status["startTime"], running["status"]["startTime"])
    assert not status.get("failureDetails")


@pytest.mark.we_conformance("lifecycle", "WE-RUN-021", "WE-STAT-005")
def test_success_without_pipelinerun_completion_time_uses_now(we_kube, we_create):
    """WE-RUN-021: no PipelineRun completionTime → completionTime is the observation time."""
    running, pr = we_create.running()
    before = datetime.now(UTC).replace(microsecond=0)

    # Tekton's shape: Succeeded/"Tasks Completed: 1 (Failed: 0, Cancelled 0), Skipped: 0"
    we_create.finish(pr, "succeed", drop=("completionTime",))

    done = eventually(
        objects.Probe(we_kube, we_create.ref(running)), ex.has_phase("Completed"), timeout=15
    )
    completed = _instant(done["status"]["completionTime"])
    assert before - timedelta(seconds=1) <= completed <= datetime.now(UTC) + timedelta(seconds=1)
    start = _instant(done["status"]["startTime"])
    # duration = completionTime - startTime rounded to whole seconds; both are stored with
    # second precision, so the controller's sub-second rounding may differ by one second.
    assert re.fullmatch(r"\d+s", done["status"]["duration"]), done["status"]["duration"]
    assert abs(int(done["status"]["duration"][:-1]) - (completed - start).total_seconds()) <= 1
