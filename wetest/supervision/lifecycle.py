"""Start the stack and, when asked, the controller target; shared by `up`, `run` and pytest.

:class:`Running` also carries out the supervisor's commands (restart the controller, stop or
start DataStorage), since it holds the objects that own those processes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wetest.config.settings import Settings
from wetest.errors import ConfigError
from wetest.stack import assembly, processes
from wetest.stack.endpoints import Endpoints
from wetest.targets import selecting
from wetest.targets.base import ProcessTarget


class Running:
    """A started stack plus controller target; stop() stops both, target first."""

    def __init__(self, s: Settings, components: tuple[str, ...] | None = None) -> None:
        wanted = components or (*assembly.ALL, "controller")
        self.stack = assembly.Stack(s, tuple(c for c in wanted if c in assembly.ALL))
        self.target: selecting.SelectedTarget | None = (
            selecting.target_for(s) if "controller" in wanted else None
        )
        self.restarts = 0

    @property
    def endpoints(self) -> Endpoints:
        return self.stack.endpoints

    def start(self) -> Endpoints:
        self.stack.start()
        try:
            self._start_target()
            self.stack.ready()
        except BaseException:
            self.stack.stop()
            raise
        return self.endpoints

    def _start_target(self) -> None:
        if self.target is not None:
            self.endpoints.controller = self.target.start(self.endpoints, self.stack.log_dir)

    def stop(self) -> None:
        if self.target is not None:
            self.target.stop()
        self.stack.stop()

    def command(self, name: str) -> dict[str, Any]:
        """Carry out one supervisor command; return what the caller needs to know."""
        handlers = {
            "restart-controller": self.restart_controller,
            "kill-controller": self.kill_controller,
            "start-controller": self._start_target,
            "stop-datastorage": self.stack.stop_datastorage,
            "start-datastorage": self.stack.start_datastorage,
        }
        if name == "component-status":
            return self.component_status()
        if name not in handlers:
            raise ConfigError(f"Unknown supervisor command '{name}'. Valid: {', '.join(handlers)}.")
        handlers[name]()
        controller = self.endpoints.controller
        return {
            "controller_pid": controller.pid if controller else 0,
            "datastorage": self.endpoints.datastorage,
        }

    def component_status(self) -> dict[str, Any]:
        """Each started process: alive and exit code (the controller's under "controller")."""
        found: dict[str, Any] = dict(self.stack.component_status())
        if isinstance(self.target, ProcessTarget) and self.target.proc is not None:
            found["controller"] = assembly.process_status(self.target.proc)
        return {"components": found}

    def kill_controller(self) -> None:
        """SIGKILL the controller (a crash, as a node failure would cause)."""
        if isinstance(self.target, ProcessTarget) and self.target.proc is not None:
            processes.stop_pid(self.target.proc.pid, timeout=0)
            self.target.proc.stop(timeout=1)

    def restart_controller(self) -> None:
        """Kill the controller and start a fresh process against the same stack."""
        self.kill_controller()
        self.restarts += 1
        self._start_target()


def log_dir_for(s: Settings) -> Path:
    return s.state_dir / "logs"
