"""The supervisor reaps a component that died on its own, reports it, and restarts it on request.

No cluster: the Stack's Tekton stand-in slot holds a plain ``sleep`` process, which is all the
reaping and ``restart-component`` logic touches.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from wetest.config import settings
from wetest.errors import ConfigError
from wetest.stack import processes
from wetest.supervision.lifecycle import Running


@pytest.fixture
def running(tmp_path: Path):
    run = Running(settings.load({"state_dir": str(tmp_path)}), components=("tekton",))
    proc = processes.ManagedProcess(
        "tekton-stand-in", ["sleep", "60"], tmp_path / "stand-in.log"
    ).start()
    run.stack._tekton_proc = proc
    run.stack.endpoints.pids[proc.name] = proc.pid
    yield run
    proc.stop(timeout=1)


def zombie(pid: int) -> bool:
    try:
        return processes.stat_fields(pid)[0] == "Z"
    except OSError:
        return False  # reaped: gone entirely


def test_a_killed_component_is_reaped_and_reported_once(running: Running) -> None:
    pid = running.stack.endpoints.pids["tekton-stand-in"]
    os.kill(pid, signal.SIGKILL)
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)  # dead, not yet reaped

    assert running.reap() == {"tekton-stand-in": -signal.SIGKILL}
    assert not zombie(pid)
    assert running.reap() == {}  # reported once
    assert running.exited == {"tekton-stand-in": -signal.SIGKILL}


def test_restart_component_brings_it_back_with_the_same_command_line(running: Running) -> None:
    proc = running.stack.process("tekton-stand-in")
    assert proc is not None
    old_pid, argv = proc.pid, list(proc.argv)
    os.kill(old_pid, signal.SIGKILL)
    running.reap()

    result = running.command("restart-component tekton-stand-in")

    new_pid = running.stack.endpoints.pids["tekton-stand-in"]
    assert new_pid not in (0, old_pid)
    assert proc.alive()
    assert list(proc.argv) == argv
    assert running.exited == {}
    assert running.reap() == {}
    assert "seconds" in result


def test_a_component_stopped_by_a_command_is_not_reported_as_dead(running: Running) -> None:
    running.down_on_request.add("tekton-stand-in")
    proc = running.stack.process("tekton-stand-in")
    assert proc is not None
    proc.stop(timeout=1)
    assert running.reap() == {}


def test_an_unknown_component_names_the_valid_ones(running: Running) -> None:
    with pytest.raises(ConfigError, match=r"no stack component 'etcdd'.*Valid: .*tekton-stand-in"):
        running.command("restart-component etcdd")


def test_a_component_a_running_command_acts_on_is_left_for_the_next_round(
    running: Running,
) -> None:
    """A main stack's command may be between a stop and a start: its dead child is no death."""
    pid = running.stack.endpoints.pids["tekton-stand-in"]
    os.kill(pid, signal.SIGKILL)
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)

    assert running.reap(frozenset({"main"})) == {}
    assert running.reap(frozenset({"replica iso-3"})) == {}
    assert running.reap(frozenset({"slot 2"})) == {"tekton-stand-in": -signal.SIGKILL}
