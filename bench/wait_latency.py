"""Reaction latency of eventually: watch-driven vs a 100 ms poll, side by side.

Starts a cluster-only stack (the configured backend, envtest by default), writes a
WorkflowExecution status ~30 times and measures, for each write, the time from just before
the write to the moment ``eventually`` returns. Run: .venv/bin/python bench/wait_latency.py
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

from wetest.config import settings
from wetest.kube import clients, objects
from wetest.kube.objects import ObjectRef, Probe
from wetest.stack.assembly import Stack
from wetest.waiting import expectations as ex
from wetest.waiting.eventually import eventually


def measure(api, ref, probe, interval, n, offset) -> list[float]:
    latencies = []
    for i in range(offset, offset + n):
        written: dict[str, float] = {}

        def write(i=i, written=written) -> None:
            written["at"] = time.monotonic()
            objects.patch_status(
                api, ref, {"pipelineRunStatus": {"status": "Unknown", "totalTasks": i}}
            )

        timer = threading.Timer(random.uniform(0.02, 0.25), write)  # no phase-lock to polls
        timer.start()
        eventually(
            probe,
            ex.has_field("status.pipelineRunStatus.totalTasks", i),
            timeout=10,
            interval=interval,
            scale=1,
        )
        latencies.append(time.monotonic() - written["at"])
        timer.join()
    return latencies


def row(name: str, latencies: list[float]) -> str:
    ms = sorted(x * 1000 for x in latencies)
    p95 = ms[max(0, round(0.95 * len(ms)) - 1)]
    return (
        f"{name:<22} n={len(ms):<3} p50 {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms"
        f"   max {ms[-1]:7.1f} ms"
    )


def run(n: int) -> None:
    random.seed(6)
    with Stack(
        settings.load(),
        components=("cluster",),
        log_dir=Path(tempfile.mkdtemp(prefix="wetest-bench-")),
    ) as stack:
        api = clients.api_client(stack.endpoints.kubeconfig)
        ref = ObjectRef.workflow_execution("default", "bench-latency")
        objects.create(api, ref, {"kind": "WorkflowExecution"})

        def polled() -> object:
            return objects.get_or_none(api, ref)

        watched = measure(api, ref, Probe(api, ref), None, n, 0)
        polling = measure(api, ref, polled, 0.1, n, n)
        api.close()
    print(row("watch-driven", watched))
    print(row("poll every 100 ms", polling))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="status writes per method")
    run(parser.parse_args().n)
