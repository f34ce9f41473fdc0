"""DS-API-002/023/040/050: malformed requests get 400/413/415 problem+json and store nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from wetest.reference.datastorage import routes

pytestmark = pytest.mark.usefixtures("ds_url")
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "audit" / "malformed"
MALFORMED = sorted(p.stem for p in FIXTURES.glob("*.json"))


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_single_event_names_the_field(client, audit, correlation, name):
    case = audit.load("malformed", name)
    if case["field"] != "correlation_id" and "correlation_id" in case["event"]:
        case["event"]["correlation_id"] = correlation
    body = audit.problem(client.post(audit.events, json=case["event"]), 400, case["detail"])
    assert body["field"] == case["field"]
    assert body["title"] == "Validation Error"
    assert audit.stored(correlation)["pagination"]["total"] == 0


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_element_in_batch_names_index_and_field(client, audit, make_event, name):
    case = audit.load("malformed", name)
    good = make_event()
    response = client.post(audit.batch, json=[good, case["event"]])
    body = audit.problem(response, 400, case["detail"])
    assert body["detail"].startswith(f"event at index 1: {case['field']}")
    assert (body["index"], body["field"]) == (1, case["field"])
    assert audit.stored(good["correlation_id"])["pagination"]["total"] == 0


def test_timestamp_in_the_future_is_400(client, audit, make_event):
    late = make_event(event_timestamp=audit.now(timedelta(minutes=6)))
    audit.problem(
        client.post(audit.events, json=late),
        400,
        "invalid timestamp: timestamp is in the future (server time: ",
    )


def test_timestamp_older_than_7_days_is_400(client, audit, make_event):
    old = make_event(event_timestamp=audit.now(-timedelta(days=7, minutes=1)))
    audit.problem(
        client.post(audit.events, json=old),
        400,
        "invalid timestamp: timestamp is too old (must be within 7 days, age: 168h1m",
    )


def test_timestamps_inside_the_window_and_with_offsets_are_accepted(client, audit, make_event):
    for moment in ("+04:00", "-11:30"):
        stamp = audit.now(-timedelta(days=6)).replace("Z", moment)
        assert client.post(audit.events, json=make_event(event_timestamp=stamp)).status_code == 201
    soon = make_event(event_timestamp=audit.now(timedelta(minutes=4)))
    assert client.post(audit.events, json=soon).status_code == 201


@pytest.mark.parametrize("path", ["/api/v1/audit/events", "/api/v1/audit/events/batch"])
def test_wrong_content_type_is_415(client, audit, path):
    response = client.post(path, content=b"{}", headers={"content-type": "text/plain"})
    audit.problem(response, 415, "Content-Type must be application/json")
    audit.problem(client.post(path, content=b"{}"), 415)


@pytest.mark.parametrize("path", ["/api/v1/audit/events", "/api/v1/audit/events/batch"])
def test_invalid_json_is_400(client, audit, path):
    response = client.post(
        path, content=b'{"version": ', headers={"content-type": "application/json"}
    )
    audit.problem(response, 400, "request body is not valid JSON")


def test_body_over_the_limit_is_413(client, audit):
    body = b"[" + b" " * routes.MAX_BODY_BYTES + b"]"
    response = client.post(audit.batch, content=body, headers={"content-type": "application/json"})
    audit.problem(response, 413, "request body exceeds")


def test_content_type_with_charset_is_accepted(client, audit, make_event):
    response = client.post(
        audit.events,
        content=json.dumps(make_event()).encode(),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201
