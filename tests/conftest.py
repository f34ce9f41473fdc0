"""Shared fixtures for wetest's own tests: one real envtest control plane per session.

Per-area conftests may add their own components on top (DataStorage, the controller, ...).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

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
