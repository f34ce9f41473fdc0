"""DS-API-010/011, DS-API-003, DS-API-041/042: the single-event write."""

from __future__ import annotations

import re
import uuid

import pytest

pytestmark = pytest.mark.usefixtures("ds_url")


def test_created_with_server_id_and_second_precision_timestamp(client, audit, make_event):
    response = client.post(audit.events, json=make_event(event_id=str(uuid.uuid4())))
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"event_id", "event_timestamp", "message"}
    assert uuid.UUID(body["event_id"]).version == 4
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["event_timestamp"])
    assert body["message"] == "Audit event created successfully"


def test_client_sent_event_id_is_ignored(client, audit, make_event, correlation):
    mine = str(uuid.uuid4())
    given = client.post(audit.events, json=make_event(event_id=mine)).json()["event_id"]
    assert given != mine
    assert [e["event_id"] for e in audit.stored(correlation)["data"]] == [given]


def test_server_defaults_fill_absent_fields(client, audit, make_event, correlation):
    event = make_event(
        actor_type=...,
        actor_id=...,
        resource_type=...,
        resource_id=...,
        namespace=...,
        event_category="execution",
    )
    assert client.post(audit.events, json=event).status_code == 201
    (row,) = audit.stored(correlation)["data"]
    assert row["actor_type"] == "service"
    assert row["actor_id"] == "execution-service"
    assert row["resource_type"] == "execution"
    assert row["resource_id"] == correlation
    assert (row["severity"], row["duration_ms"], row["retention_days"]) == ("info", 0, 2555)
    assert row["is_sensitive"] is False


@pytest.mark.parametrize(
    "name",
    ["legacy_aliases", "workflow_skipped_seed", "minimal", "workflow_failed", "workflow_started"],
)
def test_valid_fixtures_are_accepted(client, audit, correlation, name):
    event = audit.load("valid", name)
    event["correlation_id"] = correlation
    assert client.post(audit.events, json=event).status_code == 201
    (row,) = audit.stored(correlation)["data"]
    assert row["event_data"] == event["event_data"]
    assert row["event_category"] == event.get("event_category", event.get("service"))


def test_stored_values_round_trip(client, audit, make_event, correlation):
    event = make_event(
        error_code="PIPELINE_FAILED",
        error_message="boom",
        duration_ms=5000,
        cluster_name="c1",
        severity="warning",
    )
    client.post(audit.events, json=event)
    (row,) = audit.stored(correlation)["data"]
    for key in (
        "error_code",
        "error_message",
        "duration_ms",
        "cluster_name",
        "severity",
        "namespace",
        "actor_id",
        "resource_id",
        "event_type",
        "event_action",
    ):
        assert row[key] == event[key], key
    assert row["version"] == "1.0"


def test_parent_event_links_and_missing_parent_is_400(client, audit, make_event, correlation):
    parent = client.post(audit.events, json=make_event()).json()["event_id"]
    child = client.post(audit.events, json=make_event(parent_event_id=parent))
    assert child.status_code == 201, child.text
    rows = {r["event_id"]: r for r in audit.stored(correlation)["data"]}
    linked = rows[child.json()["event_id"]]
    assert linked["parent_event_id"] == parent
    assert linked["parent_event_date"] == rows[parent]["event_date"]
    missing = client.post(audit.events, json=make_event(parent_event_id=str(uuid.uuid4())))
    assert audit.problem(missing, 400, "parent event does not exist")["field"] == "parent_event_id"
    assert audit.stored(correlation)["pagination"]["total"] == 2


def test_array_body_on_single_endpoint_is_400(client, audit, make_event):
    audit.problem(client.post(audit.events, json=[make_event()]), 400, "not an array")
