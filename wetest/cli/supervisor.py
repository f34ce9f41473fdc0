"""The background process behind `wetest up`: owns the stack until `wetest down`.

It resolves the same settings as the `wetest up` that spawned it (options arrive as JSON in
``WETEST_SUPERVISOR_OPTIONS``), starts the stack (and the controller target), records the
endpoints in the state file, then sleeps until SIGTERM/SIGINT and stops everything. Its
children die with it (PR_SET_PDEATHSIG), so even a SIGKILL leaves no orphan behind.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path

from wetest.cli import lifecycle
from wetest.config import settings
from wetest.errors import WetestError
from wetest.stack import state


def main() -> int:
    options = json.loads(os.environ.get("WETEST_SUPERVISOR_OPTIONS", "{}"))
    components = tuple(os.environ.get("WETEST_SUPERVISOR_COMPONENTS", "").split(",")) or None
    s = settings.load(options)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    record = state.StackState(supervisor_pid=os.getpid())
    state.write(s.state_dir, record)
    try:
        with lifecycle.running(s, components) as endpoints:
            record.status, record.endpoints = "ready", endpoints
            state.write(s.state_dir, record)
            stop.wait()
    except WetestError as exc:
        return _failed(s.state_dir, record, str(exc), exc.exit_code)
    except Exception as exc:
        return _failed(s.state_dir, record, f"{type(exc).__name__}: {exc}", 1)
    state.clear(s.state_dir)
    return 0


def _failed(state_dir: Path, record: state.StackState, message: str, code: int) -> int:
    record.status, record.error, record.exit_code = "failed", message, code
    state.write(state_dir, record)
    print(message, file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
