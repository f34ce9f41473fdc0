"""Lifecycles under injected faults (DOMAIN WE-STAT-001/004, WE-BUF-005/007, WE-AUD-021,
WE-RUN-010/013/023).

Each test starts a fault with ``we_faults`` and runs ordinary lifecycles through it; the
fixture restores the stack. The harness, not the test, then checks the invariants over every
WE the test created (``wetest.faults.invariants``): terminal within its deadline, at most one
workflow.started and exactly one terminal audit event after a quiet window, every condition of
the terminal phase present. They are ``we_disruptive`` on what their faults hit: with workers
and a target that can be scoped to namespaces each runs on its own controller instance (and
DataStorage, and API-server replica) beside the other tests (``wetest.plugin.isolation``);
otherwise it holds what it disrupts exclusively. bench/chaos.py runs the same faults over 50
lifecycles.
"""

from __future__ import annotations

from typing import Any

import pytest

from wetest import check, eventually
from wetest import expectations as ex
from wetest.domain.naming import pipelinerun_name
from wetest.kube import objects

EXECUTION_NAMESPACE = "kubernaut-workflows"
QUICK = {"WETEST_SCENARIO": "succeed after=1s"}
LIFECYCLES = 3  # per test; bench/chaos.py runs 50 per fault
FINISH_BUDGET = 90  # a restarted API server, then the controller's and the stand-in's backoff
OUTAGE = 10  # seconds: longer than v1.0's three delivery attempts (1 s, then 4 s apart)
TERMINAL = ex.satisfies(
    lambda we: ((we or {}).get("status") or {}).get("phase") in ("Completed", "Failed"),
    "a terminal phase",
)


def lifecycles(we_create: Any, prefix: str, count: int = LIFECYCLES) -> list[dict[str, Any]]:
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


