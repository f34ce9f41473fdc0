"""pytest-xdist workers forked from one interpreter that imported their modules once.

Each xdist worker is a new Python that imports pytest, the kubernetes client, httpx and wetest
before it collects: about 0.6 of its 0.7 CPU-s before the first test, twelve times over on the
two CPUs of a CI runner, and xdist hands out the first test only when every worker collected.
On the controller side this plugin starts a fork server (``wetest.stack.forkserver``) that
imports those modules once, and rewrites xdist's ``popen`` specs to start each worker through
the server's shim (``popen//python=<shim>``): the worker is the same ``python -u -c
<bootstrap>`` xdist would start, forked instead of executed.

Only for ``wetest run`` (pytest's plugin autoload off, ``-p`` naming the plugins) and plain
``popen`` specs, and only with the ``fork_server`` setting on: pytest rewrites the asserts
of a plugin's modules on import, and a module the server imported first could not be
rewritten (PytestAssertRewriteWarning). With autoload off, pytest marks exactly the ``-p``
plugins and their ``pytest_plugins``, which the server leaves alone
(``wetest.stack.forkserver.workers.MODULES``). ``wetest run`` starts the server before pytest
(``workers.SOCKET_ENV``); a pytest started otherwise starts its own.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

from wetest.plugin import session, workers
from wetest.stack.forkserver import client
from wetest.stack.forkserver import workers as xdist_workers


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Controller side, after xdist turned ``-n N`` into N ``popen`` specs."""
    specs: list[str] = list(getattr(config.option, "tx", None) or [])
    if (
        workers.is_worker(config)
        or not specs
        or any(spec != "popen" for spec in specs)
        or not os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
        or not client.supported()
        or session.SETTINGS_KEY not in config.stash
        or not session.get(config).fork_server
    ):
        return
    given = os.environ.get(xdist_workers.SOCKET_ENV)  # wetest run started it, before pytest
    if given:
        socket = Path(given)
    else:
        server = xdist_workers.start()
        config.add_cleanup(server.stop)  # after the session: every worker has exited by then
        socket = server.path
    config.option.tx = [f"popen//python={shlex.join(xdist_workers.shim(socket))}"] * len(specs)
