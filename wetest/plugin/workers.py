"""xdist: the controller process hands workers a shared folder and stops the stack at the end.

Also used without xdist: then this process is both "controller" and the only worker.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from wetest.plugin import session, session_end

SHARED_KEY = pytest.StashKey[Path]()


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def count(config: pytest.Config) -> int:
    """How many xdist workers share the run (1 without xdist)."""
    return int(_input(config).get("workercount", 1))


def _input(config: pytest.Config) -> dict[str, Any]:
    value: dict[str, Any] = getattr(config, "workerinput", {})
    return value


def external(config: pytest.Config) -> bool:
    """True when the run attaches to a stack it did not start (--wetest-stack-dir)."""
    return bool(session.get(config).stack_dir)


def shared_dir(config: pytest.Config) -> Path:
    """The folder where the run's supervisor keeps its state (one per pytest invocation)."""
    if external(config):
        return Path(session.get(config).stack_dir).expanduser()
    if is_worker(config):
        return Path(_input(config)["wetest_shared"])
    if SHARED_KEY not in config.stash:
        config.stash[SHARED_KEY] = Path(tempfile.mkdtemp(prefix="wetest-run-"))
    return config.stash[SHARED_KEY]


def owner_pid(config: pytest.Config) -> int:
    """The pid whose exit must stop the stack: the xdist controller or this process."""
    return int(_input(config).get("wetest_owner", os.getpid()))


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Xdist controller side: tell each worker where the shared stack lives."""
    node.workerinput["wetest_shared"] = str(shared_dir(node.config))
    node.workerinput["wetest_owner"] = os.getpid()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Controller side: stop the stack whoever started it, then remove the shared folder.

    The stop checks that no process of the stack outlives it (``session_end``).
    """
    if is_worker(config) or SHARED_KEY not in config.stash or external(config):
        return
    shared = config.stash[SHARED_KEY]
    session_end.stop_stack(config, shared)
    shutil.rmtree(shared, ignore_errors=True)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Hand tests out one at a time, in the plugin's order (long waits first, disruptive last).

    ``--dist loadgroup`` schedules each ungrouped test as its own unit, round-robin and then to
    whichever worker is free; ``--dist load`` would send chunks of consecutive tests, putting
    both cooldown tests on one worker, one after the other.
    """
    if getattr(config.option, "numprocesses", None) and getattr(config.option, "dist", "") in (
        "load",
        "no",
    ):
        config.option.dist = "loadgroup"
