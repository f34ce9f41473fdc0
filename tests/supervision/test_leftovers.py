"""Issue 16's invariant at the end of a run: no process the stack recorded outlives its stop.

No cluster: the "supervisor" and the "components" are plain ``sleep`` processes recorded in a
state folder as a real supervisor records its stack. The supervisor's stop ends only its own
process, so the components it should have stopped are left: the check names them, kills them,
and the run's run.json and triage report say so.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from wetest.report import build, results
from wetest.report.triage import summary
from wetest.stack import processes, state
from wetest.stack.endpoints import ControllerInfo, Endpoints
from wetest.supervision import leftovers


@pytest.fixture
def sleeps(tmp_path: Path) -> Iterator[list[processes.ManagedProcess]]:
    started = [
        processes.ManagedProcess(name, ["sleep", "60"], tmp_path / f"{name}.log").start()
        for name in ("supervisor", "etcd", "controller")
    ]
    yield started
    for proc in started:
        proc.stop(timeout=1)


def recorded_stack(state_dir: Path, pids: dict[str, int], controller: int = 0) -> None:
    info = ControllerInfo(pid=controller) if controller else None
    record = state.StackState(
        status="ready",
        supervisor_pid=pids.pop("supervisor"),
        endpoints=Endpoints(pids=pids, controller=info),
    )
    state.write(state_dir, record)


def test_processes_alive_after_the_supervisor_are_named_and_killed(
    tmp_path: Path, sleeps: list[processes.ManagedProcess]
) -> None:
    supervisor, etcd, controller = sleeps
    gone = processes.ManagedProcess("postgres", ["true"], tmp_path / "pg.log").start()
    gone.stop(timeout=5)  # stopped cleanly: recorded, but not a leftover
    recorded_stack(
        tmp_path,
        {"supervisor": supervisor.pid, "etcd": etcd.pid, "postgres": gone.pid},
        controller=controller.pid,
    )

    left = leftovers.stop(tmp_path, timeout=5)

    assert sorted(left, key=lambda x: x.name) == [
        leftovers.Leftover("controller", controller.pid),
        leftovers.Leftover("etcd", etcd.pid),
    ]
    assert not any(processes.pid_alive(p.pid) for p in sleeps), "a leftover was not killed"
    assert state.read(tmp_path) is None


def test_a_clean_stop_has_no_leftover(
    tmp_path: Path, sleeps: list[processes.ManagedProcess]
) -> None:
    recorded_stack(tmp_path, {"supervisor": sleeps[0].pid})
    assert leftovers.stop(tmp_path, timeout=5) == []
    assert leftovers.stop(tmp_path) == [], "a stack already stopped has nothing left"


def test_leftovers_reach_run_json_and_the_triage_report(tmp_path: Path) -> None:
    assert not leftovers.record(tmp_path, []), "no run.json: nothing to add to"
    (tmp_path / "run.json").write_text(json.dumps({"target": {"name": "bundled"}}))
    (tmp_path / "results.jsonl").write_text("")

    left = [leftovers.Leftover("kube-apiserver", 4242)]
    assert leftovers.record(tmp_path, left)
    build.build(tmp_path)

    raw = json.loads((tmp_path / "run.json").read_text())
    assert raw[leftovers.KEY] == [{"name": "kube-apiserver", "pid": 4242}]
    assert raw["target"] == {"name": "bundled"}, "the rest of run.json is kept"
    run = results.read(tmp_path)
    assert "kube-apiserver (pid 4242)" in summary(run, [])["Stack processes left"]
    assert "kube-apiserver (pid 4242)" in (tmp_path / "triage.md").read_text()
    assert leftovers.describe(left).endswith("handling of SIGTERM).")
