"""API-server restarts on a real envtest control plane: the stack's own server, and a replica.

Restarting the stack's kube-apiserver (etcd kept) must leave the Tekton stand-in and the
reference controller working: both re-list and watch again. A replica
(``wetest.stack.replica``) serves the same cluster from its own port and audit log; restarting
it breaks only its clients, which is what lets the suite's API-server-restart test run beside
the others with a private controller on the replica.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kubehelp import create, eventually, get, get_pr, manifest, phase_of

from conftest import running_harness
from wetest.domain import naming
from wetest.faults.outages import Faults
from wetest.kube import clients, objects
from wetest.stack import processes
from wetest.supervision import replicas
from wetest.supervision.handle import StackHandle


def created(harness: dict[str, Any], label: str, scenario: str = "succeed") -> str:
    """A fresh WE on a target of its own, created through the harness's (main) API server."""
    target = f"default/deployment/{label}-{uuid.uuid4().hex[:6]}"
    return create(harness["api"], manifest(target, parameters={"WETEST_SCENARIO": scenario}))


def started(harness: dict[str, Any], name: str) -> None:
    """The stand-in has started the WE's PipelineRun: its finish is due from now on."""
    api = harness["api"]
    pr = naming.pipelinerun_name(str((get(api, name) or {})["spec"]["targetResource"]))
    eventually(
        lambda: get_pr(api, pr),
        lambda found: bool(((found or {}).get("status") or {}).get("startTime")),
        30.0,
        f"{pr} started",
    )


def completes(harness: dict[str, Any], name: str) -> None:
    api = harness["api"]
    eventually(lambda: phase_of(api, name), lambda p: p == "Completed", 30.0, f"{name} Completed")


def across_a_restart(harness: dict[str, Any], restart: Callable[[], object]) -> None:
    """A WE whose PipelineRun finishes during the restart, and one created after it, complete.

    The first one's finish (1 s after its start) falls into the outage: the stand-in must
    retry it, and the controller must see it after it watches again (issue 16's finding).
    """
    before = created(harness, "before", "succeed after=1s")
    started(harness, before)
    restart()
    after = created(harness, "after")
    completes(harness, before)
    completes(harness, after)


@contextlib.contextmanager
def harness_on(kubeconfig: str, controller_kubeconfig: str = "") -> Iterator[dict[str, Any]]:
    yield from running_harness(kubeconfig, controller_kubeconfig=controller_kubeconfig)


def test_the_stand_in_and_the_controller_resume_after_the_api_server_restarts(
    reference_stack: StackHandle,
) -> None:
    faults = Faults(reference_stack.command, reference_stack.refresh)
    before = reference_stack.endpoints.pids["kube-apiserver"]
    with harness_on(reference_stack.endpoints.kubeconfig) as harness:
        across_a_restart(harness, faults.apiserver_restart)
    assert reference_stack.endpoints.pids["kube-apiserver"] != before
    assert [f.kind for f in faults.injected] == ["apiserver_restart"]


def test_a_replica_serves_the_same_cluster_and_its_restart_is_its_own_controllers_fault(
    reference_stack: StackHandle,
) -> None:
    main_pid = reference_stack.endpoints.pids["kube-apiserver"]
    info = replicas.start(reference_stack, "t1")
    faults = Faults(
        reference_stack.command, reference_stack.refresh, apiserver=replicas.component("t1")
    )
    try:
        assert info.url
        assert info.url != reference_stack.endpoints.apiserver
        assert processes.pid_alive(info.pid)
        assert {"controller", "harness"} <= set(info.kubeconfigs)
        assert reference_stack.endpoints.replicas["t1"] == info
        assert reference_stack.endpoints.pids[replicas.component("t1")] == info.pid
        assert replicas.start(reference_stack, "t1") == info  # already running: the same one

        name = f"t-replica-{uuid.uuid4().hex[:6]}"
        through_replica = clients.api_client(info.kubeconfigs["harness"])
        ref = objects.ObjectRef.core("namespaces", name=name)
        objects.create(through_replica, ref, {"metadata": {"name": name}})
        main = clients.api_client(reference_stack.endpoints.kubeconfig)
        assert objects.get_or_none(main, ref) is not None  # one etcd, one cluster
        logged = [json.loads(line) for line in Path(info.audit_log).read_text().splitlines()]
        assert any(e["objectRef"].get("name") == name and e["verb"] == "create" for e in logged)
        objects.delete(main, ref, missing_ok=True)

        # the controller talks to the replica, the stand-in and the harness to the main server
        kubeconfig = reference_stack.endpoints.kubeconfig
        with harness_on(kubeconfig, info.kubeconfigs["controller"]) as harness:
            across_a_restart(harness, faults.apiserver_restart)
        assert faults.injected[0].detail["server"] == replicas.component("t1")
        restarted = reference_stack.endpoints.replicas["t1"]
        assert restarted.pid not in (0, info.pid)
        assert restarted.url == info.url
        assert restarted.kubeconfigs == info.kubeconfigs
        assert reference_stack.endpoints.pids["kube-apiserver"] == main_pid
    finally:
        stopped = replicas.stop(reference_stack, "t1")
    assert stopped.pid == 0
    assert stopped.audit_log == info.audit_log
    assert not processes.pid_alive(restarted.pid)
    assert replicas.component("t1") not in reference_stack.endpoints.pids
