"""The real Tekton tier beside the stand-in: stack start (first/warm) and one WE to Completed.

Each run starts the whole stack as `wetest up` does (envtest, DataStorage, the bundled
controller, and the Tekton tier), times ``start`` until ready, then creates one
WorkflowExecution and times it from create to phase Completed, then stops the stack. The
first run of each tier is reported apart ("first": page cache, module config cache); the
rest are the warm numbers. The real tier's binaries must be built (cold build: see
docs/how-to/real-tekton.md; `wetest assets install --tekton real`).

    .venv/bin/python bench/tekton_real.py [-n 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid

from wetest import eventually
from wetest import expectations as ex
from wetest.config import settings
from wetest.domain import manifests
from wetest.kube import clients, objects
from wetest.stack.tekton.real import smoke
from wetest.supervision import lifecycle


def one(tier: str) -> tuple[float, float, float]:
    """(stack start until ready, the real tier's own part of it, one WE to Completed), in s."""
    s = settings.load({"tekton": tier, "state_dir": tempfile.mkdtemp(prefix="wetest-bench-")})
    running = lifecycle.Running(s)
    started = time.monotonic()
    endpoints = running.start()
    start = time.monotonic() - started
    real = running.stack.real_tekton
    tier_start = real.start_seconds if real is not None else 0.0
    try:
        image = (
            smoke.push_smoke(endpoints.registry) if tier == "real" else manifests.CONTAINER_IMAGE
        )
        with clients.api_client(endpoints.kubeconfig) as api:
            namespace = f"bench-{uuid.uuid4().hex[:6]}"
            objects.create(
                api, objects.ObjectRef.core("namespaces"), {"metadata": {"name": namespace}}
            )
            we = manifests.workflow_execution(
                "bench", namespace, f"{namespace}/deployment/bench", container_image=image
            )
            ref = objects.ObjectRef.workflow_execution(namespace, "bench")
            created = time.monotonic()
            objects.create(api, ref.collection(), we)
            eventually(objects.Probe(api, ref), ex.has_phase("Completed"), timeout=120)
            completed = time.monotonic() - created
    finally:
        running.stop()
    return start, tier_start, completed


def line(name: str, values: list[float]) -> str:
    return (
        f"{name:42} min {min(values):6.2f}s  median {statistics.median(values):6.2f}s  "
        f"max {max(values):6.2f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=3, help="runs per tier (the first is 'first')")
    runs = parser.parse_args().n
    os.environ["WETEST_QUIET"] = "1"
    print(
        f"Tekton tiers, {runs} runs each on {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    for tier in ("stand-in", "real"):
        results = [one(tier) for _ in range(runs)]
        first, warm = results[0], results[1:] or results
        print(f"{tier:9} stack start, first run        {first[0]:6.2f}s")
        print(line(f"{tier:9} stack start, warm", [r[0] for r in warm]))
        if tier == "real":
            print(line("real      tier's own start (after cluster)", [r[1] for r in results]))
        print(line(f"{tier:9} one WE create -> Completed", [r[2] for r in results]))


if __name__ == "__main__":
    main()
