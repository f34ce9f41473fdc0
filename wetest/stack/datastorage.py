"""DataStorage for the run: the bundled reference process, or one the user already runs.

Library API (used by ``wetest up`` and the ``we_datastorage`` fixture)::

    audit = datastorage.provide(log_dir, url="", postgres_dsn="", postgres_mode="local")
    audit.datastorage.url, audit.postgres.dsn, audit.stop()     # stops what provide started
    ds = datastorage.start(dsn, log_dir, port=None)   # python -m wetest.reference.datastorage
    ds = datastorage.attach(url)                      # GET {url}/health, 5 s (ENV-005)
    ds.url, ds.pid, ds.log_path, ds.client(), ds.stop()

The bundled service binds 127.0.0.1 on a reserved free port unless ``port`` is given (8080 is
left to Tekton's convention) and is ready when ``GET /health`` answers 200, i.e. its pool is
open and its migrations are applied. An unreachable URL raises :class:`DataStorageUnavailable`
(a :class:`~wetest.errors.DependencyMissing`) whose message begins with the seed's text
``Data Storage REQUIRED but not available at <url>``: a failure, never a skip (DS-HLT-005).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from wetest import progress
from wetest.errors import DependencyMissing
from wetest.stack import ports, postgres, probing
from wetest.stack.processes import ManagedProcess

HEALTH_TIMEOUT = 5.0  # ENV-005: the seed's probe timeout
READY_TIMEOUT = 30.0
ATTACH_FIX = (
    "wetest up (or unset WETEST_DATASTORAGE_URL so that wetest starts the bundled DataStorage)"
)


class DataStorageUnavailable(DependencyMissing):
    """A DataStorage URL did not answer ``GET /health`` with 200 within the probe timeout."""

    def __init__(self, url: str, evidence: str) -> None:
        super().__init__(f"Data Storage at {url}", [f"GET {url}/health"], ATTACH_FIX)
        self.url = url
        self.args = (
            f"Data Storage REQUIRED but not available at {url} (GET {url}/health: {evidence}). "
            f"Run: {ATTACH_FIX}",
        )


@dataclass
class DataStorageHandle:
    """A reachable DataStorage; ``stop`` ends the bundled process (no-op when attached)."""

    url: str
    pid: int = 0
    log_path: Path | None = None
    process: ManagedProcess | None = field(default=None, repr=False)

    def client(self, timeout: float = 10.0) -> httpx.Client:
        """Return an httpx client with ``base_url`` set to this DataStorage."""
        return httpx.Client(base_url=self.url, timeout=timeout)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            process.stop()


@dataclass
class AuditStack:
    """DataStorage plus the PostgreSQL started for it (None when attached or DSN given)."""

    datastorage: DataStorageHandle
    postgres: postgres.PostgresHandle | None = None

    def stop(self) -> None:
        """Stop DataStorage first (it holds connections), then PostgreSQL."""
        try:
            self.datastorage.stop()
        finally:
            if self.postgres is not None:
                self.postgres.stop()

    def __enter__(self) -> AuditStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def health_error(url: str, timeout: float = HEALTH_TIMEOUT) -> str | None:
    """Probe ``GET {url}/health``; return None when it is 200, else what went wrong."""
    try:
        response = probing.get(f"{url}/health", timeout=timeout)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    return None


def attach(url: str, timeout: float = HEALTH_TIMEOUT) -> DataStorageHandle:
    """Use a DataStorage someone else runs; raise DataStorageUnavailable when it is not healthy."""
    url = url.rstrip("/")
    evidence = health_error(url, timeout)
    if evidence is not None:
        raise DataStorageUnavailable(url, evidence)
    return DataStorageHandle(url=url)


def start(
    dsn: str, log_dir: Path, port: int | None = None, *, wait: bool = True
) -> DataStorageHandle:
    """Run the bundled DataStorage on loopback against ``dsn``; return once /health is 200.

    ``wait=False`` returns once the process runs: an isolated instance's caller awaits
    /health itself, so the supervisor serves other commands meanwhile.
    """
    port = ports.ensure_free(port, "DataStorage") if port else ports.reserve()
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "wetest.reference.datastorage", "--host", "127.0.0.1"]
    process = ManagedProcess(
        "datastorage",
        [*argv, "--port", str(port)],
        log_dir / "datastorage.log",
        env={**os.environ, "DATASTORAGE_DSN": dsn},
    )
    with progress.step(f"Starting DataStorage at {url}"):
        process.start()
        try:
            if wait:
                process.wait_ready(lambda: health_error(url, 1.0) is None, READY_TIMEOUT)
        except BaseException:
            process.stop()
            raise
    return DataStorageHandle(url=url, pid=process.pid, log_path=process.log_path, process=process)


def provide(
    log_dir: Path,
    url: str = "",
    postgres_dsn: str = "",
    postgres_mode: str = "local",
    port: int | None = None,
    cache: Path | None = None,
) -> AuditStack:
    """Attach to ``url`` when given; otherwise PostgreSQL (by DSN, container or local) + bundled.

    ``cache``: where a local PostgreSQL's template is kept (``postgres.start``).
    """
    if url:
        return AuditStack(datastorage=attach(url))
    database = postgres.provide(log_dir, dsn=postgres_dsn, mode=postgres_mode, cache=cache)
    return AuditStack(datastorage=_started(database, log_dir, port), postgres=database)


def _started(
    database: postgres.PostgresHandle, log_dir: Path, port: int | None
) -> DataStorageHandle:
    try:
        return start(database.dsn, log_dir, port)
    except BaseException:
        database.stop()
        raise
