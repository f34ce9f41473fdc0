"""The ControllerTarget protocol and the process-based target all local targets share.

The suites never know which target runs; they see endpoints and, for evidence, a log tail.
Every target learns the stack through the same documented environment variables, so a
controller written in any language can be checked the way the bundled one is:

==============================  ======================================================
``WETEST_KUBECONFIG``           the controller's kubeconfig (also ``KUBECONFIG``): its own
                                identity ``wetest:controller-under-test`` (system:masters)
``WETEST_DATASTORAGE_URL``      base URL of DataStorage
``WETEST_EXECUTION_NAMESPACE``  namespace for PipelineRuns (``kubernaut-workflows``)
``WETEST_COOLDOWN``             cooldown to run with (``10s`` in the suites, ENV-004)
``WETEST_WATCH_NAMESPACES``     comma-separated namespaces whose WorkflowExecutions to
                                reconcile; empty means every namespace
``WETEST_IGNORE_NAMESPACES``    comma-separated namespaces whose WorkflowExecutions to
                                leave alone, and the PipelineRuns they own in the
                                execution namespace (their ``source-namespace`` label)
==============================  ======================================================

Command lines may also use the placeholders ``{kubeconfig}``, ``{datastorage_url}``,
``{execution_namespace}``, ``{cooldown}``, ``{metrics_port}``, ``{health_port}``,
``{spool_dir}``, ``{watch_namespaces}``, ``{ignore_namespaces}``.

The two namespace lists let wetest run **isolated instances** (``wetest.supervision.isolation``):
the main controller ignores a pool of namespaces, and a test that kills or slows down the
controller gets a private instance that watches only its pool namespace, so it runs beside
every other test. A ``command:`` target opts in by using both placeholders in its template
(controller-runtime implements them with ``cache.Options.DefaultNamespaces`` for the watch
list and a ``metadata.namespace!=`` field selector per ignored namespace, plus the same check
where PipelineRun events are mapped to their WorkflowExecution); without them the disruptive
tests take the stack's exclusive locks instead (``wetest.plugin.locks``).
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Protocol

from wetest.errors import ControllerCrashed
from wetest.stack import ports, probing, processes
from wetest.stack.endpoints import ControllerInfo, Endpoints

READY_TIMEOUT = 30.0
SCOPE_PLACEHOLDERS = ("watch_namespaces", "ignore_namespaces")


class ControllerTarget(Protocol):
    """Start the controller against a stack, say whether it is alive, stop it."""

    name: str

    def start(self, endpoints: Endpoints, log_dir: Path) -> ControllerInfo: ...

    def alive(self) -> bool: ...

    def log_tail(self, lines: int = 40) -> str: ...

    def stop(self) -> None: ...


class ProcessTarget:
    """A controller run as a local process from a command template."""

    def __init__(self, name: str, template: str, cooldown: str) -> None:
        self.name = name
        self.template = template
        self.cooldown = cooldown
        self.proc: processes.ManagedProcess | None = None
        self.info = ControllerInfo(target=name)
        self.watch_namespaces: tuple[str, ...] = ()  # empty: every namespace
        self.ignore_namespaces: tuple[str, ...] = ()
        # False: start returns once the process runs (an isolated instance's first start,
        # awaited by the test's worker, so the supervisor serves other commands meanwhile)
        self.wait_ready = True

    @property
    def scopable(self) -> bool:
        """Whether the template passes both namespace lists (isolated instances need them).

        The environment variables are always set, but wetest cannot tell whether a program
        reads them; the placeholders in the command line say so.
        """
        return scopable(self.template)

    def values(self, endpoints: Endpoints, log_dir: Path) -> dict[str, str]:
        return {
            "spool_dir": str(log_dir.parent / "controller-spool"),
            "kubeconfig": endpoints.kubeconfig_of("controller"),
            "datastorage_url": endpoints.datastorage,
            "execution_namespace": endpoints.execution_namespace,
            "cooldown": self.cooldown,
            "metrics_port": str(ports.reserve()),
            "health_port": str(ports.reserve()),
            "watch_namespaces": ",".join(self.watch_namespaces),
            "ignore_namespaces": ",".join(self.ignore_namespaces),
        }

    def environment(self, values: dict[str, str]) -> dict[str, str]:
        return dict(
            os.environ,
            KUBECONFIG=values["kubeconfig"],
            WETEST_KUBECONFIG=values["kubeconfig"],
            WETEST_DATASTORAGE_URL=values["datastorage_url"],
            WETEST_EXECUTION_NAMESPACE=values["execution_namespace"],
            WETEST_COOLDOWN=values["cooldown"],
            WETEST_WATCH_NAMESPACES=values["watch_namespaces"],
            WETEST_IGNORE_NAMESPACES=values["ignore_namespaces"],
        )

    def start(self, endpoints: Endpoints, log_dir: Path) -> ControllerInfo:
        values = self.values(endpoints, log_dir)
        argv = [part.format(**values) for part in shlex.split(self.template)]
        self.proc = processes.ManagedProcess(
            "controller", argv, log_dir / "controller.log", env=self.environment(values)
        ).start()
        health = f"http://127.0.0.1:{values['health_port']}"
        self.info = ControllerInfo(
            target=self.name,
            pid=self.proc.pid,
            metrics=f"http://127.0.0.1:{values['metrics_port']}/metrics",
            health=f"{health}/healthz",
            log=str(self.proc.log_path),
        )
        if "{health_port}" in self.template and self.wait_ready:
            self.proc.wait_ready(lambda: _healthy(f"{health}/readyz"), READY_TIMEOUT)
        return self.info

    def alive(self) -> bool:
        return self.proc is not None and self.proc.alive()

    def require_alive(self) -> None:
        """Raise ControllerCrashed with the exit code and log tail when the process is gone."""
        if self.proc is not None and not self.proc.alive():
            code = self.proc.popen.returncode if self.proc.popen else None
            raise ControllerCrashed(
                f"The controller under test ({self.name}) exited with code "
                f"{code}. Log tail:\n{self.log_tail()}\nFix the controller, "
                "then re-run."
            )

    def log_tail(self, lines: int = 40) -> str:
        return processes.tail(Path(self.info.log), lines) if self.info.log else ""

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()


def scopable(template: str) -> bool:
    """Whether a command template uses both namespace-list placeholders."""
    return all(f"{{{p}}}" in template for p in SCOPE_PLACEHOLDERS)


def _healthy(url: str) -> bool:
    return probing.answers_ok(url)
