"""What the terminal write leaves in ``status.pipelineRunStatus`` (WE-RUN-020).

Every Running reconcile writes the mirror of the PipelineRun's ``Succeeded`` condition, and the
reconcile that sees the PipelineRun finish is one of them. After the terminal transition the
mirror SHOULD show the final condition, but suites MUST NOT require it (D6). So what is
required, and checked here: the mirror is still there after the terminal write, its
``totalTasks`` is the PipelineRun's number of child references, and it shows either the last
non-terminal condition the controller observed or the final one, never anything else.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from wetest import eventually
from wetest import expectations as ex
from wetest.kube import objects

PROGRESS = "Tasks Completed: 1 (Failed: 0, Cancelled 0), Incomplete: 1, Skipped: 0"
FINAL = {  # phase: (scenario that finishes the PipelineRun, its final Succeeded condition)
    "Completed": (
        "succeed tasks=2",
        ("True", "Succeeded", "Tasks Completed: 2 (Failed: 0, Cancelled 0), Skipped: 0"),
    ),
    "Failed": (
        "fail tasks=2",
        ("False", "Failed", "Tasks Completed: 2 (Failed: 1, Cancelled 0), Skipped: 0"),
    ),
}


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _children(pr_name: str) -> list[dict[str, Any]]:
    return [
        {"apiVersion": "tekton.dev/v1", "kind": "TaskRun", "name": f"{pr_name}-task-{i}"}
        for i in (1, 2)
    ]


def _condition(status: str, reason: str, message: str) -> dict[str, Any]:
    return {
        "type": "Succeeded",
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": _stamp(datetime.now(UTC)),
    }


def _mirrors_progress(we: Any) -> bool:
    prs = ((we or {}).get("status") or {}).get("pipelineRunStatus") or {}
    return prs.get("message") == PROGRESS and prs.get("totalTasks") == 2


@pytest.mark.we_tekton(
    "stand-in",
    reason="it writes the PipelineRun status itself, which real Tekton's controller overwrites",
)
@pytest.mark.parametrize("phase", ["Completed", "Failed"])
@pytest.mark.we_conformance("lifecycle", "WE-RUN-020", "WE-STAT-005")
def test_terminal_write_keeps_a_truthful_pipelinerun_status(we_kube, we_create, phase):
    running, pr = we_create.running()
    ref, pr_ref = we_create.ref(running), we_create.ref(pr)

    def advance(pr: dict[str, Any]) -> None:
        pr["status"]["childReferences"] = _children(pr_ref.name)
        pr["status"]["conditions"] = [_condition("Unknown", "Running", PROGRESS)]

    objects.update_status_with_retry(we_kube, pr_ref, advance)
    eventually(
        objects.Probe(we_kube, ref),
        ex.satisfies(_mirrors_progress, "pipelineRunStatus mirrors the progress"),
        timeout=10,
    )

    scenario, final = FINAL[phase]
    written = we_create.finish(pr_ref, scenario)
    [condition] = written["status"]["conditions"]
    assert (condition["status"], condition["reason"], condition["message"]) == final
    done = eventually(objects.Probe(we_kube, ref), ex.has_phase(phase), timeout=15)

    mirror = done["status"].get("pipelineRunStatus")
    assert mirror, "the terminal write removed status.pipelineRunStatus (WE-RUN-020)"
    assert mirror.get("totalTasks") == 2, f"totalTasks is not the 2 child references: {mirror}"
    shown = (mirror.get("status"), mirror.get("reason"), mirror.get("message"))
    assert shown in {("Unknown", "Running", PROGRESS), final}, (
        f"pipelineRunStatus {shown} is neither the last observed condition nor the final one"
    )
