"""DataStorage single-event writes, request validation, pagination bounds and probes (DOMAIN §5).

The batch endpoint is covered by test_batch_api.py; these are the clauses it does not observe.
Each clause is judged by its own ``check`` so one deviation does not hide the others.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from wetest import check

SINGLE = "/api/v1/audit/events"
QUERY = "/api/v1/audit/events"
RFC3339_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
"""RFC 3339 at second precision (DS-API-011): no fractional digits."""


def request(correlation_id: str, **extra: Any) -> dict[str, Any]:
    """A minimal AuditEventRequest: the required keys of §5.3 only, plus ``extra``."""
    return {
        "version": "1.0",
        "event_type": "workflowexecution.workflow.started",
        "event_timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "event_category": "workflow",
        "event_action": "started",
        "event_outcome": "success",
        "correlation_id": correlation_id,
        "event_data": {"workflow_id": "test-workflow"},
        **extra,
    }


def stored(http, correlation_id: str) -> list[dict[str, Any]]:
    response = http.get(QUERY, params={"correlation_id": correlation_id})
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def assert_problem(response, *statuses: int) -> dict[str, Any]:
    assert response.status_code in statuses, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), (
        f"an error answer must be problem+json (DOMAIN §5.6), got {response.headers}"
    )
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.we_conformance("datastorage", "DS-HLT-002", "DS-HLT-003", "DS-HLT-004")
def test_readiness_liveness_and_metrics_probes(we_datastorage):
    http = we_datastorage.client
    with check("DS-HLT-002"):
        ready = http.get("/health/ready", timeout=5)
        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    with check("DS-HLT-003"):
        live = http.get("/health/live", timeout=5)
        assert (live.status_code, live.json()) == (200, {"status": "alive"})
    with check("DS-HLT-004"):
        metrics = http.get("/metrics", timeout=5)
        assert metrics.status_code == 200, metrics.text
        families = list(text_string_to_metric_families(metrics.text))
        assert families, "GET /metrics answered no Prometheus metric family"


@pytest.mark.we_conformance(
    "datastorage", "DS-API-010", "DS-API-011", "DS-API-003", "DS-API-030", "DS-API-041"
)
def test_single_event_gets_a_server_id_and_defaults(we_datastorage, we_name):
    http = we_datastorage.client
    client_id = str(uuid.uuid4())
    sent = request(we_name, event_id=client_id)

    response = http.post(SINGLE, json=sent)

    with check("DS-API-010"):
        assert response.status_code == 201, response.text
        body = response.json()
        assert set(body) >= {"event_id", "event_timestamp", "message"}, body
    with check("DS-API-011"):
        assert body["message"] == "Audit event created successfully"
        assert RFC3339_SECONDS.match(body["event_timestamp"]), body["event_timestamp"]
        answered = datetime.fromisoformat(body["event_timestamp"].replace("Z", "+00:00"))
        sent_at = datetime.fromisoformat(sent["event_timestamp"]).replace(microsecond=0)
        assert answered == sent_at, "event_timestamp is the stored (sent) instant, in seconds"
    with check("DS-API-003"):
        event_id = uuid.UUID(body["event_id"])
        assert event_id.version == 4, f"event_id {event_id} is not a UUID v4"
        assert str(event_id) != client_id, "a client-sent event_id must be ignored"
    with check("DS-API-030"):
        page = http.get(QUERY, params={"correlation_id": we_name})
        assert page.status_code == 200, page.text
        assert set(page.json()) == {"data", "pagination"}
        assert set(page.json()["pagination"]) == {"limit", "offset", "total", "has_more"}
        events = page.json()["data"]
        assert [e["event_id"] for e in events] == [body["event_id"]]
    with check("DS-API-041"):
        got = events[0]
        defaults = {
            "actor_type": "service",
            "actor_id": "workflow-service",
            "resource_type": "workflow",
            "resource_id": we_name,
            "severity": "info",
            "is_sensitive": False,
        }  # retention_days and duration_ms are not asserted (DS-API-034)
        assert {k: got[k] for k in defaults} == defaults


@pytest.mark.we_conformance("datastorage", "DS-API-002", "DS-API-023")
def test_invalid_single_events_are_rejected_before_storing(we_datastorage, we_name):
    http = we_datastorage.client
    with check("DS-API-002"):
        missing = {k: v for k, v in request(we_name).items() if k != "event_action"}
        assert_problem(http.post(SINGLE, json=missing), 400)
        bad_enum = request(we_name, event_category="payments")
        assert_problem(http.post(SINGLE, json=bad_enum), 400)
        assert stored(http, we_name) == [], "a rejected event was stored"
    with check("DS-API-023"):
        text = http.post(
            SINGLE,
            content=str(request(we_name)).encode(),
            headers={"Content-Type": "text/plain"},
        )
        assert_problem(text, 415, 400)
        assert stored(http, we_name) == [], "an event sent as text/plain was stored"


@pytest.mark.we_conformance("datastorage", "DS-API-032")
def test_pagination_bounds_and_default_limit(we_datastorage, we_name):
    http = we_datastorage.client
    default = http.get(QUERY, params={"correlation_id": we_name})
    assert default.status_code == 200, default.text
    assert default.json()["pagination"]["limit"] == 50
    assert default.json()["pagination"]["offset"] == 0
    for params in ({"limit": "0"}, {"limit": "1001"}, {"limit": "ten"}, {"offset": "-1"}):
        response = http.get(QUERY, params={"correlation_id": we_name, **params})
        assert_problem(response, 400)
    assert http.get(QUERY, params={"limit": "1000"}).status_code == 200


@pytest.mark.we_conformance("datastorage", "DS-API-040")
def test_timestamps_outside_the_accepted_window_are_rejected(we_datastorage, we_name):
    http = we_datastorage.client
    now = datetime.now(UTC)
    future = request(we_name, event_timestamp=(now + timedelta(minutes=10)).isoformat())
    old = request(we_name, event_timestamp=(now - timedelta(days=8)).isoformat())

    too_new = assert_problem(http.post(SINGLE, json=future), 400)
    too_old = assert_problem(http.post(SINGLE, json=old), 400)

    assert too_new["detail"].startswith("invalid timestamp: timestamp is in the future")
    assert too_old["detail"].startswith("invalid timestamp: timestamp is too old")
    assert stored(http, we_name) == []


@pytest.mark.we_conformance("datastorage", "DS-API-042")
def test_legacy_field_aliases_are_accepted(we_datastorage, we_name):
    legacy = request(we_name)
    for canonical, alias in (
        ("event_category", "service"),
        ("event_action", "operation"),
        ("event_outcome", "outcome"),
    ):
        legacy[alias] = legacy.pop(canonical)

    response = we_datastorage.client.post(SINGLE, json=legacy)

    assert response.status_code == 201, response.text
    (got,) = stored(we_datastorage.client, we_name)
    assert (got["event_category"], got["event_action"], got["event_outcome"]) == (
        "workflow",
        "started",
        "success",
    )
