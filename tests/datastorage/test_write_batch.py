"""DS-API-020/021: the batch write is ordered, all or nothing, and refuses non-arrays."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.usefixtures("ds_url")


def test_batch_of_three_returns_ids_in_request_order(client, audit, make_event, correlation):
    events = [make_event(event_data={"n": n}) for n in range(3)]
    response = client.post(audit.batch, json=events)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["message"] == "3 audit events created successfully"
    by_id = {r["event_id"]: r["event_data"]["n"] for r in audit.stored(correlation)["data"]}
    assert [by_id[i] for i in body["event_ids"]] == [0, 1, 2]


def test_one_invalid_element_stores_nothing(client, audit, make_event, correlation):
    events = [make_event(), make_event(), make_event(event_category="billing")]
    body = audit.problem(client.post(audit.batch, json=events), 400, "event at index 2:")
    assert (body["index"], body["field"]) == (2, "event_category")
    assert audit.stored(correlation)["pagination"]["total"] == 0


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b'{"version": "1.0"}', "must be a JSON array, not a single object"),
        (b'"events"', "must be a JSON array"),
        (b"42", "must be a JSON array"),
        (b"null", "must be a JSON array"),
        (b"[]", "batch cannot be empty"),
    ],
)
def test_non_array_or_empty_body_is_400(client, audit, body, detail):
    response = client.post(audit.batch, content=body, headers={"content-type": "application/json"})
    audit.problem(response, 400, detail)


def test_non_object_element_is_400(client, audit, make_event, correlation):
    body = audit.problem(client.post(audit.batch, json=[make_event(), "x"]), 400, "index 1")
    assert body["index"] == 1
    assert audit.stored(correlation)["pagination"]["total"] == 0


def test_missing_parent_rolls_back_the_whole_batch(client, audit, make_event, correlation):
    events = [make_event(), make_event(parent_event_id=str(uuid.uuid4()))]
    body = audit.problem(client.post(audit.batch, json=events), 400, "parent event does not exist")
    assert body["index"] == 1
    assert audit.stored(correlation)["pagination"]["total"] == 0


def test_parent_may_be_an_earlier_event_of_the_same_batch(client, audit, make_event, correlation):
    first = client.post(audit.batch, json=[make_event()]).json()["event_ids"][0]
    response = client.post(audit.batch, json=[make_event(parent_event_id=first)])
    assert response.status_code == 201, response.text


def test_large_batch_is_accepted(client, audit, make_event, correlation):
    events = [make_event(event_data={"n": n}) for n in range(1500)]
    response = client.post(audit.batch, json=events)
    assert response.status_code == 201, response.text
    assert audit.stored(correlation, limit=1)["pagination"]["total"] == 1500
