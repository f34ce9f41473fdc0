"""The timeline shows API writes and refused requests, on one time line with status stamps."""

from __future__ import annotations

from typing import Any

from wetest.evidence import timeline


def call(verb: str, code: int, t: str, **extra: Any) -> dict[str, Any]:
    return {
        "time": t,
        "actor": "controller",
        "user": "wetest:controller-under-test",
        "user_agent": "x/1",
        "verb": verb,
        "resource": "workflowexecutions",
        "subresource": "status",
        "namespace": "ns",
        "name": "we",
        "code": code,
        "reason": extra.get("reason", ""),
        "message": extra.get("message", ""),
    }


def test_writes_and_refusals_are_shown_reads_are_not() -> None:
    calls = [
        call("get", 200, "2026-12-06T21:30:00.100000Z"),
        call("update", 200, "2026-12-06T21:30:00.200000Z"),
        call("update", 409, "2026-12-06T21:30:00.300000Z", reason="Conflict", message="modified"),
        call("get", 404, "2026-12-06T21:30:00.400000Z", reason="NotFound"),
    ]
    entries = timeline.build([], [], [], calls)
    assert [e["summary"] for e in entries] == [
        "controller update workflowexecutions/status ns/we -> 200",
        "controller update workflowexecutions/status ns/we -> 409 Conflict",
        "controller get workflowexecutions/status ns/we -> 404 NotFound",
    ]
    assert entries[1]["detail"] == "modified"
    assert {e["kind"] for e in entries} == {"api"}


def test_second_and_microsecond_stamps_sort_by_instant() -> None:
    we = {"metadata": {"name": "we", "creationTimestamp": "2026-12-06T21:30:01Z"}}
    entries = timeline.build([we], [], [], [call("create", 201, "2026-12-06T21:30:00.900000Z")])
    assert [e["kind"] for e in entries] == ["api", "status"]
