"""Which terminal executions hold the cooldown gate (DOMAIN §2.9, WE-LOCK-010).

``test_cooldown.py`` checks a Completed blocker in one namespace. The gate is wider: any WE
that is Completed *or Failed* with a ``completionTime`` blocks, a pre-execution failure
included, and other WEs are compared by namespace *and* name, so an execution in another
namespace on the same target blocks too. Each test overlaps its waits and waits out one
cooldown: the run's (10 s, ENV-004) for the two-namespace test, whose second namespace an
isolated instance would not watch, and a short one of its own instance (``we_cooldown``)
for the other. What happens after the gate opens is DOMAIN §7.3 Q3 (a new WE may
still race the lock release), so only the moment it leaves Pending is checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from wetest import consistently, eventually
from wetest import expectations as ex
from wetest.domain.durations import parse_go_duration
from wetest.kube import objects

if TYPE_CHECKING:  # annotations only: importing the client costs each worker 0.3 s
    from kubernetes import client

TOLERANCE = timedelta(seconds=1)  # status times have second precision (DOMAIN §0.6)
WINDOW_MARGIN = 0.3  # seconds between the quiet window's end and the earliest gate opening
LEFT_PENDING = ex.has_phase("Running") | ex.has_phase("Completed") | ex.has_phase("Failed")
STILL_PENDING = ex.has_phase("Pending") & ex.satisfies(
    lambda we: "startTime" not in (we.get("status") or {}), "no startTime"
)


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def assert_held_for_the_cooldown(
    we_kube: client.ApiClient,
    blocked: dict[str, tuple[objects.ObjectRef, str]],
    cooldown: timedelta,
) -> None:
    """Each WE is Pending now, for a quiet window, and leaves Pending only after the cooldown.

    ``blocked`` maps a name to (WE, its blocker's completionTime). All are watched together:
    their cooldowns run at the same time, so checking one after the other would miss the
    second one's hold.
    """
    probes = {name: objects.Probe(we_kube, ref) for name, (ref, _) in blocked.items()}
    for probe in probes.values():
        eventually(probe, ex.has_field("status.phase", "Pending"), timeout=10)
    # The quiet window ends before the first cooldown does (its recorded completionTime is
    # truncated to the second, so the gate opens no earlier than recorded + cooldown): on a
    # slow machine the WEs reach Pending late and the window shrinks instead of overlapping
    # the moment the gate may open. Leaving Pending early is checked below either way.
    opens = min(instant(done) for _, done in blocked.values()) + cooldown
    left_of_cooldown = (opens - datetime.now().astimezone()).total_seconds() - WINDOW_MARGIN
    window = min(3.0, cooldown.total_seconds() / 3, left_of_cooldown)
    if window > 0:
        consistently(
            lambda: [objects.get(we_kube, ref) for ref, _ in blocked.values()],
            ex.satisfies(lambda wes: all(STILL_PENDING.match(we) for we in wes), "all Pending"),
            duration=window,
            interval=0.3,
        )
    for name, (_, blocker_done) in blocked.items():
        left = eventually(probes[name], LEFT_PENDING, timeout=cooldown.total_seconds() + 20)
        status = left["status"]
        moved = instant(status.get("startTime") or status["completionTime"])
        earliest = instant(blocker_done) + cooldown - TOLERANCE
        assert moved >= earliest, (
            f"{name} left Pending at {moved}, before the cooldown after its blocker's "
            f"completion at {blocker_done} ended ({earliest}): the gate must hold until then "
            "(WE-LOCK-010)."
        )


@pytest.mark.we_long
@pytest.mark.we_cooldown("6s")  # longer than the quiet window plus the followers' creation
@pytest.mark.we_conformance("cooldown", "WE-LOCK-010", "WE-FAIL-010")
def test_failed_executions_block_the_next_on_their_target(
    we_kube, we_create, we_name, we_namespace, we_cooldown
):
    """A Running-phase failure and a pre-execution failure are cooldown blockers too.

    The pre-execution failure is an invalid WE (empty containerImage, WE-VAL-001) on a valid
    target: it never created a PipelineRun, so nothing but the gate keeps its follower Pending.
    It needs a cooldown, not ENV-004's value: it runs on its own instance with a short one.
    """
    cooldown = timedelta(seconds=parse_go_duration(we_cooldown))
    ran = f"{we_namespace}/deployment/ran"
    invalid = f"{we_namespace}/deployment/invalid"
    failed = we_create(f"{we_name[:36]}-ran", target=ran, scenario="fail reason=task")
    refused = we_create(f"{we_name[:36]}-inv", target=invalid, container_image="")
    seen = {
        we["spec"]["targetResource"]: eventually(
            objects.Probe(we_kube, we_create.ref(we)), ex.has_phase("Failed"), timeout=15
        )
        for we in (failed, refused)
    }
    reason = seen[invalid]["status"]["failureDetails"]["reason"]
    assert reason == "ConfigurationError", f"the invalid WE failed with {reason}"
    done = {target: we["status"]["completionTime"] for target, we in seen.items()}

    followers = {
        target: we_create(f"{we_name[:36]}-{suffix}", target=target)
        for target, suffix in ((ran, "ran2"), (invalid, "inv2"))
    }
    assert_held_for_the_cooldown(
        we_kube,
        {
            we["metadata"]["name"]: (we_create.ref(we), done[target])
            for target, we in followers.items()
        },
        cooldown,
    )


@pytest.fixture
def other_namespace(we_kube: client.ApiClient, we_namespace: str) -> Iterator[str]:
    """A second namespace for this test, deleted afterwards."""
    namespaces = objects.ObjectRef.core("namespaces")
    name = f"{we_namespace}-b"[:63].rstrip("-")
    objects.create(we_kube, namespaces, {"metadata": {"name": name, "labels": {"wetest": "true"}}})
    yield name
    objects.delete(we_kube, namespaces.named(name))


@pytest.mark.we_long
@pytest.mark.we_conformance("cooldown", "WE-LOCK-010", "ENV-004")
def test_cooldown_gate_compares_namespace_and_name(
    we_kube, we_create, we_name, we_namespace, other_namespace, we_settings
):
    """A WE of the same name in another namespace, on the same target, blocks.

    The gate compares "another WE" by namespace/name: a controller that compares names only
    takes the other namespace's execution for the WE itself and lets it through.
    """
    cooldown = timedelta(seconds=parse_go_duration(we_settings.cooldown))
    target = f"{we_namespace}/deployment/shared"
    first = we_create(we_name, target=target)
    done = eventually(
        objects.Probe(we_kube, we_create.ref(first)), ex.has_phase("Completed"), timeout=15
    )
    second: dict[str, Any] = we_create(we_name, namespace=other_namespace, target=target)
    assert_held_for_the_cooldown(
        we_kube,
        {f"{other_namespace}/{we_name}": (we_create.ref(second), done["status"]["completionTime"])},
        cooldown,
    )
