"""Scratch directories on tmpfs (etcd data, PostgreSQL clusters), swept once their owner is gone.

A stack keeps its data in RAM (/dev/shm) and removes it when it stops. One that never stops
(SIGKILL, a machine reset, a crashed test) left it there: 452 MB of /dev/shm on this project's
machine after a few days of killed runs, memory nothing would ever free. Each directory now has
a sibling ``<name>.owner`` file with the pid of the process that made it; every new one first
removes those whose owner is no longer running. A directory without the file (an older wetest's)
is left alone: nobody can tell whether it is still in use.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from wetest.stack import processes

OWNER_SUFFIX = ".owner"


def root() -> Path:
    """Prefer /dev/shm (tmpfs); fall back to /tmp."""
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())


def make(prefix: str) -> Path:
    """A new empty directory ``<root>/<prefix>XXXX``, owned by this process until it exits."""
    sweep()
    made = Path(tempfile.mkdtemp(prefix=prefix, dir=root()))
    owner_file(made).write_text(str(os.getpid()))
    return made


def remove(directory: Path) -> None:
    """Remove a scratch directory and its owner file (what its owner does at its stop)."""
    shutil.rmtree(directory, ignore_errors=True)
    owner_file(directory).unlink(missing_ok=True)


def owner_file(directory: Path) -> Path:
    return directory.with_name(directory.name + OWNER_SUFFIX)


def sweep(where: Path | None = None) -> list[Path]:
    """Remove the scratch directories whose owner process has exited; return them."""
    removed = []
    for owner in (where or root()).glob(f"wetest-*{OWNER_SUFFIX}"):
        try:
            pid = int(owner.read_text().strip())
        except (OSError, ValueError):
            continue
        if pid == os.getpid() or processes.pid_alive(pid):
            continue
        directory = owner.with_name(owner.name.removesuffix(OWNER_SUFFIX))
        remove(directory)
        removed.append(directory)
    return removed
