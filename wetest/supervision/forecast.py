"""What the collected tests will ask of the stack, told to the supervisor before it is ready.

Why: a test that restarts the API server on its own replica (``wetest.plugin.isolation``) spent
4-8 s of a full run's critical path starting that replica, because it could only ask for it
once the whole stack was ready, beside a dozen other tests starting. Yet the replica needs only
etcd and the first kube-apiserver, which are up about a second before the rest of the stack.

So pytest, once it has collected (``wetest run`` starts the supervisor first: collection ends
while the stack still starts), writes a forecast into the stack's folder; the supervisor reads
it right after its control plane is up, removes it (it is for this start only) and spawns the
replica :data:`AHEAD`, not awaiting it. The first test that wants a replica takes that one (a
``flock``, :func:`take_ahead`); any other starts its own as before. A forecast written too
late, or none, only means no replica is ahead: nothing depends on it but the time.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import IO

from wetest import filelocks

FILE = "forecast.json"
AHEAD = "iso-ahead"
"""The replica spawned ahead (process ``kube-apiserver-iso-ahead``: an isolated test's, as
``iso-<slot>`` is, ``wetest.supervision.isolation.REPLICA_PREFIX``)."""


def write(shared: Path, *, replica: bool) -> None:
    """Say whether the collected tests will want an API-server replica (atomically)."""
    shared.mkdir(parents=True, exist_ok=True)
    tmp = shared / f"{FILE}.{os.getpid()}.tmp"  # each xdist worker writes one
    tmp.write_text(json.dumps({"replica": replica}))
    tmp.replace(shared / FILE)


def take(shared: Path) -> bool:
    """Whether a forecast asks for a replica ahead; the forecast is removed (one start's)."""
    path = shared / FILE
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    path.unlink(missing_ok=True)
    return isinstance(found, dict) and found.get("replica") is True


def take_ahead(folder: Path) -> IO[str] | None:
    """The lock on the replica spawned ahead, for the first test that asks; else None.

    Held until the test ends (closing it releases it); the test stops that replica, so a
    later test that takes the lock spawns it anew.
    """
    return filelocks.try_exclusive(folder / "replica-ahead.lock")


def release(handle: IO[str] | None) -> None:
    if handle is not None:
        with contextlib.suppress(OSError):
            handle.close()
