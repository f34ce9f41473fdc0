"""Lifecycles under injected faults (DOMAIN WE-STAT-001/004, WE-BUF-005/007, WE-AUD-021).

Each test starts a fault with ``we_faults`` and runs ordinary lifecycles through it; the stack
is restored by the fixture. They are ``we_disruptive``: a fault hits every test running at the
same time, so these run alone, last.
"""

from __future__ import annotations

from typing import Any

import pytest

from wetest import check, consistently, eventually
from wetest import expectations as ex
from wetest.domain.naming import pipelinerun_name
from wetest.kube import objects

EXECUTION_NAMESPACE = "kubernaut-workflows"
QUICK = {"WETEST_SCENARIO": "succeed after=1s"}
FINISH_BUDGET = 90  # a restarted API server, then the controller's and the stand-in's backoff
TERMINAL = ex.satisfies(
    lambda we: ((we or {}).get("status") or {}).get("phase") in ("Completed", "Failed"),
    "a terminal phase",
)


def lifecycles(we_create: Any, prefix: str, count: int) -> list[dict[str, Any]]:
    return [we_create(f"{prefix}-{i}", parameters=QUICK) for i in range(count)]


def started_by_tekton(we_kube: Any, we: dict[str, Any]) -> None:
    """Wait until the stand-in has started the WE's PipelineRun (its finish is then due)."""
    ref = objects.ObjectRef.pipeline_run(
        EXECUTION_NAMESPACE, pipelinerun_name(we["spec"]["targetResource"])
    )
    eventually(
        objects.Probe(we_kube, ref),
        ex.satisfies(lambda pr: bool(((pr or {}).get("status") or {}).get("startTime")), "started"),
        timeout=30,
    )


def finish_all(we_kube: Any, we_create: Any, wes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        eventually(objects.Probe(we_kube, we_create.ref(we)), TERMINAL, timeout=FINISH_BUDGET)
        for we in wes
    ]


def audited_once(we_audit: Any, we: dict[str, Any]) -> None:
    """One workflow.started and one workflow.completed, and no more after a quiet second."""
    audit = we_audit.probe(we["metadata"]["name"], event_category="workflow")
    eventually(audit, ex.count_is(2), timeout=30)
    events = consistently(audit, ex.count_is(2), duration=1)
    assert sorted(e["event_type"] for e in events) == ["workflow.completed", "workflow.started"]


@pytest.mark.we_disruptive
@pytest.mark.we_conformance("resilience", "WE-RUN-013", "WE-AUD-021")
def test_executions_finish_across_an_apiserver_restart(
    we_kube, we_create, we_name, we_faults, we_audit
):
    """Issue 16's finding: 10 WEs, kube-apiserver restarted (etcd kept) after the first 5.

    The first 5 are started by Tekton before the restart, so their finish (1 s later) falls
    into the outage: before the fix the stand-in dropped that failed action and they stayed
    Running forever. The last 5 are created after it: every watch must have resumed.
    """
    before = lifecycles(we_create, f"{we_name[:24]}-b", 5)
    for we in before:
        started_by_tekton(we_kube, we)
    we_faults.apiserver_restart()
    after = lifecycles(we_create, f"{we_name[:24]}-a", 5)

    with check("WE-RUN-013"):
        done = finish_all(we_kube, we_create, before + after)
        assert [we["status"]["phase"] for we in done] == ["Completed"] * 10
    with check("WE-AUD-021", soft=True):
        for we in before + after:
            audited_once(we_audit, we)
