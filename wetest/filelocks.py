"""Advisory file locks (``flock``) shared by processes and threads of one run.

A ``flock`` is released by the kernel when its holder dies, so a crashed worker or supervisor
never leaves a stale lock behind, which a lock file with a pid in it would. One open file is
one lock: two threads of one process that open the file separately exclude each other too.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the duration; waits for it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def try_exclusive(path: Path) -> IO[str] | None:
    """The exclusive lock on ``path`` if nobody holds it, else None at once.

    The lock lasts until the returned file is closed (or its process ends).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle
