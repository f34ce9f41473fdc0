"""Faults through a fake supervisor channel: what each sends, when lasting ones end, where
a fault does not apply (no stack needed)."""

from __future__ import annotations

from typing import Any

import pytest

from wetest.faults.outages import FaultNotApplicable, Faults
from wetest.stack.endpoints import ControllerInfo, Endpoints


class Channel:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def __call__(self, line: str) -> dict[str, Any]:
        self.sent.append(line)
        return {"seconds": 1.5, "controller_pid": 42}


def stack(**pids: int) -> Endpoints:
    return Endpoints(pids=dict(pids), controller=ControllerInfo(pid=7))


def test_instant_faults_send_their_command_and_record_what_they_did() -> None:
    channel = Channel()
    endpoints = stack(**{"kube-apiserver": 1, "postgres": 2})
    faults = Faults(channel, lambda: endpoints)
    assert faults.apiserver_restart().detail == {"ready_after": 1.5}
    faults.postgres_restart()
    assert faults.controller_kill().detail == {"killed_pid": 7, "new_pid": 42}
    assert channel.sent == [
        "restart-component kube-apiserver",
        "restart-component postgres",
        "restart-controller",
    ]
    assert [f["kind"] for f in faults.restore()] == [
        "apiserver_restart",
        "postgres_restart",
        "controller_kill",
    ]


def test_a_lasting_fault_ends_at_restore_when_its_time_has_not_come() -> None:
    channel = Channel()
    faults = Faults(channel, lambda: stack(datastorage=3))
    outage = faults.datastorage_outage(seconds=600)
    assert channel.sent == ["stop-datastorage"]
    faults.restore()
    assert channel.sent == ["stop-datastorage", "start-datastorage"]
    assert outage.wait(timeout=1).ended
    faults.restore()  # idempotent: started once
    assert channel.sent.count("start-datastorage") == 1


def test_a_lasting_fault_ends_by_itself() -> None:
    channel = Channel()
    outage = Faults(channel, lambda: stack(datastorage=3)).datastorage_outage(seconds=0.05)
    outage.wait(timeout=10)
    assert channel.sent == ["stop-datastorage", "start-datastorage"]


@pytest.mark.parametrize(
    ("call", "needs"),
    [
        (lambda f: f.apiserver_restart(), "envtest backend"),
        (lambda f: f.postgres_restart(), "bundled local PostgreSQL"),
        (lambda f: f.datastorage_outage(seconds=1), "WETEST_DATASTORAGE_URL"),
        (lambda f: f.tekton_pause(seconds=1), "the Tekton stand-in"),
    ],
)
def test_a_fault_where_it_does_not_apply_says_where_it_does(call: Any, needs: str) -> None:
    faults = Faults(Channel(), lambda: Endpoints())
    with pytest.raises(FaultNotApplicable, match=needs):
        call(faults)


def test_killing_a_controller_wetest_did_not_start_is_not_applicable() -> None:
    faults = Faults(Channel(), lambda: Endpoints(controller=ControllerInfo(target="deployed")))
    with pytest.raises(FaultNotApplicable, match="deployed"):
        faults.controller_kill()
    with pytest.raises(FaultNotApplicable, match="not deployed"):
        faults.conflicts(0.3)
