"""Session stack for the reference tests: envtest via ``wetest up --json`` (the lead's CLI),
plus, per module, the Tekton stand-in, a loopback DataStorage and the reference controller
in-process. Everything started here is stopped here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from loopback_ds import LoopbackDataStorage

WETEST = str(Path(sys.executable).parent / "wetest")


@pytest.fixture(scope="session")
def kubeconfig() -> Iterator[str]:
    out = subprocess.run(
        [WETEST, "up", "--json", "--components", "cluster"],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        yield str(json.loads(out.stdout)["kubeconfig"])
    finally:
        subprocess.run([WETEST, "down"], check=False, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def harness(kubeconfig: str) -> Iterator[dict[str, Any]]:
    yield from running_harness(kubeconfig)


def running_harness(
    kubeconfig: str, hook: Callable[[Any], None] | None = None
) -> Iterator[dict[str, Any]]:
    """Stand-in, loopback DataStorage and controller; ``hook(manager)`` runs before start."""
    from wetest.kube import clients
    from wetest.reference.controller import options
    from wetest.reference.controller.manager import Manager
    from wetest.stack.tekton.driver import Driver

    ds = LoopbackDataStorage().start()
    driver = Driver(clients.api_client(kubeconfig), 0.3).start()
    opts = options.parse(
        [
            "--kubeconfig",
            kubeconfig,
            "--cooldown",
            "2s",
            "--datastorage-url",
            ds.url,
            "--metrics-bind-address",
            "127.0.0.1:0",
            "--health-probe-bind-address",
            "127.0.0.1:0",
            "--spool-dir",
            tempfile.mkdtemp(prefix="we-spool-"),
        ],
        env={},
    )
    manager = Manager(opts, clients.api_client(kubeconfig))
    if hook:
        hook(manager)
    try:
        manager.start()
        yield {"manager": manager, "ds": ds, "api": clients.api_client(kubeconfig)}
    finally:
        manager.stop()
        driver.stop()
        ds.stop()
