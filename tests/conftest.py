"""Shared fixtures for wetest's own tests: one real envtest control plane per session.

Per-area conftests may add their own components on top (DataStorage, the controller, ...).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from wetest.config import settings
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
