"""Audit client against a real loopback HTTP server: batching, outage, restart, exactly once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from loopback_ds import LoopbackDataStorage

from wetest import consistently, eventually
from wetest import expectations as ex
from wetest.domain import audit
from wetest.reference.controller.audit import AuditClient

WE = {
    "metadata": {"name": "we-a", "namespace": "default"},
    "spec": {
        "workflowRef": {"workflowId": "w", "version": "v1", "containerImage": "i"},
        "targetResource": "default/d/a",
    },
    "status": {"phase": "Running", "startTime": "2025-12-15T19:22:33Z"},
}


def event(name: str, kind: audit.EventType = audit.EventType.STARTED) -> dict[str, object]:
    we = {**WE, "metadata": {**WE["metadata"], "name": name}}
    from wetest.domain import timestamps

    return audit.build_event(we, kind, timestamps.rfc3339_micro(timestamps.now()))


def until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    eventually(check, ex.satisfies(bool, "condition holds"), timeout=timeout)


@pytest.fixture
def ds() -> Iterator[LoopbackDataStorage]:
    server = LoopbackDataStorage().start()
    yield server
    server.stop()


def client(url: str, spool: Path) -> AuditClient:
    return AuditClient(url, spool, interval=0.05, retry_wait=0.01).start()


def test_delivers_once_per_key(ds: LoopbackDataStorage, tmp_path: Path) -> None:
    c = client(ds.url, tmp_path)
    e = event("we-1")
    assert c.enqueue("uid-1/workflow.started", e) is None
    assert c.enqueue("uid-1/workflow.started", e) is None  # repeated reconcile: no second copy
    until(lambda: len(ds.events) == 1 and len(c.spool) == 0)
    assert c.close() == 0
    assert ds.of_type("we-1") == ["workflow.started"]


def test_outage_then_recovery_loses_nothing(ds: LoopbackDataStorage, tmp_path: Path) -> None:
    ds.fail_next = 5
    c = client(ds.url, tmp_path)
    for i in range(20):
        c.enqueue(f"uid-{i}/workflow.started", event(f"we-{i}"))
    until(lambda: len(ds.events) == 20)
    c.close()
    assert sorted(e["resource_id"] for e in ds.events) == sorted(f"we-{i}" for i in range(20))


def test_spool_survives_restart(tmp_path: Path) -> None:
    down = "http://127.0.0.1:9"  # discard port: connection refused
    first = AuditClient(down, tmp_path, interval=0.05, retry_wait=0.01).start()
    first.enqueue("uid-r/workflow.started", event("we-r"))
    assert first.close(timeout=1) == 1
    server = LoopbackDataStorage().start()
    try:
        second = client(server.url, tmp_path)
        second.enqueue("uid-r/workflow.started", event("we-r"))  # already spooled: ignored
        until(lambda: len(server.events) == 1)
        second.close()
        third = client(server.url, tmp_path)
        third.enqueue("uid-r/workflow.started", event("we-r"))  # delivered before: ignored
        # nothing may arrive: the ledger says delivered
        consistently(
            lambda: len(server.events),
            ex.satisfies(lambda n: n == 1, "still exactly one event"),
            duration=0.3,
        )
        third.close()
        assert server.of_type("we-r") == ["workflow.started"]
    finally:
        server.stop()


def test_lost_response_is_not_resent(ds: LoopbackDataStorage, tmp_path: Path) -> None:
    ds.drop_response_next = 1  # stored, but the client never hears 201
    c = client(ds.url, tmp_path)
    c.enqueue("uid-l/workflow.completed", event("we-l", audit.EventType.COMPLETED))
    until(lambda: len(c.spool) == 0)
    c.close()
    assert ds.of_type("we-l") == ["workflow.completed"]


def test_refusals(tmp_path: Path) -> None:
    c = AuditClient("http://127.0.0.1:9", tmp_path, capacity=1)
    bad = {**event("we-x"), "event_category": "nope"}
    assert (c.check(bad) or "").startswith("invalid audit event:")
    c.enqueue("k1", event("we-x"))
    assert c.check(event("we-y")) == "audit buffer full: event dropped (correlation_id=we-y)"


def test_a_torn_inflight_file_does_not_stop_delivery(tmp_path: Path) -> None:
    """A controller SIGKILLed mid-write left an empty inflight file (found by bench/soak.py)."""
    from wetest.reference.controller import spool

    box = spool.Spool(tmp_path)
    box.inflight_path.write_text("")
    assert box.inflight_keys() == []
    box.inflight_path.write_text('["a", "b"')
    assert box.inflight_keys() == []


def test_an_event_whose_write_committed_before_a_crash_is_delivered_once(
    ds: LoopbackDataStorage, tmp_path: Path
) -> None:
    """Issue 16: SIGKILL between a committed status write and the admit lost the event.

    The intent recorded before the write survives the crash; the restarted client delivers
    the committed one (the WE shows the transition) and drops the one that never committed.
    """
    crashed = AuditClient(ds.url, tmp_path)  # never started: it dies mid-write
    crashed.intend("uid-c/workflow.started", event("we-c"))
    crashed.intend("uid-n/workflow.started", event("we-n"))
    c = client(ds.url, tmp_path)
    c.resolve_leftover("uid-c", lambda event_type: event_type == "workflow.started")
    c.resolve_leftover("uid-n", lambda event_type: False)  # its phase never changed
    until(lambda: len(ds.events) == 1 and len(c.spool) == 0)
    assert c.spool.intents() == []
    c.resolve_leftover("uid-c", lambda event_type: True)  # settled once: nothing left to do
    consistently(lambda: len(ds.events), ex.satisfies(lambda n: n == 1, "one event"), duration=0.3)
    c.close()
    assert ds.of_type("we-c") == ["workflow.started"]
