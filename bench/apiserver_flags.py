"""kube-apiserver start (to /readyz) with each candidate flag set, alternating, from the etcd
template (the CRDs stored), so only the API server's own start differs.

Issue 18 asks for the flags that switch off what the suites never use, measured each. A variant
is worth shipping only if its median beats the baseline by more than the spread between runs.

    .venv/bin/python bench/apiserver_flags.py [-n 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from wetest.config import settings
from wetest.stack import apiserver, etcd, processes, scratch
from wetest.stack.backends import envtest

GROUPS = (
    "api/all=false,api/v1=true,apiextensions.k8s.io/v1=true,"
    "admissionregistration.k8s.io/v1=true,authentication.k8s.io/v1=true,"
    "authorization.k8s.io/v1=true,coordination.k8s.io/v1=true,events.k8s.io/v1=true,"
    "rbac.authorization.k8s.io/v1=true,networking.k8s.io/v1=true,discovery.k8s.io/v1=true,"
    "scheduling.k8s.io/v1=true,apps/v1=true,apiregistration.k8s.io/v1=true,"
    "storage.k8s.io/v1=true,node.k8s.io/v1=true"
)
VARIANTS: dict[str, list[str]] = {
    "baseline": [],
    "only the API groups wetest and Tekton use": [f"--runtime-config={GROUPS}"],
    "no watch cache": ["--watch-cache=false"],
    "GOGC=100 (Go's default; wetest sets 400)": [],
}
ENVIRONMENT: dict[str, dict[str, str]] = {
    "GOGC=100 (Go's default; wetest sets 400)": {"GOGC": "100"}
}


def one(
    binaries: dict[str, Path], template: Path, extra: list[str], environment: dict[str, str]
) -> tuple[float, float]:
    """Seconds and kube-apiserver CPU seconds to /readyz."""
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)  # inherited by the server only: restored below
    work = scratch.make("wetest-flags-")
    procs: list[processes.ManagedProcess] = []
    try:
        etcd.seed(work, template)
        store, url = etcd.start(binaries["etcd"], work)
        procs.append(store)
        started = time.monotonic()
        api, _, _ = apiserver.start(binaries["kube-apiserver"], work, url, audit=False, extra=extra)
        took = time.monotonic() - started
        procs.append(api)
        return took, processes.cpu_seconds(api.pid)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        processes.stop_all(procs[::-1])
        scratch.remove(work)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=5)
    runs = parser.parse_args().n
    os.environ["WETEST_QUIET"] = "1"
    backend = envtest.create(settings.load({}))
    binaries = {b: backend.binary(b) for b in ("etcd", "kube-apiserver")}
    template = backend.template({**binaries}, backend.crd_documents())
    if template is None or not template.is_dir():
        raise SystemExit("No etcd template yet: run bench/stack_start.py -n 1 first.")
    took: dict[str, list[float]] = {name: [] for name in VARIANTS}
    cpu: dict[str, list[float]] = {name: [] for name in VARIANTS}
    load = os.getloadavg()[0]
    for _ in range(runs):
        for name, extra in VARIANTS.items():
            seconds, cpu_s = one(binaries, template, extra, ENVIRONMENT.get(name, {}))
            took[name].append(seconds)
            cpu[name].append(cpu_s)
    print(f"kube-apiserver start to /readyz, {runs} runs alternating, load average {load:.1f}:")
    base = statistics.median(took["baseline"])
    base_cpu = statistics.median(cpu["baseline"])
    for name, values in took.items():
        median, median_cpu = statistics.median(values), statistics.median(cpu[name])
        print(
            f"  {name:45} median {median:5.2f}s  (min {min(values):.2f}, max {max(values):.2f})"
            f"  {100 * (median - base) / base:+5.1f} %   CPU {median_cpu:5.2f}s"
            f"  {100 * (median_cpu - base_cpu) / base_cpu:+5.1f} %"
        )


if __name__ == "__main__":
    main()
