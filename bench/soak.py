"""Run the full conformance suites N times in a row per worker count; count runs with any failure.

Issue 18's done-criterion: 20 runs at the default worker count and 20 at -n 2, 0 flaky. Each
run prints its wall time and the load average beside it (the machine may be shared), and each
worker count ends with the clean count and the median wall time.

    .venv/bin/python bench/soak.py [--runs 20] [--workers auto,2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def failures(results: Path) -> list[str]:
    if not results.exists():
        return ["(no results.jsonl)"]
    return [
        r["nodeid"]
        for r in map(json.loads, results.read_text().splitlines())
        if r["outcome"] not in ("passed",)
    ]


def soak(runs: int, workers: str) -> tuple[int, list[float]]:
    clean, walls = 0, []
    for index in range(1, runs + 1):
        out = Path(tempfile.mkdtemp(prefix="wetest-soak-"))
        load = os.getloadavg()[0]
        started = time.monotonic()
        code = subprocess.call(
            [sys.executable, "-m", "wetest", "run", "-n", workers, "--results-dir", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wall = time.monotonic() - started
        failed = failures(out / "results.jsonl")
        clean += code == 0 and not failed
        walls.append(wall)
        print(
            f"-n {workers} run {index:2}: exit {code} in {wall:5.1f}s (load {load:.1f}) "
            f"failures={failed or 0} ({out})",
            flush=True,
        )
    return clean, walls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--workers", "-n", default="auto,2", help="worker counts (auto: the default)"
    )
    args = parser.parse_args()
    summary = [(w, *soak(args.runs, w)) for w in args.workers.split(",")]
    for workers, clean, walls in summary:
        print(
            f"-n {workers}: {clean}/{args.runs} consecutive full runs without a failure, "
            f"median {statistics.median(walls):.1f}s"
        )


if __name__ == "__main__":
    main()
