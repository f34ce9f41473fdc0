"""Session stack for the reference tests, stopped here.

envtest comes through the library's ``ensure`` (what ``wetest up`` calls), in this session's
own state folder and owned by this process: parallel sessions never share (or stop) one stack,
and a killed session leaves none behind. Per module: the Tekton stand-in, a loopback
DataStorage and the reference controller in-process.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from loopback_ds import LoopbackDataStorage

if TYPE_CHECKING:
    from wetest.supervision.handle import StackHandle


@pytest.fixture(scope="session")
def reference_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    from wetest.supervision import handle

    stack = handle.ensure(
        tmp_path_factory.mktemp("stack"),
        components="cluster",
        owner_pid=os.getpid(),
        remove_when_orphaned=True,
    )
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def kubeconfig(reference_stack: StackHandle) -> str:
    return reference_stack.endpoints.kubeconfig


@pytest.fixture(scope="module")
def harness(kubeconfig: str) -> Iterator[dict[str, Any]]:
    yield from running_harness(kubeconfig)


def running_harness(
    kubeconfig: str,
    hook: Callable[[Any], None] | None = None,
    controller_kubeconfig: str = "",
    flags: Sequence[str] = (),
) -> Iterator[dict[str, Any]]:
    """Stand-in, loopback DataStorage and controller; ``hook(manager)`` runs before start.

    ``controller_kubeconfig``: the controller's own (an API-server replica's), else kubeconfig.
    ``flags``: more controller flags (``--variant NAME``).
    """
    from wetest.kube import clients
    from wetest.reference.controller import options
    from wetest.reference.controller.manager import Manager
    from wetest.stack.tekton.driver import Driver

    ds = LoopbackDataStorage().start()
    driver = Driver(clients.api_client(kubeconfig), 0.3).start()
    opts = options.parse(
        [
            "--kubeconfig",
            controller_kubeconfig or kubeconfig,
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
            *flags,
        ],
        env={},
    )
    manager = Manager(opts, clients.api_client(controller_kubeconfig or kubeconfig))
    if hook:
        hook(manager)
    try:
        manager.start()
        yield {"manager": manager, "ds": ds, "api": clients.api_client(kubeconfig)}
    finally:
        manager.stop()
        driver.stop()
        ds.stop()
