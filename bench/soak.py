"""Run the full conformance suites N times in a row and count runs with any failure.

.venv/bin/python bench/soak.py [--runs 20] [-n 6]
"""

from __future__ import annotations

import argparse
import json
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("-n", default="6")
    args = parser.parse_args()
    clean = 0
    for index in range(1, args.runs + 1):
        out = Path(tempfile.mkdtemp(prefix="wetest-soak-"))
        started = time.monotonic()
        code = subprocess.call(
            [sys.executable, "-m", "wetest", "run", "-n", args.n, "--results-dir", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        failed = failures(out / "results.jsonl")
        clean += code == 0 and not failed
        print(
            f"run {index:2}: exit {code} in {time.monotonic() - started:5.1f}s "
            f"failures={failed or 0} ({out})",
            flush=True,
        )
    print(f"{clean}/{args.runs} consecutive full runs without a failure")


if __name__ == "__main__":
    main()
