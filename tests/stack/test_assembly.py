"""The assembled Stack: DataStorage beside the cluster, the write warm-up, one stop for all."""

from __future__ import annotations

from pathlib import Path

import httpx

from wetest.config import settings
from wetest.kube import clients, objects
from wetest.stack import assembly, processes


def test_datastorage_beside_the_cluster_outlives_the_start_warm_up_persists_nothing_all_stop(
    tmp_path: Path,
) -> None:
    # PR_SET_PDEATHSIG fires when the *thread* that forked a child ends: a start thread that
    # simply returned would take PostgreSQL and DataStorage down with it.
    stack = assembly.Stack(settings.load({"state_dir": str(tmp_path)}))
    endpoints = stack.start()
    try:
        stack.ready()
        # the write warm-up (dry-run creates) leaves no PipelineRun or TaskRun behind
        api = clients.api_client(endpoints.kubeconfig)
        for plural in ("pipelineruns", "taskruns"):
            ref = objects.ObjectRef("tekton.dev", "v1", plural, endpoints.execution_namespace)
            assert objects.list_objects(api, ref)["items"] == []
        pids = dict(endpoints.pids)
        assert {"postgres", "datastorage", "etcd", "kube-apiserver", "tekton-stand-in"} <= set(pids)
        assert httpx.get(f"{endpoints.datastorage}/health", timeout=5).status_code == 200
        assert {name for name, pid in pids.items() if not processes.pid_alive(pid)} == set()
    finally:
        stack.stop()
    assert {name for name, pid in pids.items() if processes.pid_alive(pid)} == set()