def around(
    we_kube: Any, we_create: Any, prefix: str, fault: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Lifecycles Tekton has started before ``fault()``, and lifecycles created after it."""
    before = lifecycles(we_create, f"{prefix}-b")
    for we in before:
        started_by_tekton(we_kube, we)
    fault()
    return before, lifecycles(we_create, f"{prefix}-a")


def all_completed(we_kube: Any, we_create: Any, wes: list[dict[str, Any]]) -> None:
    done = [
        eventually(objects.Probe(we_kube, we_create.ref(we)), TERMINAL, timeout=FINISH_BUDGET)
        for we in wes
    ]
    assert [we["status"]["phase"] for we in done] == ["Completed"] * len(wes)


@pytest.mark.we_disruptive("controller")  # the proxy answers every controller write
@pytest.mark.we_conformance(
    "resilience", "WE-STAT-001", "WE-STAT-003", "WE-STAT-004", "WE-AUD-021", "WE-COND-006"
)
def test_lifecycles_complete_under_30_percent_status_conflicts(
    we_kube, we_create, we_name, we_faults
):
    """Every third status or finalizer write of the controller is answered 409 Conflict.

    The controller re-reads and re-applies (WE-STAT-001/003) without a second audit event or
    a lost condition (WE-STAT-004, WE-COND-006: checked by the harness afterwards).
    """
    we_faults.conflicts(0.3, finalizers=True)
    wes = lifecycles(we_create, we_name[:24])
    with check("WE-STAT-001"):
        all_completed(we_kube, we_create, wes)
        assert we_faults.conflict_counts()["injected"] > 0, "no conflict was injected"


@pytest.mark.we_disruptive("apiserver")  # everything uses it; or its own replica (isolation)
@pytest.mark.we_conformance("resilience", "WE-RUN-010", "WE-RUN-013", "WE-AUD-021")
def test_executions_finish_across_an_apiserver_restart(we_kube, we_create, we_name, we_faults):
    """Issue 16's finding: WEs before and after a kube-apiserver restart (etcd kept).

    The first ones are started by Tekton before the restart, so their finish (1 s later)
    falls into the outage: before the fix the stand-in dropped that failed action and they
    stayed Running forever. The last ones are created after it: every watch must have resumed.
    On its own API-server replica (isolation) only the controller's server restarts; the
    stand-in's side of the finding is then the project test that restarts the main one.
    """
    before, after = around(we_kube, we_create, we_name[:24], we_faults.apiserver_restart)
    with check("WE-RUN-013"):
        all_completed(we_kube, we_create, before)
    with check("WE-RUN-010"):
        all_completed(we_kube, we_create, after)


@pytest.mark.we_disruptive("controller", "datastorage")
@pytest.mark.we_conformance(
    "resilience", "WE-RUN-013", "WE-BUF-005", "WE-BUF-007", "WE-AUD-021", "WE-COND-006"
)
def test_a_controller_killed_during_a_datastorage_outage_loses_no_event(
    we_kube, we_create, we_name, we_faults
):
    """A 10 s DataStorage outage with a SIGKILL of the controller mid-run inside it.

    The controller is killed once every WE is Running (their workflow.started events are
    accepted but undeliverable) and restarted; the WEs finish while DataStorage is still down
    (WE-BUF-005). After the outage each event arrives exactly once (WE-BUF-007, WE-AUD-021:
    checked by the harness), whether it was spooled before the crash or after it.
    """
    outage = we_faults.datastorage_outage(seconds=FINISH_BUDGET)  # ended below
    wes = lifecycles(we_create, we_name[:24])
    for we in wes:
        started_by_tekton(we_kube, we)
    we_faults.controller_kill()
    with check("WE-BUF-005"):
        all_completed(we_kube, we_create, wes)
    outage.end(at_least=OUTAGE)


PAUSE = 6  # seconds Tekton stays frozen: longer than a controller's own start deadline (3 s)


@pytest.mark.we_disruptive("tekton")
@pytest.mark.we_conformance("resilience", "WE-RUN-010", "WE-RUN-023", "WE-RUN-013", "WE-AUD-021")
def test_executions_wait_out_a_tekton_pause(we_kube, we_create, we_name, we_faults):
    """Tekton is frozen (SIGSTOP) while WEs are created, as a slow or restarting Tekton is.

    The controller still creates each PipelineRun and moves the WE to Running (WE-RUN-010);
    a PipelineRun without a Succeeded condition keeps it Running however long that lasts
    (WE-RUN-023), and once Tekton goes on, every WE completes (WE-RUN-013). The stand-in's
    watch may expire meanwhile; it must re-list (the fault's own check).
    """
    pause = we_faults.tekton_pause(seconds=FINISH_BUDGET)  # ended below
    wes = lifecycles(we_create, we_name[:24])
    with check("WE-RUN-010"):
        for we in wes:
            eventually(
                objects.Probe(we_kube, we_create.ref(we)), ex.has_phase("Running"), timeout=30
            )
    pause.end(at_least=PAUSE)
    with check("WE-RUN-023"):
        all_completed(we_kube, we_create, wes)


# Every DataStorage on the restarted PostgreSQL answers 5xx meanwhile: isolated, the test
# restarts a private PostgreSQL under its private DataStorage; otherwise (a PostgreSQL wetest
# did not start) it holds the stack's postgres lock.
@pytest.mark.we_disruptive("postgres")
@pytest.mark.we_conformance("resilience", "WE-BUF-005", "WE-RUN-013", "WE-AUD-021")
def test_executions_finish_across_a_postgres_restart(we_kube, we_create, we_name, we_faults):
    """DataStorage's PostgreSQL restarts (fast shutdown: every pooled connection breaks).

    The first WEs are started by Tekton before the restart, so their completion (1 s later)
    and its audit event fall around it; the last ones are created after it. All of them
    complete (WE-BUF-005: audit delivery never holds up reconciling), and the harness then
    checks that each audit event arrived exactly once (WE-AUD-021), whether its first
    delivery met the restart or not.
    """
    before, after = around(we_kube, we_create, we_name[:24], we_faults.postgres_restart)
    with check("WE-BUF-005"):
        all_completed(we_kube, we_create, before + after)
