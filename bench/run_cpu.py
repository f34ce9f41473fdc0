"""CPU seconds of one full run, per kind of process: where a CPU-bound run's time goes.

On two CPUs a full run at the default worker count is bound by CPU, so wall time follows the
CPU its processes burn. This bench starts ``wetest run`` (stack included), samples every
process it starts from /proc ten times a second, and prints each kind's CPU seconds (utime +
stime at the last sample: a process that lives less than 0.1 s is missed, and one's last
0.1 s is), its process count, and the run's wall time.

    .venv/bin/python bench/run_cpu.py [-n 12] [-- extra wetest run arguments]
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from wetest.stack import processes

WETEST = [sys.executable, "-m", "wetest"]
KINDS = (
    ("kube-apiserver replica", r"kube-apiserver .*kube-apiserver-iso"),
    ("kube-apiserver", r"/kube-apiserver "),
    ("etcd", r"/etcd "),
    ("kube-controller-manager", r"kube-controller-manager"),
    ("postgres", r"postgres|initdb"),
    ("reference controller", r"wetest\.reference\.controller"),
    ("reference DataStorage", r"wetest\.reference\.datastorage"),
    ("Tekton stand-in", r"wetest\.stack\.tekton\.driver"),
    ("supervisor", r"wetest\.supervision\.supervisor"),
    ("fork servers", r"wetest\.stack\.forkserver\.server"),
    ("xdist worker shims", r"forkserver/shim\.py"),
    # "[pytest-xdist running] <test>": xdist retitles its workers when setproctitle is there
    ("xdist workers", r"exec\(eval\(sys\.stdin|\[pytest-xdist"),
    ("pytest (xdist controller)", r"-m pytest"),
    ("wetest run (CLI)", r"wetest run"),
)


def kind_of(cmdline: str) -> str:
    return next((name for name, pattern in KINDS if re.search(pattern, cmdline)), "other")


def sample(before: set[str], seen: dict[tuple[str, str], tuple[str, float]]) -> None:
    """Record (kind, CPU seconds) of every process started since ``before``, by (pid, start).

    The command line is read at each sample: a child forked by a Python process shows its
    parent's until it execs, so the last one read names it.
    """
    for entry in Path("/proc").iterdir():
        pid = entry.name
        if not pid.isdigit() or pid in before:
            continue
        try:
            started = processes.stat_fields(int(pid))[19]  # the pid may be reused: key on both
            cpu = processes.cpu_seconds(int(pid))
            cmdline = (entry / "cmdline").read_text().replace("\0", " ")
        except OSError:
            continue  # gone meanwhile
        key = (pid, started)
        kind = kind_of(cmdline) if cmdline else seen.get(key, ("other", 0.0))[0]
        seen[key] = (kind, cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", default="12", help="pytest-xdist workers of the run")
    parser.add_argument("extra", nargs="*", help="more wetest run arguments (after --)")
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="wetest-run-cpu-"))
    before = {entry.name for entry in Path("/proc").iterdir()}
    seen: dict[tuple[str, str], tuple[str, float]] = {}
    started = time.monotonic()
    run = subprocess.Popen(
        [*WETEST, "run", "-n", args.n, "--results-dir", str(out), *args.extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while run.poll() is None:
        sample(before, seen)
        time.sleep(0.1)
    wall = time.monotonic() - started
    cpu: collections.Counter[str] = collections.Counter()
    count: collections.Counter[str] = collections.Counter()
    for kind, seconds in seen.values():
        cpu[kind] += seconds
        count[kind] += 1
    print(
        f"wetest run -n {args.n}: exit {run.returncode}, {wall:.1f}s wall, "
        f"{sum(cpu.values()):.1f} CPU-s sampled ({os.cpu_count()} CPUs, results in {out})"
    )
    for kind, seconds in cpu.most_common():
        print(f"  {seconds:6.1f} CPU-s  {count[kind]:3d} processes  {kind}")


if __name__ == "__main__":
    main()
