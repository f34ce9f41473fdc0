"""Fixtures of the target tests: an API client for the session's envtest, a namespace per test."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client

from wetest.kube import clients
from wetest.stack.endpoints import Endpoints

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def kube(envtest_endpoints: Endpoints) -> client.ApiClient:
    return clients.api_client(envtest_endpoints.kubeconfig)


@pytest.fixture
def namespace(kube: client.ApiClient) -> Iterator[str]:
    name = f"wetest-target-{uuid.uuid4().hex[:8]}"
    core = client.CoreV1Api(kube)
    core.create_namespace({"metadata": {"name": name}})
    yield name
    core.delete_namespace(name)
