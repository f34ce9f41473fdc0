"""A failed test's audit trail (wetest.evidence.collect) on a real DataStorage: the events of
each WE's correlation id, plus the ones about the WE filed under another id (WE-AUD-002)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from wetest.evidence import collect
from wetest.stack.endpoints import Endpoints
from wetest.supervision.handle import StackHandle


def test_the_trail_adds_events_about_the_we_under_another_correlation_id(
    client, audit, make_event, correlation, tmp_path: Path
) -> None:
    name, ns = f"we-{uuid.uuid4().hex[:8]}", "trail-ns"
    target = f"{ns}/deployment/{name}"
    we: dict[str, Any] = {
        "metadata": {"name": name, "namespace": ns, "creationTimestamp": audit.now(),
                     "labels": {"kubernaut.ai/correlation-id": correlation}},
        "spec": {"targetResource": target},
    }  # fmt: skip
    data = {"workflow_id": "w", "target_resource": target}
    right = make_event(resource_id=name, namespace=ns, event_data=data)
    by_resource = make_event(correlation_id=f"rr-{name}", resource_id=name, namespace=ns)
    by_target = make_event(correlation_id=f"rr-{name}", event_data=data)
    unrelated = make_event(correlation_id=f"other-{name}", resource_id="other", namespace=ns)
    for event in (right, by_resource, by_target, unrelated):
        assert client.post(audit.events, json=event).status_code == 201

    stack = StackHandle(Endpoints(datastorage=str(client.base_url)), tmp_path, supervisor_pid=0)
    trail = collect.audit_trail(stack, [we])

    assert trail is not None
    assert sorted(e["correlation_id"] for e in trail) == sorted(
        [correlation, f"rr-{name}", f"rr-{name}"]
    )
