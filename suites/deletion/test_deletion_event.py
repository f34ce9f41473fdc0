"""The Kubernetes Event a controller posts when it finishes deleting a WE (WE-DEL-002, Extended).

The "no audit event for deletion" half of WE-DEL-002 is observed by the audit suite
(test_lifecycle_events_are_ordered_exactly_once_and_deletion_adds_none).
"""

from __future__ import annotations

import pytest

from wetest import check, eventually
from wetest import expectations as ex
from wetest.kube import events, objects


def deletion_events(we_kube, namespace: str, name: str) -> list[events.Event]:
    return events.about(we_kube, namespace, name, "WorkflowExecutionDeleted")


@pytest.mark.we_conformance("deletion", "WE-DEL-002")
def test_deletion_posts_a_cleanup_completed_event(we_kube, we_create, we_namespace):
    we = we_create(scenario="run-forever")
    ref = we_create.ref(we)
    eventually(objects.Probe(we_kube, ref), ex.has_phase("Running"), timeout=10)

    objects.delete(we_kube, ref)
    eventually(objects.Probe(we_kube, ref), ex.is_deleted(), timeout=10)

    with check("WE-DEL-002"):
        found = eventually(
            lambda: deletion_events(we_kube, we_namespace, we["metadata"]["name"]),
            ex.at_least(1),
            timeout=10,
            description="a WorkflowExecutionDeleted event",
        )
        assert (found[0].type, found[0].message) == (
            "Normal",
            "WorkflowExecution cleanup completed (phase: Running)",
        )
