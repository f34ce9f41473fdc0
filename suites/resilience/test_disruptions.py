"""Controller restarts and DataStorage outages (DOMAIN WE-DEL-001, WE-STAT-001, WE-COND-004,
WE-BUF-005, WE-BUF-007, WE-AUD-020/021).

These tests stop or restart stack components, so they are marked ``we_disruptive`` with the
component they disrupt: the plugin runs them late, each holding that component exclusively
(``wetest.plugin.locks``). Each one leaves the component running again.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from wetest import check, consistently, eventually
from wetest import expectations as ex
from wetest.domain.naming import pipelinerun_name
from wetest.kube import objects

AFTER_RESTART = 30  # the controller must start, re-list and reconcile
REDELIVERY_BUDGET = 30  # DataStorage back up → spooled events delivered


def pr_ref(we_create, we: dict[str, Any]) -> objects.ObjectRef:
    """The WE's PipelineRun by its deterministic name (WE-PR-001), whatever its status says."""
    name = pipelinerun_name(we["spec"]["targetResource"])
    return objects.ObjectRef.pipeline_run(we_create.execution_namespace, name)


def types_of(events: Any) -> list[str]:
    return sorted(e["event_type"] for e in events)


@pytest.mark.we_disruptive("controller")
@pytest.mark.we_conformance(
    "resilience", "WE-STAT-001", "WE-AUD-020", "WE-AUD-021", "WE-DEL-001", "WE-RUN-013"
)
def test_controller_restart_mid_run(we_kube, we_create, we_name, we_target, we_audit):
    finishing = we_create(f"{we_name[:36]}-run", scenario="run-forever")
    deleted = we_create(f"{we_name[:36]}-del", scenario="run-forever")
    probes = {
        "finishing": objects.Probe(we_kube, we_create.ref(finishing)),
        "deleted": objects.Probe(we_kube, we_create.ref(deleted)),
    }
    for probe in probes.values():
        eventually(probe, ex.has_phase("Running"), timeout=10)
    eventually(
        we_audit.probe(finishing["metadata"]["name"], event_type="workflow.started"),
        ex.count_is(1),
        timeout=10,
    )
    old_pid = we_target.info.pid

    new_pid = we_target.restart()

    assert new_pid != old_pid
    assert we_target.alive()
    we_create.finish(pr_ref(we_create, finishing), "succeed")
    with check("WE-RUN-013"):
        eventually(probes["finishing"], ex.has_phase("Completed"), timeout=AFTER_RESTART)
    with check("WE-AUD-021", soft=True):
        audit = we_audit.probe(finishing["metadata"]["name"], event_category="workflow")
        eventually(audit, ex.count_is(2), timeout=10)
        events = consistently(audit, ex.count_is(2))
        assert types_of(events) == ["workflow.completed", "workflow.started"]

    # Deletion after the restart still runs the finalizer and removes the PipelineRun.
    with check("WE-DEL-001"):
        objects.delete(we_kube, we_create.ref(deleted))
        eventually(probes["deleted"], ex.is_deleted(), timeout=AFTER_RESTART)
        assert objects.get_or_none(we_kube, pr_ref(we_create, deleted)) is None
    with check("WE-AUD-020", soft=True):
        # Audit delivery is asynchronous (WE-BUF-003: up to a 1 s batch, and the restart may
        # fall between enqueue and send): wait for the started event, then check deletion
        # adds none.
        deleted_audit = we_audit.probe(deleted["metadata"]["name"])
        eventually(deleted_audit, ex.count_is(1), timeout=10)
        assert types_of(consistently(deleted_audit, ex.count_is(1))) == ["workflow.started"]


@pytest.mark.we_disruptive("controller")
@pytest.mark.we_conformance("resilience", "WE-RUN-010", "WE-AUD-020", "WE-FIN-001")
def test_execution_created_while_the_controller_is_down_runs_once_it_is_back(
    we_kube, we_create, we_stack, we_target, we_audit
):
    we_stack.command("kill-controller")
    try:
        assert not we_target.alive()
        we = we_create()
        probe = objects.Probe(we_kube, we_create.ref(we))
        consistently(
            probe,
            ex.satisfies(lambda w: not (w.get("status") or {}).get("phase"), "no phase"),
            duration=1,
        )
    finally:
        we_stack.command("start-controller")

    assert we_target.alive()
    with check("WE-RUN-010"):
        done = eventually(probe, ex.has_phase("Completed"), timeout=AFTER_RESTART)
        assert done["status"]["pipelineRunRef"]["name"] == pipelinerun_name(
            we["spec"]["targetResource"]
        )
    with check("WE-AUD-020", soft=True):
        audit = we_audit.probe(we["metadata"]["name"], event_category="workflow")
        eventually(audit, ex.count_is(2), timeout=10)
        assert types_of(consistently(audit, ex.count_is(2))) == [
            "workflow.completed",
            "workflow.started",
        ]


@pytest.mark.we_disruptive("datastorage")
@pytest.mark.we_conformance(
    "resilience", "WE-COND-004", "WE-BUF-005", "WE-BUF-007", "WE-AUD-020", "WE-COND-040"
)
def test_datastorage_outage_does_not_block_and_events_arrive_once(
    we_kube, we_create, we_stack, we_datastorage, we_audit
):
    we_stack.command("stop-datastorage")
    try:
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{we_datastorage.url}/health", timeout=2)
        we = we_create(scenario="succeed after=1s")
        done = eventually(
            objects.Probe(we_kube, we_create.ref(we)),
            ex.has_phase("Completed")
            & ex.has_condition(
                "AuditRecorded",
                status="True",
                reason="AuditSucceeded",
                message_contains="Audit event workflow.completed recorded to DataStorage",
            ),
            timeout=30,
        )
        assert done["status"]["duration"]
    finally:
        we_stack.command("start-datastorage")

    eventually(
        lambda: httpx.get(f"{we_datastorage.url}/health", timeout=2).status_code,
        ex.satisfies(lambda code: code == 200, "DataStorage healthy"),
        timeout=15,
    )
    audit = we_audit.probe(we["metadata"]["name"], event_category="workflow")
    eventually(audit, ex.count_is(2), timeout=REDELIVERY_BUDGET)
    events = consistently(audit, ex.count_is(2))
    assert types_of(events) == ["workflow.completed", "workflow.started"]
