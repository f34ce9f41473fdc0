"""Cooldown gate and lock release (DOMAIN §2.9; Kubernaut cooldown_config_test.go and the
cooldown lines of reconciler_test.go).

The controller under test runs with a 10 s cooldown (ENV-004), so these tests wait it out; each
test overlaps its waits (several targets at once) and there are only two of them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from wetest import check, consistently, eventually
from wetest import expectations as ex
from wetest.domain import comparison
from wetest.domain.comparison import message_matches, same_instant
from wetest.domain.durations import parse_go_duration
from wetest.domain.naming import pipelinerun_name
from wetest.kube import events, objects

WE_LABEL = "kubernaut.ai/workflow-execution"
TOLERANCE = timedelta(seconds=1)  # status times have second precision
LOCK_RELEASE_BUDGET = 45


def instant(text: str) -> datetime:
    return comparison.instant(text)  # any zone and precision (DOMAIN §0.6)


def lock_released_events(we_kube, namespace: str, name: str) -> list[events.Event]:
    return events.about(we_kube, namespace, name, "LockReleased")


@pytest.mark.we_long
@pytest.mark.we_conformance("cooldown", "WE-LOCK-010", "WE-LOCK-005", "WE-LOCK-011", "ENV-004")
def test_cooldown_keeps_the_next_execution_on_the_same_target_pending(
    we_kube, we_create, we_name, we_namespace, we_settings
):
    cooldown = timedelta(seconds=parse_go_duration(we_settings.cooldown))
    target = f"{we_namespace}/deployment/app"
    first = we_create(f"{we_name[:36]}-a", target=target)
    done = eventually(
        objects.Probe(we_kube, we_create.ref(first)), ex.has_phase("Completed"), timeout=15
    )
    finished = instant(done["status"]["completionTime"])

    # Any workflowId blocks; another target never does.
    blocked = we_create(
        f"{we_name[:36]}-b",
        target=target,
        workflowRef={
            "workflowId": "other-workflow",
            "version": "v2.0.0",
            "containerImage": "ghcr.io/kubernaut/workflows/test@sha256:abc123",
        },
    )
    free = we_create(f"{we_name[:36]}-c", target=f"{we_namespace}/deployment/other")
    blocked_probe = objects.Probe(we_kube, we_create.ref(blocked))

    eventually(objects.Probe(we_kube, we_create.ref(free)), ex.has_phase("Completed"), timeout=15)
    eventually(blocked_probe, ex.has_field("status.phase", "Pending"), timeout=10)
    consistently(
        blocked_probe,
        ex.has_phase("Pending")
        & ex.satisfies(lambda we: "startTime" not in we["status"], "no start"),
        duration=3,
    )
    pr = objects.get(we_kube, we_create.pipelinerun_ref(pipelinerun_name(target)))
    assert pr["metadata"]["labels"][WE_LABEL] == first["metadata"]["name"]

    # The gate opens only once the cooldown has passed (what happens next is DOMAIN §7.3 Q3).
    left = eventually(
        blocked_probe,
        ex.has_phase("Running") | ex.has_phase("Completed") | ex.has_phase("Failed"),
        timeout=cooldown.total_seconds() + 20,
    )
    status = left["status"]
    moved = instant(status.get("startTime") or status["completionTime"])
    assert moved >= finished + cooldown - TOLERANCE, (
        f"{blocked['metadata']['name']} left Pending at {moved}, "
        f"before the cooldown after {finished} ended"
    )


@pytest.mark.we_long
@pytest.mark.we_conformance(
    "cooldown", "WE-LOCK-011", "WE-LOCK-012", "WE-AUD-020", "WE-EVT-001", "ENV-004"
)
def test_lock_is_held_during_cooldown_then_released(
    we_kube, we_create, we_name, we_namespace, we_settings, we_audit
):
    cooldown = parse_go_duration(we_settings.cooldown)
    success = we_create(f"{we_name[:36]}-ok", target=f"{we_namespace}/deployment/ok")
    failure = we_create(
        f"{we_name[:36]}-ko",
        target=f"{we_namespace}/deployment/ko",
        scenario="fail reason=task",
    )
    ended = {}
    for we, phase in ((success, "Completed"), (failure, "Failed")):
        done = eventually(
            objects.Probe(we_kube, we_create.ref(we)), ex.has_phase(phase), timeout=15
        )
        ended[we["metadata"]["name"]] = done
    names = sorted(ended)
    prs = objects.Probe(
        we_kube,
        we_create.pipelinerun_ref(),
        label_selector=f"{WE_LABEL} in ({','.join(names)})",
    )
    earliest = min(instant(we["status"]["completionTime"]) for we in ended.values())
    hold = (earliest - datetime.now().astimezone()).total_seconds() + cooldown - 1.5
    assert hold > 3, f"the executions took too long to leave time to observe the hold ({hold}s)"

    with check("WE-LOCK-011"):
        # PipelineRuns (the locks) stay while the cooldown runs...
        consistently(prs, ex.count_is(2), duration=hold)
        # ...and are deleted once it has passed.
        eventually(prs, ex.count_is(0), timeout=LOCK_RELEASE_BUDGET)

    for name, we in ended.items():
        target = we["spec"]["targetResource"]
        with check("WE-LOCK-012", soft=True):
            found = eventually(
                lambda name=name: lock_released_events(we_kube, we_namespace, name),
                ex.at_least(1),
                timeout=10,
            )
            template = "Lock released for <targetResource> after cooldown"
            assert {e.type for e in found} == {"Normal"}
            assert all(message_matches(e.message, template, targetResource=target) for e in found)
        after = objects.get(we_kube, we_create.ref(we))
        assert after["status"]["phase"] == we["status"]["phase"]
        assert same_instant(after["status"]["completionTime"], we["status"]["completionTime"])
        with check("WE-AUD-020", soft=True):
            assert len(we_audit.events(name, event_category="workflow")) == 2

    # With the lock released the target takes a new execution.
    again = we_create(f"{we_name[:36]}-again", target=success["spec"]["targetResource"])
    eventually(objects.Probe(we_kube, we_create.ref(again)), ex.has_phase("Completed"), timeout=15)
