"""200 WorkflowExecutions to Completed through the reference controller and the stand-in.

Prints wall time and API writes per WE (target ≤ 4 WE/PR writes besides the PipelineRun create:
finalizer, Running, terminal, lock release). Starts its own envtest stack with
``wetest up --json --components cluster`` and stops it with ``wetest down``.

    .venv/bin/python bench/controller_throughput.py [--count 200] [--workers 4]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kubernetes import client

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reference"))
from loopback_ds import LoopbackDataStorage

from wetest.kube import clients
from wetest.reference.controller import options
from wetest.reference.controller.manager import Manager
from wetest.stack.tekton.driver import Driver

WETEST = str(Path(sys.executable).parent / "wetest")


def body(i: int) -> dict[str, object]:
    return {
        "apiVersion": "kubernaut.ai/v1alpha1",
        "kind": "WorkflowExecution",
        "metadata": {"name": f"bench-{i:04d}", "namespace": "default"},
        "spec": {
            "remediationRequestRef": {"kind": "RemediationRequest", "name": f"rr-{i}"},
            "workflowRef": {
                "workflowId": "bench",
                "version": "v1",
                "containerImage": "ghcr.io/kubernaut/workflows/b@sha256:1",
            },
            "targetResource": f"default/deployment/bench-{i:04d}",
        },
    }


def run(kubeconfig: str, count: int, workers: int) -> None:
    ds = LoopbackDataStorage().start()
    driver = Driver(clients.api_client(kubeconfig), 0.5).start()
    opts = options.parse(
        [
            "--kubeconfig",
            kubeconfig,
            "--cooldown",
            "0s",
            "--workers",
            str(workers),
            "--datastorage-url",
            ds.url,
            "--metrics-bind-address",
            "127.0.0.1:0",
            "--health-probe-bind-address",
            "127.0.0.1:0",
            "--spool-dir",
            tempfile.mkdtemp(),
        ],
        env={},
    )
    manager = Manager(opts, clients.api_client(kubeconfig)).start()
    custom = client.CustomObjectsApi(clients.api_client(kubeconfig))
    started = time.monotonic()
    for i in range(count):
        custom.create_namespaced_custom_object(
            "kubernaut.ai", "v1alpha1", "default", "workflowexecutions", body(i)
        )
    while True:
        items = custom.list_namespaced_custom_object(
            "kubernaut.ai", "v1alpha1", "default", "workflowexecutions"
        )["items"]
        done = sum((i.get("status") or {}).get("phase") == "Completed" for i in items)
        if done == count:
            break
        time.sleep(0.2)
    wall = time.monotonic() - started
    deadline = time.monotonic() + 30
    while manager.kube.writes["pipelineruns/delete"] < count and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    writes = dict(manager.kube.writes)
    manager.stop()
    driver.stop()
    ds.stop()
    committed = {k: v for k, v in writes.items() if not k.endswith(":conflict")}
    conflicts = sum(v for k, v in writes.items() if k.endswith(":conflict"))
    we_writes = sum(v for k, v in committed.items() if k != "pipelineruns/create")
    print(
        f"{count} WorkflowExecutions to Completed in {wall:.1f}s "
        f"({count / wall:.1f} WE/s, {workers} workers)"
    )
    print(f"API writes by kind: {json.dumps(writes, sort_keys=True)}")
    print(
        f"committed API writes per WE (excluding the PipelineRun create): {we_writes / count:.2f}"
    )
    print(f"API writes per WE (all committed): {sum(committed.values()) / count:.2f}")
    print(f"409 conflicts (attempts that did not commit): {conflicts} ({conflicts / count:.2f}/WE)")
    print(f"audit events stored: {len(ds.events)} (expected {2 * count})")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    out = subprocess.run(
        [WETEST, "up", "--json", "--components", "cluster"],
        check=True,
        capture_output=True,
        text=True,
    )
    try:
        run(json.loads(out.stdout)["kubeconfig"], args.count, args.workers)
    finally:
        subprocess.run([WETEST, "down"], check=False, capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
