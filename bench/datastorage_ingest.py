"""Ingest throughput of the reference DataStorage against a raw COPY of the same rows.

For batches of 100 events at concurrency 1, 4 and 16 it prints events/s and p50/p99 latency of
``POST /api/v1/audit/events/batch``, then the same rows loaded with asyncpg's binary COPY
(batches of 100, same concurrency) into the same PostgreSQL in the same run, and the ratio.
Everything runs on loopback and every measurement is bounded by ``--seconds``.

    .venv/bin/python bench/datastorage_ingest.py [--seconds 3] [--batch 100] [--json]

It starts its own PostgreSQL and DataStorage through ``wetest.stack`` and stops them at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import orjson

from wetest.reference.datastorage import payloads, store
from wetest.stack import datastorage

CONCURRENCY = (1, 4, 16)
ROUNDS = 3


def sample_event(n: int) -> dict:
    """A realistic event; timestamps and ids differ per event as in a real stream (identical
    keys would make every index insert land on the same B-tree page)."""
    return {
        "version": "1.0",
        "event_type": "workflow.started",
        "event_timestamp": datetime.now(UTC).isoformat(),
        "event_category": "workflow",
        "event_action": "started",
        "event_outcome": "success",
        "actor_type": "service",
        "actor_id": "workflowexecution-controller",
        "resource_type": "WorkflowExecution",
        "resource_id": f"we-{n}",
        "correlation_id": f"bench-{n}",
        "namespace": "kubernaut-system",
        "event_data": {
            "workflow_id": "increase-memory-limit",
            "workflow_version": "v1.0.0",
            "target_resource": "payment/deployment/payment-api",
            "phase": "Running",
            "execution_name": f"we-{n}",
            "container_image": "ghcr.io/kubernaut/workflows/x@sha256:abc123",
            "pipelinerun_name": "wfe-cf0cc089293b1165",
        },
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def run_workers(concurrency: int, seconds: float, send) -> tuple[int, float, list[float]]:
    """Run ``concurrency`` loops of ``send()`` for ``seconds``: events, elapsed, latencies."""
    latencies: list[float] = []
    sent = [0]
    deadline = time.perf_counter() + seconds

    async def loop() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            done = await send()  # not `sent[0] += await ...`: that loses updates across tasks
            sent[0] += done
            latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    return sent[0], time.perf_counter() - began, latencies


class RawHttp:
    """A minimal keep-alive HTTP/1.1 POST client: the load generator shares the machine's CPUs
    with the service and PostgreSQL, so it must cost far less than httpx does per request."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json"
            f"\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        assert self.reader is not None
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return int(status_line.split()[1]), await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def bench_http(url: str, batch: int, concurrency: int, seconds: float) -> dict:
    counter = iter(range(10**12))
    parsed = httpx.URL(url)
    idle = [RawHttp(parsed.host, parsed.port or 80) for _ in range(concurrency)]

    async def send() -> int:
        body = orjson.dumps([sample_event(next(counter)) for _ in range(batch)])
        conn = idle.pop()
        try:
            status, answer = await conn.post("/api/v1/audit/events/batch", body)
        finally:
            idle.append(conn)
        if status != 201:
            raise SystemExit(f"DataStorage answered {status}: {answer[:300]!r}")
        return batch

    try:
        return summarize(*await run_workers(concurrency, seconds, send))
    finally:
        for conn in idle:
            conn.close()


async def bench_copy(dsn: str, batch: int, concurrency: int, seconds: float) -> dict:
    """Binary COPY of rows equal to what the service stores: one validated template per slot,
    with fresh ids and timestamps per row (cheap tuple copies, so the client is not the limit)."""
    template = payloads.validate(sample_event(0), datetime.now(UTC)).record(None)
    pool = await asyncpg.create_pool(dsn, min_size=concurrency, max_size=concurrency)
    try:

        async def send() -> int:
            now = datetime.now(UTC)
            records = [
                (
                    uuid.uuid4(),
                    template[1],
                    now,
                    *template[3:10],
                    f"we-{n}",
                    f"bench-{n}",
                    *template[12:],
                )
                for n in range(batch)
            ]
            async with pool.acquire() as conn:
                await conn.copy_records_to_table(
                    "audit_events", records=records, columns=store.COLUMNS
                )
            return batch

        return summarize(*await run_workers(concurrency, seconds, send))
    finally:
        await pool.close()


def summarize(events: int, elapsed: float, latencies: list[float]) -> dict:
    return {"events": events, "elapsed": elapsed, "latencies": latencies}


def combine(rounds: list[dict]) -> dict:
    events = sum(r["events"] for r in rounds)
    elapsed = sum(r["elapsed"] for r in rounds)
    latencies = [x for r in rounds for x in r["latencies"]]
    return {
        "events_per_s": events / elapsed,
        "requests": len(latencies),
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * percentile(latencies, 0.99),
    }


async def measure(url: str, dsn: str, batch: int, seconds: float) -> list[dict]:
    rows = []
    await bench_http(url, batch, 4, 1.0)  # warm-up: pool connections, JIT-free paths, caches
    for concurrency in CONCURRENCY:
        # interleaved short rounds, so load from other processes hits both sides alike
        http_rounds, copy_rounds = [], []
        for _ in range(ROUNDS):
            http_rounds.append(await bench_http(url, batch, concurrency, seconds / ROUNDS))
            copy_rounds.append(await bench_copy(dsn, batch, concurrency, seconds / ROUNDS))
        http, raw = combine(http_rounds), combine(copy_rounds)
        rows.append(
            {
                "concurrency": concurrency,
                "datastorage": http,
                "copy": raw,
                "ratio": http["events_per_s"] / raw["events_per_s"],
            }
        )
    return rows


def print_table(rows: list[dict], batch: int) -> None:
    print(
        f"batch={batch} events/request; DataStorage = POST /api/v1/audit/events/batch, "
        "COPY = asyncpg copy_records_to_table of the same rows"
    )
    print(
        f"{'conc':>4} | {'DS ev/s':>9} {'p50 ms':>7} {'p99 ms':>7} | "
        f"{'COPY ev/s':>9} {'p50 ms':>7} {'p99 ms':>7} | {'DS/COPY':>7}"
    )
    for r in rows:
        d, c = r["datastorage"], r["copy"]
        print(
            f"{r['concurrency']:>4} | {d['events_per_s']:>9.0f} {d['p50_ms']:>7.1f} "
            f"{d['p99_ms']:>7.1f} | {c['events_per_s']:>9.0f} {c['p50_ms']:>7.1f} "
            f"{c['p99_ms']:>7.1f} | {r['ratio']:>7.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement (bounded)")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="wetest-bench-") as logs,
        datastorage.provide(Path(logs)) as stack,
    ):
        assert stack.postgres is not None
        rows = asyncio.run(
            measure(stack.datastorage.url, stack.postgres.dsn, args.batch, min(args.seconds, 30.0))
        )
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print_table(rows, args.batch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
