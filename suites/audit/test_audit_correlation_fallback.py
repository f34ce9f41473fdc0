"""An empty correlation-id label falls back to the WE name (WE-AUD-002).

``correlation_id`` is the label ``kubernaut.ai/correlation-id`` "when present and non-empty,
otherwise the WE name". A controller that takes the label whenever the key exists sends an
empty ``correlation_id``, which the AuditEventRequest schema refuses (1..255 characters): the
events are lost and cannot be found under any correlation ID.
"""

from __future__ import annotations

import pytest

from wetest import consistently, eventually
from wetest import expectations as ex
from wetest.kube import objects

AUDIT_BUDGET = 10


@pytest.mark.we_conformance("audit", "WE-AUD-002", "WE-AUD-020", "WE-AUD-023", "WE-COND-040")
def test_empty_correlation_label_falls_back_to_the_we_name(we_kube, we_create, we_audit):
    we = we_create(
        labels={"kubernaut.ai/correlation-id": ""},
        scenario="succeed after=500ms",
    )
    name = we["metadata"]["name"]
    eventually(objects.Probe(we_kube, we_create.ref(we)), ex.has_phase("Completed"), timeout=15)
    eventually(
        objects.Probe(we_kube, we_create.ref(we)),
        ex.has_condition("AuditRecorded", status="True"),
        timeout=AUDIT_BUDGET,
    )

    audit = we_audit.probe(name, event_category="workflow")
    eventually(audit, ex.count_is(2), timeout=AUDIT_BUDGET, description=f"two events for {name}")
    events = consistently(audit, ex.count_is(2), description="no late duplicate")
    assert sorted(e["event_type"] for e in events) == ["workflow.completed", "workflow.started"]
    for event in events:
        assert event["correlation_id"] == name
        assert event["resource_id"] == name
