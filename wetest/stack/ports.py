"""Loopback port reservation that is safe across xdist workers and parallel runs.

Modelled on controller-runtime's ``addr`` manager: bind ``127.0.0.1:0`` to learn a free port,
then hold a lock file for it under the cache directory for two minutes so that another process
does not pick the same port before our server binds it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import tempfile
import time
from pathlib import Path

from wetest.errors import PortInUse

LOCK_SECONDS = 120.0


def _lock_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "wetest" / "ports"
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError:
        base = Path(tempfile.gettempdir()) / "wetest-ports"
        base.mkdir(parents=True, exist_ok=True)
    return base


def _claim(port: int) -> bool:
    path = _lock_dir() / f"{port}.lock"
    with contextlib.suppress(OSError):
        if time.time() - path.stat().st_mtime > LOCK_SECONDS:
            path.unlink()
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    return True


def reserve() -> int:
    """Return a free loopback port that no other wetest process will be handed for 2 minutes."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if _claim(port):
            return port
    raise PortInUse(
        "No free loopback port could be reserved after 50 attempts. "
        "Free some ports or remove stale locks in ~/.cache/wetest/ports."
    )


def ensure_free(port: int, what: str) -> int:
    """Check that an explicitly requested port is free; raise PortInUse naming its user."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR: sockets in TIME-WAIT left by our own previous server (a restarted
        # DataStorage) must not count as "in use"; a listener still does.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise PortInUse(
                f"Port 127.0.0.1:{port} requested for {what} is already in use. "
                f"Stop what listens there (see: ss -ltnp 'sport = :{port}') or choose "
                "another port."
            ) from exc
    return port
