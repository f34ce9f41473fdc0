"""DataStorage audit API as the WE audit client uses it (DOMAIN §5; Kubernaut
audit_datastorage_test.go, the seed's DataStorage-only file).

Events are written with a correlation id unique to the test and read back by it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

BATCH = "/api/v1/audit/events/batch"
QUERY = "/api/v1/audit/events"


def event(correlation_id: str, action: str, outcome: str, **extra: Any) -> dict[str, Any]:
    return {
        "version": "1.0",
        "event_type": f"workflowexecution.workflow.{action}",
        "event_timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "event_category": "workflow",
        "event_action": action,
        "event_outcome": outcome,
        "actor_type": "service",
        "actor_id": "workflowexecution-controller",
        "resource_type": "WorkflowExecution",
        "resource_id": correlation_id,
        "correlation_id": correlation_id,
        "namespace": "default",
        "event_data": {"workflow_id": "test-workflow", "target_resource": "default/deployment/x"},
        **extra,
    }


def query(http, **params: str) -> dict[str, Any]:
    response = http.get(QUERY, params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.we_conformance("datastorage", "DS-HLT-005", "DS-HLT-001")
def test_datastorage_health_is_reachable(we_datastorage):
    response = we_datastorage.client.get("/health", timeout=5)

    assert response.status_code == 200
    assert response.json() == {"status": "healthy", "database": "connected"}


@pytest.mark.parametrize(
    ("action", "outcome", "extra"),
    [
        pytest.param("started", "success", {}, id="started"),
        pytest.param("completed", "success", {"duration_ms": 5000}, id="completed"),
        pytest.param(
            "failed",
            "failure",
            {"error_code": "PIPELINE_FAILED", "error_message": "PipelineRun failed"},
            id="failed",
        ),
        pytest.param("skipped", "skipped", {}, id="skipped"),
    ],
)
@pytest.mark.we_conformance("datastorage", "DS-API-020", "DS-API-035", "DS-API-034")
def test_batch_endpoint_stores_a_workflow_event(we_datastorage, we_name, action, outcome, extra):
    sent = event(we_name, action, outcome, **extra)

    response = we_datastorage.client.post(BATCH, json=[sent])

    assert response.status_code == 201, response.text
    body = response.json()
    assert len(body["event_ids"]) == 1
    assert body["message"] == "1 audit events created successfully"
    stored = query(we_datastorage.client, correlation_id=we_name)["data"]
    assert [e["event_id"] for e in stored] == body["event_ids"]
    got = stored[0]
    for key in ("event_type", "event_category", "event_action", "event_outcome", "actor_id"):
        assert got[key] == sent[key], key
    assert got["event_outcome"] == outcome
    assert got["event_data"] == sent["event_data"]
    assert got["resource_type"] == "WorkflowExecution"


@pytest.mark.we_conformance("datastorage", "DS-API-020", "DS-API-031", "DS-API-033")
def test_batch_of_several_events_is_stored_in_order_and_filterable(we_datastorage, we_name):
    base = datetime.now(UTC) - timedelta(seconds=30)
    batch = []
    for i, (action, outcome) in enumerate(
        [("started", "success"), ("completed", "success"), ("failed", "failure")]
    ):
        sent = event(we_name, action, outcome)
        sent["event_timestamp"] = (base + timedelta(seconds=i)).isoformat()
        batch.append(sent)

    response = we_datastorage.client.post(BATCH, json=batch)

    assert response.status_code == 201, response.text
    ids = response.json()["event_ids"]
    assert len(ids) == 3
    assert len(set(ids)) == 3
    assert response.json()["message"] == "3 audit events created successfully"
    http = we_datastorage.client
    everything = query(http, correlation_id=we_name)
    assert [e["event_id"] for e in everything["data"]] == list(reversed(ids))
    assert everything["pagination"]["total"] == 3
    page = query(http, correlation_id=we_name, limit="2", offset="1")
    assert [e["event_id"] for e in page["data"]] == [ids[1], ids[0]]
    assert page["pagination"] == {"limit": 2, "offset": 1, "total": 3, "has_more": False}
    first_page = query(http, correlation_id=we_name, limit="1")
    assert first_page["pagination"]["has_more"] is True
    failures = query(http, correlation_id=we_name, event_outcome="failure")["data"]
    assert [e["event_id"] for e in failures] == [ids[2]]
    typed = query(http, correlation_id=we_name, event_type="workflowexecution.workflow.started")
    assert [e["event_id"] for e in typed["data"]] == [ids[0]]
    until = (base + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    bounded = query(http, correlation_id=we_name, since="1h", until=until)["data"]
    assert [e["event_id"] for e in bounded] == [ids[1], ids[0]]
    assert query(http, correlation_id=we_name, event_category="gateway")["data"] == []


@pytest.mark.we_conformance("datastorage", "DS-API-021", "DS-API-031", "DS-API-050")
def test_invalid_batches_and_queries_are_rejected(we_datastorage, we_name):
    http = we_datastorage.client
    good = event(we_name, "started", "success")
    bad = {k: v for k, v in event(we_name, "failed", "failure").items() if k != "event_action"}

    answers = [
        http.post(BATCH, json=good),
        http.post(BATCH, json=[]),
        http.post(BATCH, json=[good, bad]),
    ]

    for response in answers:
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 400
    assert query(http, correlation_id=we_name)["pagination"]["total"] == 0, "batch not atomic"
    response = http.get(QUERY, params={"correlation_id": we_name, "since": "yesterday"})
    assert response.status_code == 400
    assert "invalid time format" in response.json()["detail"]
