"""DS-HLT-001..004, the OpenAPI document, and problem+json for unknown routes."""

from __future__ import annotations

import httpx

EVENTS = "/api/v1/audit/events"


def test_health_reports_database_connected(client: httpx.Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy", "database": "connected"}


def test_ready_and_live(client: httpx.Client) -> None:
    assert client.get("/health/ready").json() == {"status": "ready"}
    assert client.get("/health/live").json() == {"status": "alive"}


def test_metrics_count_requests_and_events(client: httpx.Client, make_event) -> None:
    assert client.post(EVENTS, json=make_event()).status_code == 201
    text = client.get("/metrics").text
    assert 'datastorage_audit_events_written_total{endpoint="single"}' in text
    assert 'datastorage_http_requests_total{route="/api/v1/audit/events",status="201"}' in text
    assert "datastorage_audit_write_duration_seconds_bucket" in text


def test_openapi_document_is_served_at_both_paths(client: httpx.Client) -> None:
    for path in ("/api/v1/openapi.json", "/openapi.json"):
        document = client.get(path).json()
        assert document["openapi"].startswith("3.")
        assert "/api/v1/audit/events/batch" in document["paths"]


def test_unknown_path_and_method_are_problems(client: httpx.Client, audit) -> None:
    audit.problem(client.get("/api/v1/nothing"), 404)
    audit.problem(client.delete(EVENTS), 405)
