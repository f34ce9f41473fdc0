"""`wetest up/status/down` as a user runs them: real processes, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from wetest.stack import processes
from wetest.supervision import handle


def wetest(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wetest", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def test_up_json_status_and_down_leave_no_process(tmp_path: Path) -> None:
    env = dict(os.environ, WETEST_STATE_DIR=str(tmp_path / "state"))
    up = wetest("up", "--json", "--components", "cluster", env=env)
    assert up.returncode == 0, up.stderr
    endpoints = json.loads(up.stdout)
    assert set(endpoints) >= {"kubeconfig", "apiserver", "etcd"}
    assert Path(endpoints["kubeconfig"]).is_file()
    pids = list(endpoints["pids"].values())
    assert len(pids) == 3
    status = wetest("status", "--json", env=env)
    assert json.loads(status.stdout)["status"] == "ready"
    again = wetest("up", "--json", "--components", "cluster", env=env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["pids"] == endpoints["pids"]  # attached, not started
    assert "already running" in again.stderr
    # the library call `wetest up` and the plugin share: it attaches to the same supervisor
    attached = handle.ensure(tmp_path / "state")
    assert not attached.started
    assert attached.endpoints.pids == endpoints["pids"]
    assert handle.attach(tmp_path / "state").supervisor_pid == attached.supervisor_pid
    # `wetest up`'s cluster outlives every run: tests must delete their namespaces there
    assert attached.owner_pid == 0
    assert not attached.discarded_with_run
    down = wetest("down", env=env)
    assert down.returncode == 0, down.stderr
    assert not [p for p in pids if processes.pid_alive(p)]
    assert wetest("status", env=env).returncode == 1


def test_missing_binaries_exit_3_fast_naming_the_binary_and_the_fix(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TEST_ASSET_") and k != "KUBEBUILDER_ASSETS"
    }
    env.update(
        WETEST_ASSETS_DIR=str(tmp_path),
        WETEST_NO_CACHE="1",
        WETEST_STATE_DIR=str(tmp_path / "state"),
    )
    started = time.monotonic()
    result = wetest("up", env=env)
    assert time.monotonic() - started < 15  # fails before any build or start is tried
    assert result.returncode == 3
    assert "kube-apiserver" in result.stderr
    assert "wetest assets install" in result.stderr


def test_invalid_configuration_exits_2_with_the_source(tmp_path: Path) -> None:
    env = dict(os.environ, WETEST_BACKEND="dockr", WETEST_STATE_DIR=str(tmp_path))
    result = wetest("up", env=env)
    assert result.returncode == 2
    assert "'dockr' is not a valid backend (from env WETEST_BACKEND)" in result.stderr


def test_config_prints_each_value_with_its_source(tmp_path: Path) -> None:
    env = dict(os.environ, WETEST_TIMEOUT_SCALE="3")
    out = json.loads(wetest("config", "--json", env=env).stdout)
    assert out["timeout_scale"] == {"value": "3", "source": "env WETEST_TIMEOUT_SCALE"}
    assert out["backend"]["source"] == "default"


def test_doctor_lists_every_dependency_as_json() -> None:
    out = json.loads(wetest("doctor", "--json").stdout)
    names = {c["name"] for c in out["checks"]}
    assert names == {
        "etcd",
        "kube-apiserver",
        "kube-controller-manager",
        "tekton controller",
        "tekton webhook",
        "tekton resolvers",
        "tekton registry",
        "kwok",
        "go",
        "kind",
        "docker",
        "kubectl",
        "postgres",
    }
    assert all(c["looked"] for c in out["checks"])
