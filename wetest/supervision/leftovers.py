"""Issue 16's invariant "no process of the stack is left after the run", checked at every stop.

The supervisor stops every component it started before it exits; :func:`spawning.stop` then
kills any process the stack recorded (``Endpoints.pids``, the controller) that is still alive.
Such a process is a *leftover*: the supervisor failed to stop it (a component that ignores
SIGTERM, a stop that timed out). Killing it keeps the machine clean, but it is still a bug of
the stack or of the target that a later run pays for (a held port, a stray controller writing
into the next run's objects), so the run says so: run.json ``stack_leftovers`` and a line in
the triage report. ``bench/chaos.py`` counts the same thing after every round.

Checked by pid, from the state the supervisor recorded: a process the stack never recorded is
not seen here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from wetest.stack import state
from wetest.supervision import spawning

KEY = "stack_leftovers"
"""The run.json key: a list of ``{"name": ..., "pid": ...}``, empty when the stop was clean."""


@dataclass(frozen=True)
class Leftover:
    """A recorded process of the stack that was still alive after its supervisor had exited."""

    name: str
    pid: int


def stop(state_dir: Path, timeout: float = 30.0) -> list[Leftover]:
    """Stop the stack recorded in ``state_dir``; return its processes that outlived the stop.

    The same stop as :func:`spawning.stop` (which kills such processes, so none is left
    either way); the names come from the record read before the supervisor clears it.
    """
    record = state.read(state_dir)
    if record is None:
        return []
    names = {pid: name for name, pid in record.endpoints.pids.items()}
    if record.endpoints.controller is not None:
        names.setdefault(record.endpoints.controller.pid, "controller")
    stopped = spawning.stop(state_dir, timeout=timeout)
    return [Leftover(names.get(pid, "unknown"), pid) for pid in stopped[1:]]


def record(run_dir: Path, leftovers: list[Leftover]) -> bool:
    """Add ``stack_leftovers`` to the run's run.json; False when the run wrote none.

    run.json is written when pytest's session finishes, before the stack stops, so the check's
    result is added afterwards (replaced whole, like the plugin writes it).
    """
    path = run_dir / "run.json"
    try:
        info = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return False
    info[KEY] = [asdict(left) for left in leftovers]
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(info, indent=2))
    partial.replace(path)
    return True


def describe(leftovers: list[Leftover]) -> str:
    """One sentence for the terminal and the triage report, ending with what to do."""
    listed = ", ".join(f"{left.name} (pid {left.pid})" for left in leftovers)
    return (
        f"{len(leftovers)} process(es) of the stack outlived its supervisor and were killed by "
        f"wetest: {listed}. The stack did not stop them; see supervisor.log in the stack folder "
        "for the component's stop, and fix its shutdown (or the target's handling of SIGTERM)."
    )
