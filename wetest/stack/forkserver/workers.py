"""The fork server of pytest-xdist's workers: what it imports, and how pytest is told of it.

``wetest run`` starts it itself, before pytest, when the run has workers: its imports (about
0.45 CPU-s) then overlap pytest's own start instead of following it, which is the whole wait
for the first worker on a stack ``wetest up`` already started. The CLI hands its socket to
pytest in ``SOCKET_ENV``; ``wetest.plugin.forked_workers`` uses that server, or starts one of
its own when pytest runs without the CLI (``pytest -n 4 -p wetest.plugin`` with autoload off).
The server's owner stops it; its children (the workers) die with it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from wetest.stack.forkserver import client

MODULES = (
    "pytest",
    "execnet",
    "kubernetes.client",
    "kubernetes.config",
    "kubernetes.watch",
    "httpx",
    "yaml",
    "allure_commons",
    "allure_commons.model2",
    "prometheus_client",
    "wetest",
    "wetest.kube.admission",
    "wetest.kube.events",
    "wetest.kube.watching",
    "wetest.report.clauses",
    "wetest.stack.tekton.scenarios",
    "wetest.supervision.handle",
    "wetest.supervision.leftovers",
    "wetest.targets.bundled",
)
"""What a worker imports before its first test, but no plugin pytest marks for rewriting:
neither ``wetest.plugin``, ``xdist`` (its package imports ``xdist.plugin``) nor
``allure_pytest.plugin``."""

SOCKET_ENV = "WETEST_XDIST_FORK_SERVER"
"""Set by ``wetest run`` for its pytest: the socket of the workers' fork server it started."""


def start(env: Mapping[str, str] | None = None) -> client.ForkServer:
    """Start a workers' fork server (in its own scratch folder: there may be no stack)."""
    return client.start(None, MODULES, env, run_code=True)


def shim(socket: Path) -> list[str]:
    """The command that, given ``-c CODE``, runs CODE in a child of the server at ``socket``.

    The shim (``shim.py``) imports only the standard library (``-S -I``): it starts in 15 ms.
    """
    return [sys.executable, "-S", "-I", str(Path(__file__).with_name("shim.py")), str(socket)]
