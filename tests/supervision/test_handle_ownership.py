"""Whether a stack dies with its run (StackHandle.discarded_with_run), which decides whether
each test's namespace is deleted (``we_namespace``): on a discarded cluster that is pure cost."""

from __future__ import annotations

from pathlib import Path

import pytest

from wetest.stack import state
from wetest.stack.endpoints import Endpoints
from wetest.supervision.handle import StackHandle, attach


@pytest.mark.parametrize(
    ("backend", "owner_pid", "discarded"),
    [
        ("envtest", 4242, True),  # `wetest run` or pytest started it: it stops with them
        ("envtest", 0, False),  # `wetest up`: lives until `wetest down`, across runs
        ("kind", 4242, False),  # a kind cluster may be reused (kind_reuse) or be the user's
    ],
)
def test_only_an_owned_envtest_stack_is_discarded_with_the_run(
    backend: str, owner_pid: int, discarded: bool
) -> None:
    handle = StackHandle(Endpoints(backend=backend), Path("/nonexistent"), 1, owner_pid=owner_pid)
    assert handle.discarded_with_run is discarded


def test_the_owner_recorded_by_the_supervisor_reaches_the_handle(tmp_path: Path) -> None:
    record = state.StackState(
        status="ready", supervisor_pid=1, owner_pid=4242, endpoints=Endpoints(backend="envtest")
    )
    state.write(tmp_path, record)
    handle = attach(tmp_path)  # supervisor_pid 1 is alive: init
    assert handle.owner_pid == 4242
    assert handle.discarded_with_run
