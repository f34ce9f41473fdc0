"""DS-API-035 under a crash: SIGKILL the DataStorage mid-write; no acknowledged event is lost
and no batch is half-stored."""

from __future__ import annotations

import collections
import signal
import threading
import uuid

import httpx

from wetest.stack import datastorage
from wetest.stack.processes import signal_group

WRITERS = 4
BATCH = 10
ACKS_BEFORE_KILL = 40


def _writer(url, events, acked, enough, stop):
    with httpx.Client(base_url=url, timeout=5) as client:
        while not stop.is_set():
            batch = events()
            try:
                response = client.post("/api/v1/audit/events/batch", json=batch)
            except httpx.HTTPError:
                return  # the service is gone: only 201s seen before count
            if response.status_code == 201:
                acked.extend(response.json()["event_ids"])
                if len(acked) >= ACKS_BEFORE_KILL * BATCH:
                    enough.set()


def test_kill_mid_write_loses_no_acknowledged_event(
    pg_dsn, tmp_path, audit, make_event, correlation
):
    victim = datastorage.start(pg_dsn, tmp_path)
    acked: list[str] = []
    enough, stop = threading.Event(), threading.Event()
    counter = iter(range(10**9))

    def events():
        k = next(counter)
        return [make_event(event_data={"batch": k, "i": i}) for i in range(BATCH)]

    threads = [
        threading.Thread(target=_writer, args=(victim.url, events, acked, enough, stop))
        for _ in range(WRITERS)
    ]
    try:
        for thread in threads:
            thread.start()
        assert enough.wait(30), f"only {len(acked)} events acknowledged"
        signal_group(victim.pid, signal.SIGKILL)
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
        victim.stop()
    rows = audit.stored(correlation, limit=1000)
    total = rows["pagination"]["total"]
    found = set()
    per_batch = collections.Counter()
    for offset in range(0, total, 1000):
        page = audit.stored(correlation, limit=1000, offset=offset)["data"]
        found.update(e["event_id"] for e in page)
        per_batch.update(e["event_data"]["batch"] for e in page)
    assert set(acked) <= found, f"{len(set(acked) - found)} acknowledged events lost"
    assert set(per_batch.values()) == {BATCH}, "a batch was stored partially"
    assert uuid.UUID(acked[0])
