"""Full conformance run wall time at -n 0, 2 and 6 (same invocation), then wait reaction latency.

Each run includes stack start and stop (`wetest run` starts its own stack), so the numbers are
what a CI job pays. The reaction latency part runs bench/wait_latency.py (watch-driven
eventually vs a 100 ms poll, side by side).

    .venv/bin/python bench/suite_time.py [--workers 0,2,6] [--latency-samples 30]

-n 6 is what `wetest run` uses by default; the target (45 s, stack start and stop included) is
checked against the best of the measured worker counts and printed as met or missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WETEST = [sys.executable, "-m", "wetest"]


def one_run(workers: str) -> tuple[float, int, dict[str, int]]:
    out = Path(tempfile.mkdtemp(prefix=f"wetest-suite-n{workers}-"))
    started = time.monotonic()
    code = subprocess.call(
        [*WETEST, "run", "-n", workers, "--results-dir", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.monotonic() - started
    counts: dict[str, int] = {}
    results = out / "results.jsonl"
    for line in results.read_text().splitlines() if results.exists() else []:
        outcome = json.loads(line)["outcome"]
        counts[outcome] = counts.get(outcome, 0) + 1
    return wall, code, counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", default="0,2,6")
    parser.add_argument("--latency-samples", default="30")
    parser.add_argument("--target", type=float, default=45.0, help="seconds (default 45)")
    args = parser.parse_args()
    print(f"full conformance run (stack start + suites + stop), wall time, {os.cpu_count()} CPUs:")
    walls: list[tuple[float, str]] = []
    for workers in args.workers.split(","):
        wall, code, counts = one_run(workers)
        print(f"  -n {workers}: {wall:6.1f}s  exit {code}  {counts}")
        if code == 0:
            walls.append((wall, workers))
    if walls:
        best, workers = min(walls)
        verdict = "met" if best <= args.target else "missed"
        print(f"  target <= {args.target:.0f}s: {verdict} (best -n {workers}: {best:.1f}s)")
    print("eventually reaction latency:")
    subprocess.call(
        [sys.executable, str(ROOT / "bench" / "wait_latency.py"), "-n", args.latency_samples]
    )


if __name__ == "__main__":
    main()
