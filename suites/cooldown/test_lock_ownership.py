"""Which PipelineRun a controller may delete (DOMAIN §2.9, §2.10: WE-LOCK-011/013, WE-DEL-003).

The lock is the PipelineRun with the deterministic name, and three paths delete it: lock
release after the cooldown, the deletion of a WE, and (never) a terminal WE without a
``completionTime``. Deleting by name alone also deletes a PipelineRun that belongs to another
WE on the same target: the winner of a collision, seen from its loser.

Decision where the contract pulls two ways: WE-LOCK-002 [Core] says the winner "and its
PipelineRun MUST be unaffected" by a collision, while WE-LOCK-013 [Ext] says Kubernaut V1.0
deletes by name without checking and "suites MUST NOT require either behaviour in Core". The
specific clause wins: the ownership check is reported only under the Ext clauses
WE-LOCK-013/WE-DEL-003, so Kubernaut V1.0 keeps its Core verdict and the deviation is visible.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from wetest import consistently, eventually
from wetest import expectations as ex
from wetest.domain.durations import parse_go_duration
from wetest.domain.naming import pipelinerun_name
from wetest.kube import objects

MARGIN = 3.0  # seconds past the cooldown: room for the controller's re-check to happen


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def pr_ref(we_create, target: str) -> objects.ObjectRef:
    return we_create.pipelinerun_ref(pipelinerun_name(target))


def same_pipelinerun(uid: str) -> ex.Expectation:
    return ex.exists() & ex.satisfies(
        lambda pr: pr["metadata"]["uid"] == uid, f"the PipelineRun with uid {uid}"
    )


@pytest.mark.we_long
@pytest.mark.we_cooldown("2s")
@pytest.mark.we_conformance("cooldown", "WE-LOCK-011", "WE-PH-003", "WE-STAT-005")
def test_terminal_execution_without_completion_time_keeps_its_pipelinerun(
    we_kube, we_create, we_cooldown
):
    """A terminal WE without completionTime is left alone: no lock release, no status change.

    The harness writes the terminal phase itself (read-modify-write with retry, WE-STAT-005),
    as a tool or an older controller could; the run-forever PipelineRun is never finished.
    The window is one cooldown plus a margin, so a controller that starts the cooldown from
    any other time (now, startTime) would have released the lock within it.
    """
    cooldown = parse_go_duration(we_cooldown)
    we = we_create(scenario="run-forever")
    ref = we_create.ref(we)
    eventually(objects.Probe(we_kube, ref), ex.has_phase("Running"), timeout=10)
    pr = objects.get(we_kube, pr_ref(we_create, we["spec"]["targetResource"]))

    def finish_without_time(obj: dict[str, Any]) -> None:
        obj["status"]["phase"] = "Completed"
        obj["status"].pop("completionTime", None)

    written = objects.update_status_with_retry(we_kube, ref, finish_without_time)

    consistently(
        objects.Probe(we_kube, pr_ref(we_create, we["spec"]["targetResource"])),
        same_pipelinerun(pr["metadata"]["uid"]),
        duration=cooldown + MARGIN,
        description="the PipelineRun of a terminal WE without completionTime is kept",
    )
    after = objects.get(we_kube, ref)["status"]
    assert after["phase"] == "Completed"
    assert "completionTime" not in after, "the controller must leave a terminal WE as it is"
    assert after.get("startTime") == written["status"].get("startTime")


@pytest.mark.we_long
@pytest.mark.we_cooldown("2s")
@pytest.mark.we_conformance("cooldown", "WE-LOCK-013", "WE-DEL-003")
def test_losers_never_delete_the_winners_pipelinerun(
    we_kube, we_create, we_name, we_namespace, we_cooldown
):
    """A collision loser (deleted) and an invalid WE (cooldown over) leave the winner's run.

    Both are Failed on the winner's target without owning its PipelineRun; deleting one of
    them and waiting out the other's cooldown are exactly the two moments a controller that
    deletes by name would remove the winner's lock while it still runs.
    """
    cooldown = parse_go_duration(we_cooldown)
    target = f"{we_namespace}/deployment/{we_name}"
    winner = we_create(f"{we_name[:34]}-win", target=target, scenario="run-forever")
    winner_probe = objects.Probe(we_kube, we_create.ref(winner))
    eventually(winner_probe, ex.has_phase("Running"), timeout=10)
    uid = objects.get(we_kube, pr_ref(we_create, target))["metadata"]["uid"]

    loser = we_create(f"{we_name[:34]}-lose", target=target, scenario="run-forever")
    invalid = we_create(f"{we_name[:34]}-inv", target=target, container_image="")
    eventually(objects.Probe(we_kube, we_create.ref(loser)), ex.has_phase("Failed"), timeout=15)
    refused = eventually(
        objects.Probe(we_kube, we_create.ref(invalid)), ex.has_phase("Failed"), timeout=15
    )

    objects.delete(we_kube, we_create.ref(loser))
    eventually(objects.Probe(we_kube, we_create.ref(loser)), ex.is_deleted(), timeout=15)
    pr_probe = objects.Probe(we_kube, pr_ref(we_create, target))
    assert same_pipelinerun(uid).match(objects.get_or_none(we_kube, pr_ref(we_create, target))), (
        "deleting the collision loser deleted the winner's PipelineRun (WE-DEL-003): delete "
        "only a PipelineRun whose labels name the WE being deleted"
    )

    released = instant(refused["status"]["completionTime"]).timestamp() + cooldown
    window = max(released - datetime.now(UTC).timestamp(), 0.0) + MARGIN
    consistently(
        pr_probe,
        same_pipelinerun(uid),
        duration=window,
        description="the winner's PipelineRun survives the invalid WE's lock release",
    )
    eventually(winner_probe, ex.has_phase("Running"), timeout=5)
