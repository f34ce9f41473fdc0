"""Start the stack and, when asked, the controller target; shared by `up` and `run`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from wetest.config.settings import Settings
from wetest.stack import assembly
from wetest.stack.endpoints import Endpoints
from wetest.targets import selecting
from wetest.targets.base import ProcessTarget


@contextmanager
def running(s: Settings, components: tuple[str, ...] | None = None) -> Iterator[Endpoints]:
    """Yield the endpoints of a started stack; stop everything on exit, whatever happens."""
    wanted = components or (*assembly.ALL, "controller")
    stack = assembly.Stack(s, tuple(c for c in wanted if c in assembly.ALL))
    with stack:
        target = _target(s) if "controller" in wanted else None
        try:
            if target is not None:
                stack.endpoints.controller = target.start(stack.endpoints, stack.log_dir)
            yield stack.endpoints
        finally:
            if target is not None:
                target.stop()


def _target(s: Settings) -> ProcessTarget:
    """The controller target of the settings."""
    return selecting.target_for(s)
