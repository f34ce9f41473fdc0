"""Spawn the supervisor detached, wait for ready/failed, stop it by pid: `up` and the plugin.

The supervisor runs in its own session (so Ctrl-C in a terminal reaches it only through us)
and watches an owner pid: when the owner (the `pytest` controller process) disappears, even by
SIGKILL, the supervisor stops the stack by itself. Its children die with it (PDEATHSIG).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from wetest.config import settings
from wetest.errors import StartupFailed, WetestError
from wetest.stack import processes, state

READY_TIMEOUT = 180.0


def spawn(
    state_dir: Path,
    options: dict[str, object | None],
    components: str = "",
    owner_pid: int = 0,
    remove_when_orphaned: bool = False,
) -> subprocess.Popen[bytes]:
    """Start `python -m wetest.supervision.supervisor` detached, logging into state_dir.

    ``remove_when_orphaned``: the state folder is a temporary one of the owner's (pytest's
    shared folder), so the supervisor deletes it if the owner dies without cleaning up.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    cache_dir = settings.load(dict(options)).cache_dir
    env = dict(
        processes.python_environment(cache_dir),  # inherited by its controllers, DataStorages
        WETEST_STATE_DIR=str(state_dir),
        WETEST_SUPERVISOR_OPTIONS=json.dumps({**options, "state_dir": str(state_dir)}),
        WETEST_SUPERVISOR_COMPONENTS=components,
        WETEST_SUPERVISOR_OWNER_PID=str(owner_pid),
        WETEST_SUPERVISOR_REMOVE_STATE="1" if remove_when_orphaned else "0",
    )
    with (state_dir / "supervisor.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "wetest.supervision.supervisor"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )


def wait_ready(
    state_dir: Path, proc: subprocess.Popen[bytes] | None, timeout: float = READY_TIMEOUT
) -> state.StackState:
    """Wait until the state file says ready; raise the supervisor's own error on failure."""
    return _wait(state_dir, proc, timeout, "The stack did not become ready", until_ready=True)


def wait_recorded(
    state_dir: Path, proc: subprocess.Popen[bytes], timeout: float = 10.0
) -> state.StackState:
    """Wait until the supervisor has written its state file (first thing it does).

    From then on others can attach to the folder and wait for ready, or read the failure,
    themselves (`wetest run` starts pytest at this point, so the stack and pytest's workers
    start side by side, and a failed start reaches pytest's report).
    """
    what = "The stack supervisor did not record its state"
    return _wait(state_dir, proc, timeout, what, until_ready=False)


def _wait(
    state_dir: Path,
    proc: subprocess.Popen[bytes] | None,
    timeout: float,
    what: str,
    *,
    until_ready: bool,
) -> state.StackState:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = state.read(state_dir)
        if record and not until_ready:
            return record
        if record and record.status == "failed":
            raise _error(record)
        if record and record.status == "ready":
            return record
        if proc is not None and proc.poll() is not None:
            raise StartupFailed(
                f"The stack supervisor exited with code {proc.returncode}. "
                f"Log tail:\n{processes.tail(state_dir / 'supervisor.log')}\n"
                "Fix the cause above, then run: wetest doctor"
            )
        time.sleep(0.05)  # the poll interval of this helper: the state is a file
    if proc is not None:
        processes.stop_pid(proc.pid)
    raise StartupFailed(
        f"{what} within {timeout:.0f}s. See {state_dir / 'supervisor.log'}, then run: wetest doctor"
    )


def _error(record: state.StackState) -> WetestError:
    from wetest import errors

    cls = errors.DependencyMissing if record.exit_code == 3 else errors.StartupFailed
    err: WetestError = cls.__new__(cls)
    Exception.__init__(err, record.error)
    err.exit_code = record.exit_code or 3
    return err


def stop(state_dir: Path, timeout: float = 30.0) -> list[int]:
    """Stop the supervisor recorded in state_dir and any recorded child still alive."""
    record = state.read(state_dir)
    if record is None:
        return []
    processes.stop_pid(record.supervisor_pid, timeout=timeout)
    stopped = [record.supervisor_pid]
    pids = list(record.endpoints.pids.values())
    if record.endpoints.controller:
        pids.append(record.endpoints.controller.pid)
    for pid in pids:
        if pid and processes.pid_alive(pid):
            processes.stop_pid(pid)
            stopped.append(pid)
    state.clear(state_dir)
    return stopped
