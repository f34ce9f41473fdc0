"""Stack start time: cold (fresh data dir, certs, processes, CRDs Established) over N runs.

Prints min/median/max of the whole start and of each phase (etcd, kube-apiserver ready,
CRDs Established + discoverable incl. KCM start), then the stop time. Run 1 is reported
separately as "first" (page cache, Tekton CRD cache); runs 2..N are the "warm" numbers.

    .venv/bin/python bench/stack_start.py [-n 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from wetest.config import settings
from wetest.stack.backends import envtest


def one(s: settings.Settings) -> tuple[float, dict[str, float], float]:
    backend = envtest.create(s)
    started = time.monotonic()
    backend.start()
    took = time.monotonic() - started
    stop_started = time.monotonic()
    backend.stop()
    return took, dict(backend.timings), time.monotonic() - stop_started


def line(name: str, values: list[float]) -> str:
    return (
        f"{name:16} min {min(values):6.2f}s  median {statistics.median(values):6.2f}s  "
        f"max {max(values):6.2f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=10)
    runs = parser.parse_args().n
    os.environ["WETEST_QUIET"] = "1"
    s = settings.load({})
    results = [one(s) for _ in range(runs)]
    first, warm = results[0], results[1:] or results
    print(
        f"stack start, {runs} runs on {os.cpu_count()} cores (envtest: etcd + kube-apiserver "
        "+ kube-controller-manager + 9 CRDs)"
    )
    phases = ", ".join(f"{k} {v:.2f}s" for k, v in first[1].items())
    print(f"first run        {first[0]:6.2f}s  ({phases})")
    print(line("warm total", [r[0] for r in warm]))
    for phase in warm[0][1]:
        print(line(f"  {phase}", [r[1][phase] for r in warm]))
    print(line("stop", [r[2] for r in results]))


if __name__ == "__main__":
    main()
