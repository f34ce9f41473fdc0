"""etcd for the envtest backend: loopback, data on tmpfs when available, no fsync.

Test data is ephemeral, so durability is traded for speed (``--unsafe-no-fsync``), as envtest
does when the binary supports it.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from wetest.stack import ports, processes


def data_root() -> Path:
    """Prefer /dev/shm (tmpfs) for etcd and PostgreSQL data; fall back to /tmp."""
    shm = Path("/dev/shm")
    return shm if shm.is_dir() else Path("/tmp")


def start(
    binary: Path, work_dir: Path, timeout: float = 20.0
) -> tuple[processes.ManagedProcess, str]:
    """Start etcd and wait for /health; return the process and the client URL."""
    client, peer = ports.reserve(), ports.reserve()
    url = f"http://127.0.0.1:{client}"
    argv = [
        str(binary),
        f"--data-dir={work_dir / 'etcd-data'}",
        "--name=wetest",
        f"--listen-client-urls={url}",
        f"--advertise-client-urls={url}",
        f"--listen-peer-urls=http://127.0.0.1:{peer}",
        f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
        f"--initial-cluster=wetest=http://127.0.0.1:{peer}",
        "--unsafe-no-fsync=true",
        "--quota-backend-bytes=4294967296",
        "--log-level=warn",
    ]
    proc = processes.ManagedProcess("etcd", argv, work_dir / "etcd.log").start()
    proc.wait_ready(lambda: _healthy(url), timeout)
    return proc, url


def _healthy(url: str) -> bool:
    response = httpx.get(f"{url}/health", timeout=1.0)
    return response.status_code == 200 and '"true"' in response.text
