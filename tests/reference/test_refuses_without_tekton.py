"""WE-RUN-001: the controller refuses to start when tekton.dev/v1 pipelineruns is not served."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from wetest import bundled
from wetest.config import settings
from wetest.kube import applying
from wetest.stack.backends import envtest
from wetest.stack.endpoints import Endpoints


class WithoutTekton(envtest.EnvtestBackend):
    """The envtest control plane with the WorkflowExecution CRD only."""

    def crd_documents(self) -> list[dict[str, object]]:
        return applying.load_documents(sorted(bundled.crd_dir().glob("*.yaml")))


@pytest.fixture(scope="module")
def bare_cluster() -> Iterator[Endpoints]:
    backend = WithoutTekton(settings.load({}))
    yield backend.start()
    backend.stop()


def test_controller_exits_non_zero_naming_tekton(bare_cluster: Endpoints, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "wetest.reference.controller",
            "--kubeconfig",
            bare_cluster.kubeconfig,
            "--datastorage-url",
            "http://127.0.0.1:9",
            "--metrics-bind-address",
            "127.0.0.1:0",
            "--health-probe-bind-address",
            "127.0.0.1:0",
            "--spool-dir",
            str(tmp_path / "spool"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "tekton.dev/v1" in result.stdout + result.stderr
    assert "pipelineruns" in result.stdout + result.stderr
