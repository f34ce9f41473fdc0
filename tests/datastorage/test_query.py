"""DS-API-030..035: filters, time bounds, ordering, pagination and the event shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.usefixtures("ds_url")
KEYS = {
    "event_id",
    "version",
    "event_timestamp",
    "event_date",
    "event_type",
    "event_category",
    "event_action",
    "event_outcome",
    "correlation_id",
    "parent_event_id",
    "parent_event_date",
    "resource_type",
    "resource_id",
    "namespace",
    "cluster_name",
    "severity",
    "duration_ms",
    "error_code",
    "error_message",
    "actor_id",
    "actor_type",
    "retention_days",
    "is_sensitive",
    "event_data",
}


def stamp(minutes_ago: float) -> str:
    moment = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.fixture
def three(client, audit, make_event) -> list[str]:
    """Three events one minute apart, written as one batch; ids oldest first."""
    events = [make_event(event_timestamp=stamp(3 - n), event_data={"n": n}) for n in range(3)]
    response = client.post(audit.batch, json=events)
    assert response.status_code == 201
    return list(response.json()["event_ids"])


def test_newest_first_with_pagination(audit, correlation, three):
    body = audit.stored(correlation)
    assert [e["event_id"] for e in body["data"]] == three[::-1]
    assert body["pagination"] == {"limit": 50, "offset": 0, "total": 3, "has_more": False}


def test_limit_two_pages_through_all(audit, correlation, three):
    first = audit.stored(correlation, limit=2)
    assert first["pagination"] == {"limit": 2, "offset": 0, "total": 3, "has_more": True}
    second = audit.stored(correlation, limit=2, offset=2)
    assert second["pagination"] == {"limit": 2, "offset": 2, "total": 3, "has_more": False}
    pages = [e["event_id"] for e in first["data"] + second["data"]]
    assert pages == three[::-1]
    assert audit.stored(correlation, offset=10)["data"] == []


def test_same_timestamp_orders_by_event_id_descending(client, audit, make_event, correlation):
    moment = stamp(1)
    ids = client.post(audit.batch, json=[make_event(event_timestamp=moment)] * 4).json()
    returned = [e["event_id"] for e in audit.stored(correlation)["data"]]
    assert returned == sorted(ids["event_ids"], reverse=True)


def test_event_shape_and_values(client, audit, make_event, correlation):
    event = make_event(event_timestamp="2026-01-01T00:00:00Z")
    event["event_timestamp"] = stamp(0.5)
    client.post(audit.events, json=event)
    (row,) = audit.stored(correlation)["data"]
    assert set(row) == KEYS
    assert datetime.fromisoformat(row["event_timestamp"]) == datetime.fromisoformat(
        event["event_timestamp"]
    )
    assert row["event_date"] == row["event_timestamp"][:10]
    assert row["event_data"] == event["event_data"]
    assert row["parent_event_id"] is None


@pytest.mark.parametrize("key", ["event_type", "event_category", "event_outcome", "severity"])
def test_each_filter_is_an_exact_match(client, audit, make_event, correlation, key):
    values = {
        "event_type": ("workflow.started", "workflow.failed"),
        "event_category": ("workflow", "execution"),
        "event_outcome": ("success", "failure"),
        "severity": ("info", "critical"),
    }[key]
    client.post(audit.batch, json=[make_event(**{key: v}) for v in (*values, values[0])])
    assert audit.stored(correlation, **{key: values[0]})["pagination"]["total"] == 2
    assert audit.stored(correlation, **{key: values[1]})["pagination"]["total"] == 1
    assert audit.stored(correlation, **{key: values[1][:-1]})["pagination"]["total"] == 0


def test_filters_combine_with_and(client, audit, make_event, correlation):
    client.post(
        audit.batch,
        json=[
            make_event(event_outcome="failure"),
            make_event(event_outcome="failure", severity="critical"),
            make_event(severity="critical"),
        ],
    )
    found = audit.stored(correlation, event_outcome="failure", severity="critical")
    assert found["pagination"]["total"] == 1


@pytest.mark.parametrize(
    ("since", "until", "count"),
    [
        ("150s", "", 2),
        ("", "150s", 1),
        ("1h", "", 3),
        ("1d", "", 3),
        (2.5, 0.5, 2),  # minutes ago, made RFC 3339 timestamps when the test runs
        ("2000-01-01", "", 3),
        ("", "2000-01-01T00:00:00", 0),
        ("", "", 3),
    ],
    ids=["150s-", "-150s", "1h-", "1d-", "rfc3339-window", "date-", "-datetime", "none"],
)
def test_since_and_until_are_inclusive_bounds(audit, correlation, three, since, until, count):
    """The RFC 3339 window is computed here, beside ``three``'s timestamps: computed at
    collection it drifted out of them when the test ran minutes later (a busy worker)."""
    if isinstance(since, float):
        since, until = stamp(since), stamp(until)
    assert audit.stored(correlation, since=since, until=until)["pagination"]["total"] == count


def test_since_equal_to_the_timestamp_includes_it(client, audit, make_event, correlation):
    moment = stamp(2)
    client.post(audit.events, json=make_event(event_timestamp=moment))
    assert audit.stored(correlation, since=moment, until=moment)["pagination"]["total"] == 1


@pytest.mark.parametrize(
    "value", ["yesterday", "24", "2025-13-01", "1w", "-1h", "0001-01-01T00:00:00+01:00x"]
)
def test_bad_time_format_is_400(client, audit, value):
    response = client.get(audit.events, params={"since": value})
    audit.problem(response, 400, f"invalid time format: {value} (expected: 24h, 7d, or RFC3339")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("limit", "0"),
        ("limit", "1001"),
        ("limit", "ten"),
        ("limit", "-1"),
        ("limit", "1.5"),
        ("offset", "-1"),
        ("offset", "x"),
        ("offset", "1e3"),
    ],
)
def test_bad_pagination_is_400(client, audit, key, value):
    body = audit.problem(client.get(audit.events, params={key: value}), 400, key)
    assert body["field"] == key


def test_limit_bounds_are_accepted(audit, correlation, three):
    assert len(audit.stored(correlation, limit=1)["data"]) == 1
    assert audit.stored(correlation, limit=1000)["pagination"]["limit"] == 1000


def test_nul_in_a_filter_is_400(client, audit):
    audit.problem(client.get(audit.events, params={"event_type": "a\x00b"}), 400, "NUL")
