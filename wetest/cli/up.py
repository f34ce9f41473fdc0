"""`wetest up`: start the stack in the background and print its endpoints.

Checks what it can in-process first (binaries, ports, configuration) so that a missing
dependency fails in well under a second; then spawns the supervisor and waits until it
reports ready or failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from wetest import progress
from wetest.cli import common, preflight
from wetest.errors import StartupFailed, WetestError
from wetest.stack import processes, state

READY_TIMEOUT = 180.0


def add_parser(
    subs: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    sub = subs.add_parser("up", help="Start the stack in the background")
    sub.add_argument("--json", action="store_true", help="Print the endpoints as JSON")
    sub.add_argument(
        "--components",
        default="",
        help="Comma-separated subset of cluster,tekton,datastorage,controller",
    )
    return sub


def run(args: argparse.Namespace) -> int:
    s = common.load(args)
    existing = state.read(s.state_dir)
    if existing and existing.status == "ready" and processes.pid_alive(existing.supervisor_pid):
        progress.say(f"a stack is already running (state in {s.state_dir}); reusing it")
        return _print(existing, args.json)
    preflight.check(s)
    state.clear(s.state_dir)
    proc = _spawn(args)
    record = _wait(s.state_dir, proc)
    return _print(record, args.json)


def _spawn(args: argparse.Namespace) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        WETEST_SUPERVISOR_OPTIONS=json.dumps(common.options_of(args)),
        WETEST_SUPERVISOR_COMPONENTS=args.components,
    )
    s = common.load(args)
    s.state_dir.mkdir(parents=True, exist_ok=True)
    log = (s.state_dir / "supervisor.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "wetest.cli.supervisor"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )


def _wait(state_dir: os.PathLike[str], proc: subprocess.Popen[bytes]) -> state.StackState:
    deadline = time.monotonic() + READY_TIMEOUT
    from pathlib import Path

    folder = Path(state_dir)
    while time.monotonic() < deadline:
        record = state.read(folder)
        if record and record.status == "failed":
            raise _error(record)
        if record and record.status == "ready":
            return record
        if proc.poll() is not None and (record is None or record.status != "ready"):
            raise StartupFailed(
                f"The stack supervisor exited with code {proc.returncode}. "
                f"Log tail:\n{processes.tail(folder / 'supervisor.log')}\n"
                "Fix the cause above, then run: wetest up"
            )
        time.sleep(0.05)
    processes.stop_pid(proc.pid)
    raise StartupFailed(
        f"The stack did not become ready within {READY_TIMEOUT:.0f}s. Run: wetest doctor"
    )


def _error(record: state.StackState) -> WetestError:
    err = WetestError(record.error)
    err.exit_code = record.exit_code or 3
    return err


def _print(record: state.StackState, as_json: bool) -> int:
    ep = record.endpoints
    if as_json:
        print(ep.to_json())
    else:
        print(f"kubeconfig: {ep.kubeconfig}\napiserver:  {ep.apiserver}\netcd:       {ep.etcd}")
        if ep.datastorage:
            print(f"datastorage: {ep.datastorage}")
        if ep.controller:
            print(f"controller: pid {ep.controller.pid} ({ep.controller.target})")
        print(f"export KUBECONFIG={ep.kubeconfig}")
    return 0
