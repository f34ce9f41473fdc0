"""Kubernetes Events and Prometheus metrics of the controller (DOMAIN §2.12, Extended profile;
Kubernaut metrics_comprehensive_test.go and the metric lines of reconciler_test.go).

Metrics are process-wide and other tests run concurrently, so the checks compare deltas with
"at least" and never exact totals.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from wetest import check, eventually
from wetest import expectations as ex
from wetest.domain.comparison import Samples, labels_match, message_matches
from wetest.domain.naming import pipelinerun_name
from wetest.kube import events, objects

TOTAL = "workflowexecution_reconciler_total"
DURATION = "workflowexecution_reconciler_duration_seconds"
CREATIONS = "workflowexecution_reconciler_pipelinerun_creations_total"
BUCKETS = {5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0, float("inf")}  # le as numbers (§0.6)


def scrape(we_target) -> list[dict[str, Any]]:
    """The controller's samples as JSON-friendly records (they show up in wait histories)."""
    response = httpx.get(we_target.info.metrics, timeout=5)
    assert response.status_code == 200, f"GET {we_target.info.metrics}: {response.status_code}"
    return Samples.parse(response.text).records()


def value(samples: list[dict[str, Any]], name: str, **labels: str) -> float:
    # By parsed labels, numbers as numbers: le="5" (Go) and le="5.0" (Python) are one bucket.
    found = [s["value"] for s in samples if s["name"] == name and labels_match(s["labels"], labels)]
    return found[0] if found else 0.0


def label_values(samples: list[dict[str, Any]], name: str, label: str, **where: str) -> set:
    return {
        s["labels"].get(label)
        for s in samples
        if s["name"] == name and all(s["labels"].get(k) == v for k, v in where.items())
    }


def events_of(we_kube, namespace: str, name: str, reason: str) -> list[events.Event]:
    return events.about(we_kube, namespace, name, reason)


def one_event(we_kube, namespace: str, name: str, reason: str) -> Any:
    found = eventually(
        lambda: events_of(we_kube, namespace, name, reason),
        ex.at_least(1),
        timeout=10,
        description=f"a {reason} event on {name}",
    )
    return found[0]


@pytest.mark.we_conformance("audit", "WE-EVT-001")
def test_events_on_a_successful_execution(we_kube, we_create, we_namespace):
    we = we_create()
    name = we["metadata"]["name"]
    done = eventually(
        objects.Probe(we_kube, we_create.ref(we)), ex.has_phase("Completed"), timeout=15
    )
    pr = pipelinerun_name(we["spec"]["targetResource"])

    created = one_event(we_kube, we_namespace, name, "PipelineRunCreated")
    completed = one_event(we_kube, we_namespace, name, "WorkflowCompleted")

    # WE-EVT-001 shows placeholders: the fixed prefix, then each value by substring (§0.6).
    assert created.type == "Normal"
    assert message_matches(
        created.message,
        "Created PipelineRun <ns>/<name>",
        ns=we_create.execution_namespace,
        name=pr,
    ), created.message
    assert completed.type == "Normal"
    assert message_matches(
        completed.message,
        "Workflow <workflowId> completed successfully in <duration>",
        workflowId="test-workflow",
        duration=done["status"]["duration"],
    ), completed.message
    for event in (created, completed):
        assert event.component == "workflowexecution-controller"


@pytest.mark.we_conformance("audit", "WE-EVT-001", "WE-VAL-001")
def test_events_on_failed_executions(we_kube, we_create, we_name, we_namespace):
    running_failure = we_create(f"{we_name[:36]}-run", scenario="fail reason=task")
    pre_failure = we_create(f"{we_name[:36]}-pre", container_image="")
    with check("WE-VAL-001"):
        for we in (running_failure, pre_failure):
            probe = objects.Probe(we_kube, we_create.ref(we))
            eventually(probe, ex.has_phase("Failed"), timeout=15)

    run = one_event(we_kube, we_namespace, running_failure["metadata"]["name"], "WorkflowFailed")
    pre = one_event(we_kube, we_namespace, pre_failure["metadata"]["name"], "WorkflowFailed")

    assert (run.type, pre.type) == ("Warning", "Warning")
    assert message_matches(
        run.message,
        "Workflow <workflowId> failed: <reason>",
        workflowId="test-workflow",
        reason="TaskFailed",
    ), run.message
    assert message_matches(
        pre.message,
        "Pre-execution failure: <reason> - <message>",
        reason="ConfigurationError",
        message="workflowRef.containerImage is required",
    ), pre.message


