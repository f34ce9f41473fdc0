"""The Stack: a cluster backend, the Tekton stand-in and DataStorage, assembled.

The controller under test is not part of the Stack: it is a *target* (``wetest.targets``), one
layer up, started against the Stack's endpoints.

Used in-process by the pytest plugin and by the `wetest up` supervisor. Components are
started in dependency order and stopped in reverse, and a failure while starting stops what
already runs before the error propagates: no process outlives the Stack.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from wetest import progress
from wetest.config.settings import Settings
from wetest.errors import ConfigError
from wetest.stack import processes
from wetest.stack.backends.base import ClusterBackend
from wetest.stack.endpoints import Endpoints

if TYPE_CHECKING:
    from wetest.stack.datastorage import AuditStack

ALL = ("cluster", "tekton", "datastorage")


def backend_for(settings: Settings) -> ClusterBackend:
    """Build the configured backend (imports lazily: kind needs none of envtest's code)."""
    if settings.backend == "envtest":
        from wetest.stack.backends import envtest

        return envtest.create(settings)
    if settings.backend == "existing":
        from wetest.stack.backends import existing

        return existing.create(settings)
    if settings.backend == "kind":
        from wetest.stack.backends import kind

        return kind.create(settings)
    raise ConfigError(
        f"'{settings.backend}' is not a valid backend "
        f"(from {settings.source_of('backend')}). Valid: envtest, kind, existing."
    )


class Stack:
    """Start and stop the selected components; endpoints are available after start()."""

    def __init__(
        self, settings: Settings, components: tuple[str, ...] = ALL, log_dir: Path | None = None
    ) -> None:
        self.settings = settings
        self.components = components
        self.log_dir = log_dir or settings.state_dir / "logs"
        self.backend: ClusterBackend | None = None
        self.endpoints = Endpoints()
        self._stoppers: list[Callable[[], object]] = []
        self.audit: AuditStack | None = None

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> Endpoints:
        try:
            # DataStorage needs no cluster: first, so a bad URL fails in seconds, not minutes
            if "datastorage" in self.components:
                self._start_datastorage()
            self._start_cluster()
            if "tekton" in self.components and self.settings.backend != "kind":
                self._start_tekton_driver()
        except BaseException:
            self.stop()
            raise
        return self.endpoints

    def _start_cluster(self) -> None:
        self.backend = backend_for(self.settings)
        self._stoppers.append(self.backend.stop)
        cluster = self.backend.start()
        cluster.datastorage, cluster.postgres = self.endpoints.datastorage, self.endpoints.postgres
        cluster.pids.update(self.endpoints.pids)
        cluster.logs.update(self.endpoints.logs)
        self.endpoints = cluster

    def _start_datastorage(self) -> None:
        from wetest.stack import datastorage, postgres

        s = self.settings
        self.audit = datastorage.provide(
            self.log_dir,
            url=s.datastorage_url,
            postgres_dsn=s.postgres_dsn,
            postgres_mode=s.postgres,
        )
        self._stoppers.append(self.audit.stop)
        handle = self.audit.datastorage
        self.endpoints.datastorage = handle.url
        if self.audit.postgres is not None:
            self.endpoints.postgres = postgres.redact(self.audit.postgres.dsn)
            if self.audit.postgres.pid:
                self.endpoints.pids["postgres"] = self.audit.postgres.pid
        if handle.pid:
            self.endpoints.pids["datastorage"] = handle.pid
            self.endpoints.logs["datastorage"] = str(handle.log_path)

    def stop_datastorage(self) -> None:
        """Stop the bundled DataStorage process (resilience tests); PostgreSQL keeps running."""
        if self.audit is None or self.audit.datastorage.process is None:
            raise ConfigError(
                "Only a bundled DataStorage can be stopped by wetest; unset "
                "WETEST_DATASTORAGE_URL to use one."
            )
        self.audit.datastorage.stop()
        self.endpoints.pids.pop("datastorage", None)

    def start_datastorage(self) -> None:
        """Start the bundled DataStorage again on the same port, so its URL stays valid."""
        from wetest.stack import datastorage

        if self.audit is None or self.audit.postgres is None:
            raise ConfigError("Only a bundled DataStorage can be restarted by wetest.")
        port = int(self.endpoints.datastorage.rsplit(":", 1)[1])
        self.audit.datastorage = datastorage.start(self.audit.postgres.dsn, self.log_dir, port)
        self.endpoints.pids["datastorage"] = self.audit.datastorage.pid

    def _start_tekton_driver(self) -> None:
        argv = [
            sys.executable,
            "-m",
            "wetest.stack.tekton.driver",
            "--kubeconfig",
            self.endpoints.kubeconfig,
        ]
        proc = processes.ManagedProcess(
            "tekton-stand-in", argv, self.log_dir / "tekton-stand-in.log"
        ).start()
        self._stoppers.append(proc.stop)
        self.endpoints.tekton = "stand-in"
        self.endpoints.pids[proc.name] = proc.pid
        self.endpoints.logs[proc.name] = str(proc.log_path)

    def stop(self) -> None:
        """Stop everything in reverse order; report but survive individual stop failures."""
        while self._stoppers:
            stopper = self._stoppers.pop()
            try:
                stopper()
            except Exception as exc:  # keep stopping the rest
                progress.say(f"stopping a component failed: {exc}")

    def export_logs(self, into: Path) -> list[Path]:
        return self.backend.export_logs(into) if self.backend else []
