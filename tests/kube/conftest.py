"""A real kube-apiserver (the configured backend, envtest by default) for kube-layer tests.

The stack is started through the library (``wetest.stack.assembly``), cluster only: no
controller and no Tekton stand-in run, so every status write in these tests is the test's own.
Each test gets a fresh namespace, deleted afterwards.
"""

import uuid
from collections.abc import Iterator

import pytest
from kubernetes import client

from wetest.config import settings
from wetest.kube import clients, objects
from wetest.stack.assembly import Stack


@pytest.fixture(scope="session")
def kube_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[client.ApiClient]:
    logs = tmp_path_factory.mktemp("stack-logs")
    with Stack(settings.load(), components=("cluster",), log_dir=logs) as stack:
        api = clients.api_client(stack.endpoints.kubeconfig)
        yield api
        api.close()


@pytest.fixture
def namespace(kube_api: client.ApiClient) -> Iterator[str]:
    name = f"kube-{uuid.uuid4().hex[:8]}"
    ref = objects.ObjectRef.core("namespaces", name=name)
    objects.create(kube_api, ref, {"metadata": {"name": name}})
    yield name
    objects.delete(kube_api, ref, missing_ok=True)
