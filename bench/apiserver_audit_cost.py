"""What kube-apiserver's audit log costs: stack start and a full run, with and without it.

The audit log (``wetest.stack.apiaudit``: Metadata level for kubernaut.ai, tekton.dev, Events
and Namespaces, blocking mode) feeds each failed test's api-calls.jsonl. This bench measures
both sides in one invocation, alternating (on, off, on, off, ...) so that load from other
processes on a shared machine spreads over both, and prints medians and the overhead in %.

    .venv/bin/python bench/apiserver_audit_cost.py [--starts 5] [--requests 400] [--loads 2]
        [--runs 2] [-n 6]

Stack start = envtest backend start (etcd, kube-apiserver with or without the audit flags,
kube-controller-manager, CRDs). Full run = ``wetest run -n N`` (stack start, every suite,
stop), switched with ``WETEST_AUDIT_LOG=true|false``. Target: overhead < 5 %.

Wall times on a shared 2-CPU machine swing by +-30 % from run to run, more than the effect, so
the bench also measures what the log costs per request, where it is paid: N WorkflowExecution
creates and N status updates (all audited) against a started stack, timed, with
kube-apiserver's own CPU seconds (utime + stime from /proc) before and after.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from wetest.config import settings
from wetest.domain import manifests
from wetest.kube import clients, objects
from wetest.stack import processes
from wetest.stack.backends import envtest

WETEST = [sys.executable, "-m", "wetest"]
TARGET = 5.0


def one_start(s: settings.Settings) -> tuple[float, int]:
    """Seconds to start the envtest backend, and the audit log's size in bytes after it."""
    backend = envtest.create(s)
    started = time.monotonic()
    endpoints = backend.start()
    took = time.monotonic() - started
    size = Path(endpoints.audit_log).stat().st_size if endpoints.audit_log else 0
    backend.stop()
    return took, size


def one_load(s: settings.Settings, requests: int) -> tuple[float, float]:
    """Wall seconds and kube-apiserver CPU seconds of `requests` audited writes."""
    backend = envtest.create(s)
    endpoints = backend.start()
    try:
        api = clients.api_client(endpoints.kubeconfig_of("harness"))
        objects.create(api, objects.ObjectRef.core("namespaces"), {"metadata": {"name": "bench"}})
        pid = endpoints.pids["kube-apiserver"]
        cpu, started = processes.cpu_seconds(pid), time.monotonic()
        for i in range(requests // 2):
            ref = objects.ObjectRef.workflow_execution("bench")
            body = manifests.workflow_execution(f"we-{i}", "bench", f"bench/deployment/d{i}")
            created = objects.create(api, ref, body)
            created["status"] = {"phase": "Pending"}
            objects.replace_status(api, ref.named(f"we-{i}"), created)
        return time.monotonic() - started, processes.cpu_seconds(pid) - cpu
    finally:
        backend.stop()


def one_run(audit: bool, workers: str) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds of the whole process tree, exit code of a full `wetest run`.

    CPU seconds come from RUSAGE_CHILDREN (every descendant that was waited for: the runner,
    pytest and its workers, the supervisor and the stack's processes); far less sensitive to
    other load on a shared machine than wall time.
    """
    out = Path(tempfile.mkdtemp(prefix=f"wetest-audit-{'on' if audit else 'off'}-"))
    env = dict(os.environ, WETEST_AUDIT_LOG="true" if audit else "false")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    code = subprocess.call(
        [*WETEST, "run", "-n", workers, "--results-dir", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, code


def verdict(name: str, on: list[float], off: list[float]) -> None:
    med_on, med_off = statistics.median(on), statistics.median(off)
    overhead = 100.0 * (med_on - med_off) / med_off
    spread = ", ".join(f"{x:.2f}" for x in on), ", ".join(f"{x:.2f}" for x in off)
    print(f"{name}: with audit log median {med_on:.2f}s [{spread[0]}]")
    print(f"{' ' * len(name)}  without       median {med_off:.2f}s [{spread[1]}]")
    met = "met" if overhead < TARGET else "missed"
    print(f"{' ' * len(name)}  overhead {overhead:+.1f}% (target < {TARGET:.0f}%: {met})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--starts", type=int, default=5, help="stack starts per side")
    parser.add_argument("--requests", type=int, default=400, help="audited writes (0: skip)")
    parser.add_argument("--loads", type=int, default=2, help="write loads per side")
    parser.add_argument("--runs", type=int, default=2, help="full runs per side (0: skip)")
    parser.add_argument("-n", default="6", help="pytest-xdist workers of the full run")
    args = parser.parse_args()
    os.environ["WETEST_QUIET"] = "1"
    base = settings.load({})
    print(f"{os.cpu_count()} CPUs; sides alternate, so shared-machine noise hits both")
    on: list[float] = []
    off: list[float] = []
    sizes: list[int] = []
    one_start(base)  # warm the page cache and the Tekton CRD cache for both sides
    if args.starts:
        for _ in range(args.starts):
            took, size = one_start(dataclasses.replace(base, audit_log=True))
            on.append(took)
            sizes.append(size)
            off.append(one_start(dataclasses.replace(base, audit_log=False))[0])
        verdict("stack start", on, off)
        print(f"  audit log after a start: {statistics.median(sizes) / 1024:.1f} KiB")
    if args.requests:
        load: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
        for _ in range(args.loads):
            for audit in (True, False):
                load[audit].append(
                    one_load(dataclasses.replace(base, audit_log=audit), args.requests)
                )
        verdict(f"{args.requests} writes, wall", *([w for w, _ in load[a]] for a in (True, False)))
        verdict(
            f"{args.requests} writes, kube-apiserver CPU",
            *([c for _, c in load[a]] for a in (True, False)),
        )
    if args.runs:
        runs: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
        for _ in range(args.runs):
            for audit in (True, False):
                wall, cpu, code = one_run(audit, args.n)
                runs[audit].append((wall, cpu))
                if code != 0:
                    print(f"  (a run with audit_log={audit} exited {code})")
        verdict(f"full run -n {args.n}, wall", *([w for w, _ in runs[a]] for a in (True, False)))
        verdict(
            f"full run -n {args.n}, CPU (all processes)",
            *([c for _, c in runs[a]] for a in (True, False)),
        )


if __name__ == "__main__":
    main()
