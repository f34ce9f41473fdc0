"""Shared fixtures for wetest's own tests: one real envtest control plane per session.

Per-area conftests may add their own components on top (DataStorage, the controller, ...).

Also how ``make test`` (``-n 4 --dist loadfile``) hands the tests to its workers: whole files,
as loadfile does, so a file's module fixtures (a stack per module) are set up once, except the
SPREAD files, whose tests each start their own stack or pytest process and share nothing: they
go out test by test. The longest units go first (LONG_FIRST), so no worker starts a long one
at the end while the others sit idle: with every file whole and xdist's order (most tests
first), the mutant self-test and the plugin's process tests each held one worker for minutes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from wetest.config import settings
from wetest.kube import clients, objects
from wetest.stack.backends import envtest
from wetest.stack.endpoints import Endpoints


@pytest.fixture(scope="session")
def envtest_settings() -> settings.Settings:
    """Settings from the defaults and the environment, as a user's run would resolve them."""
    return settings.load({})


@pytest.fixture(scope="session")
def envtest_endpoints(envtest_settings: settings.Settings) -> Iterator[Endpoints]:
    """A real etcd + kube-apiserver + kube-controller-manager with the WE and Tekton CRDs."""
    backend = envtest.create(envtest_settings)
    endpoints = backend.start()
    yield endpoints
    backend.stop()


@pytest.fixture(scope="session")
def kube_api(envtest_endpoints: Endpoints) -> Iterator[client.ApiClient]:
    """An admin ApiClient for the session's control plane."""
    api = clients.api_client(envtest_endpoints.kubeconfig)
    yield api
    api.close()


@pytest.fixture
def namespace(kube_api: client.ApiClient) -> Iterator[str]:
    """A fresh namespace for one test, deleted afterwards."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    ref = objects.ObjectRef.core("namespaces", name=name)
    objects.create(kube_api, ref, {"metadata": {"name": name}})
    yield name
    objects.delete(kube_api, ref, missing_ok=True)


SPREAD = frozenset(
    {
        "tests/mutants/test_mutants_killed.py",
        "tests/plugin/test_plugin_behaviour.py",
        "tests/plugin/test_interrupt.py",
        "tests/plugin/test_clauses.py",
        "tests/plugin/test_tekton_tier_marker.py",
        "tests/plugin/test_locks.py",
        "tests/cli/test_run.py",
        "tests/cli/test_up_down.py",
    }
)
"""Files whose tests share no module or session fixture: each runs its own stack or process."""

LONG_FIRST = (
    "tests/mutants/test_mutants_killed.py::test_double_status_write_run_opens_with_the_conflict_group",
    "tests/mutants/test_mutants_killed.py::test_reference_passes_every_selected_test",
    "tests/plugin/test_clauses.py::test_each_clause_is_judged_by_its_own_checks",
    "tests/plugin/test_interrupt.py",
    "tests/plugin/test_plugin_behaviour.py",
    "tests/mutants/test_mutants_killed.py",
    "tests/datastorage/test_openapi_fuzz.py",
    "tests/suites/test_coverage_tables.py",
    "tests/cli/test_run.py",
    "tests/plugin/test_clauses.py",
    "tests/plugin/test_tekton_tier_marker.py",
    "tests/docs/test_write_your_own_suite.py",
    "tests/plugin/test_locks.py",
    "tests/cli/test_up_down.py",
    "tests/plugin/test_timing.py",
)
"""Node-id prefixes, longest first (``--durations`` of a whole run); the rest follow in order."""


def _rank(nodeid: str) -> int:
    return next((i for i, p in enumerate(LONG_FIRST) if nodeid.startswith(p)), len(LONG_FIRST))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest first, for the scheduler below.

    The sort is stable: each file's tests keep their order, and a file that is not spread
    stays in one piece, so its module fixtures are set up once without xdist too.
    """
    items.sort(key=lambda item: _rank(item.nodeid))


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under ``--dist loadfile``: whole files, SPREAD files test by test, in collection order."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FilesAndSpreadTests(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return nodeid if path in SPREAD else path

    config.option.loadscopereorder = False  # keep LONG_FIRST's order, not "most tests first"
    return FilesAndSpreadTests(config, log)