@pytest.mark.we_conformance("audit", "WE-MET-001")
def test_metrics_count_outcomes_durations_and_creations(we_kube, we_create, we_name, we_target):
    before = scrape(we_target)
    created = [
        # runs >= 2 s, so its observed duration (>= 1 s at second precision) is not 0
        we_create(f"{we_name[:36]}-ok", scenario="succeed after=2s"),
        we_create(f"{we_name[:36]}-run", scenario="fail reason=task"),
        we_create(f"{we_name[:36]}-pre", container_image=""),
    ]
    ended = [
        eventually(objects.Probe(we_kube, we_create.ref(we)), ex.has_phase(phase), timeout=15)
        for we, phase in zip(created, ("Completed", "Failed", "Failed"), strict=True)
    ]
    ok = ended[0]["status"]
    ran_for = (
        datetime.fromisoformat(ok["completionTime"].replace("Z", "+00:00"))
        - datetime.fromisoformat(ok["startTime"].replace("Z", "+00:00"))
    ).total_seconds()

    after = eventually(
        lambda: scrape(we_target),
        ex.satisfies(
            lambda s: (
                value(s, TOTAL, outcome="Failed") - value(before, TOTAL, outcome="Failed") >= 2
            ),
            "two more Failed outcomes counted",
        ),
        timeout=10,
    )

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta(TOTAL, outcome="Completed") >= 1
    assert delta(TOTAL, outcome="Failed") >= 2
    assert delta(f"{DURATION}_count", outcome="Completed") >= 1
    assert delta(f"{DURATION}_count", outcome="Failed") >= 2
    # other tests add observations too, so the sum grows by at least this execution's duration
    # (less 1 s: status times have second precision, DOMAIN §0.6)
    assert delta(f"{DURATION}_sum", outcome="Completed") >= ran_for - 1 > 0, (
        f"the Completed duration histogram's sum grew by less than the {ran_for:.0f}s the "
        "execution ran: observe completionTime - startTime (WE-MET-001)"
    )
    assert delta(CREATIONS) >= 2, "two PipelineRuns were created"
    # The pre-execution failure observes 0: it lands in the lowest bucket.
    assert delta(f"{DURATION}_bucket", outcome="Failed", le="5") >= 1
    for outcome in ("Completed", "Failed"):
        les = Samples.parse_records(after).bucket_bounds(DURATION, outcome=outcome)
        assert les == BUCKETS, f"histogram buckets for {outcome}: {sorted(les)}"


@pytest.mark.we_conformance("audit", "WE-MET-001")
def test_metrics_use_only_the_defined_outcomes_and_allow_a_success_rate(
    we_kube, we_create, we_target
):
    we = we_create()
    eventually(objects.Probe(we_kube, we_create.ref(we)), ex.has_phase("Completed"), timeout=15)

    def counted_once(s: list[dict[str, Any]]) -> bool:
        """Each terminal transition counts once in the counter and once in the histogram."""
        return value(s, TOTAL, outcome="Completed") >= 1 and all(
            value(s, TOTAL, outcome=o) == value(s, f"{DURATION}_count", outcome=o)
            for o in ("Completed", "Failed")
        )

    # other tests' transitions may land between the two increments, so wait for a quiet scrape
    samples = eventually(
        lambda: scrape(we_target),
        ex.satisfies(counted_once, "outcome counter = histogram count per outcome"),
        timeout=10,
    )

    for name in (TOTAL, f"{DURATION}_count", f"{DURATION}_sum", f"{DURATION}_bucket"):
        outcomes = label_values(samples, name, "outcome")
        assert outcomes, f"no {name} samples"
        assert outcomes <= {"Completed", "Failed"}, f"{name} outcomes: {sorted(outcomes)}"
