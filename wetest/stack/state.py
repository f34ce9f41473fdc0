"""The state file of a stack started by `wetest up`: endpoints, supervisor pid, status.

`wetest up`, `status` and `down` are separate processes; they meet in
``<state_dir>/stack.json``. Writes are atomic (write then rename) so a reader never sees half
a file.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from wetest.stack.endpoints import Endpoints


@dataclass
class StackState:
    """What the supervisor reports: starting, ready or failed; and what it started."""

    status: str = "starting"
    supervisor_pid: int = 0
    # the process whose exit stops this stack (`wetest run`, pytest); 0: `wetest up`'s, which
    # lives until `wetest down`
    owner_pid: int = 0
    error: str = ""
    exit_code: int = 0
    endpoints: Endpoints = field(default_factory=Endpoints)
    # components that died on their own (reaped by the supervisor): name -> exit code
    exited: dict[str, int | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def path(state_dir: Path) -> Path:
    return state_dir / "stack.json"


def write(state_dir: Path, state: StackState) -> None:
    """Atomically replace the state file."""
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = state_dir / f".stack.json.{os.getpid()}"
    tmp.write_text(json.dumps(state.to_dict(), indent=2, sort_keys=True))
    tmp.replace(path(state_dir))


def read(state_dir: Path) -> StackState | None:
    """Return the recorded state, or None when no stack was started from this state dir."""
    try:
        data = json.loads(path(state_dir).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    endpoints = Endpoints.from_dict(data.pop("endpoints", {}) or {})
    return StackState(
        **{
            k: v
            for k, v in data.items()
            if k in StackState.__dataclass_fields__ and k != "endpoints"
        },
        endpoints=endpoints,
    )


def clear(state_dir: Path) -> None:
    path(state_dir).unlink(missing_ok=True)
