"""Session fixtures: we_settings, we_stack, we_kube, we_datastorage, we_target.

The lifecycle is the library's (``wetest.supervision.handle.ensure``, shared with `wetest up`);
this module only adapts it to pytest.

One supervisor process owns the stack and the controller target for the whole run. Without
xdist this pytest process spawns it; with xdist the first worker that needs it spawns it under
a file lock, every worker attaches to the same endpoints, and the xdist controller process
stops it at the end (``workers.py``). Workers isolate by namespace.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from wetest.config.settings import Settings
from wetest.plugin import options, session, session_end, workers
from wetest.supervision import handle as stacks
from wetest.supervision.handle import DataStorage, StackHandle, Target

if TYPE_CHECKING:  # imported by the fixtures that need them: an xdist controller never does
    import httpx
    from kubernetes import client

HANDLE_KEY = pytest.StashKey[StackHandle]()


def provide(config: pytest.Config) -> StackHandle:
    """Attach to the run's stack, spawning its supervisor first if nobody has yet."""
    shared = workers.shared_dir(config)
    if workers.external(config):  # someone else's stack: attach only, never start or stop
        handle = stacks.attach(shared)
    else:
        handle = stacks.ensure(
            shared,
            options.given(config),
            owner_pid=workers.owner_pid(config),
            remove_when_orphaned=True,
        )
    config.stash[HANDLE_KEY] = handle
    return handle


@pytest.fixture(scope="session")
def we_settings(pytestconfig: pytest.Config) -> Settings:
    """The resolved configuration (option > env > [tool.wetest] > default)."""
    return session.get(pytestconfig)


@pytest.fixture(scope="session")
def we_stack(pytestconfig: pytest.Config, we_settings: Settings) -> Iterator[StackHandle]:
    """The running stack: kubeconfig, API server, DataStorage, controller endpoints."""
    handle = provide(pytestconfig)
    yield handle
    if not workers.is_worker(pytestconfig) and not workers.external(pytestconfig):
        session_end.stop_stack(pytestconfig, handle.shared)
        handle.stop()  # the stack is stopped; this reaps the supervisor if we spawned it


@pytest.fixture(scope="session")
def we_kube(we_stack: StackHandle) -> client.ApiClient:
    """An ApiClient with the harness's own identity (``wetest:harness``, in system:masters).

    Its own client certificate and user agent let the audit log tell the harness's calls
    from the controller's (api-calls.jsonl in a failed test's evidence).
    """
    from wetest.kube import clients
    from wetest.stack import apiaudit

    return clients.api_client(
        we_stack.endpoints.kubeconfig_of("harness"), user_agent=apiaudit.USER_AGENTS["harness"]
    )


@pytest.fixture(scope="session")
def _we_datastorage_clients() -> Iterator[dict[str, httpx.Client]]:
    """One httpx client per DataStorage URL, kept for the session (a client costs ~20 ms)."""
    clients: dict[str, httpx.Client] = {}
    yield clients
    for http in clients.values():
        http.close()


@pytest.fixture
def we_datastorage(
    we_stack: StackHandle, _we_datastorage_clients: dict[str, httpx.Client]
) -> DataStorage:
    """The DataStorage of this test's stack and an httpx client with the URL as base.

    Per test, since a test on an isolated instance has its own (``wetest.plugin.isolation``).
    """
    import httpx

    url = we_stack.endpoints.datastorage
    if url not in _we_datastorage_clients:
        _we_datastorage_clients[url] = httpx.Client(base_url=url, timeout=10.0)
    return DataStorage(url, _we_datastorage_clients[url])


@pytest.fixture(scope="session")
def we_target(we_stack: StackHandle) -> Target:
    """The controller under test (bundled, command:..., deployed:...)."""
    return Target(we_stack)
