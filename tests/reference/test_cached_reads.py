"""The reference controller reads from its watch-fed caches, as a controller-runtime one does.

Unit: what the cache keeps when writes, watch events and deletions race. Integration (real API
server, stand-in, loopback DataStorage): a whole lifecycle reads nothing from the API server,
while the ``fresh-reads`` variant reads on every reconcile, and both complete it.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

import pytest
from kubehelp import G, P, V, manifest
from kubernetes import client

from conftest import running_harness
from wetest import expectations as ex
from wetest.kube import clients
from wetest.reference.controller.cache import ObjectCache, WECache
from wetest.waiting.eventually import eventually as wait_for


def version(rv: str, uid: str = "u1", target: str = "ns/deployment/app") -> dict[str, Any]:
    return {
        "metadata": {"namespace": "ns", "name": "we", "uid": uid, "resourceVersion": rv},
        "spec": {"targetResource": target},
    }


def held(cache: ObjectCache) -> str | None:
    found = cache.get("ns", "we")
    return None if found is None else str(found["metadata"]["resourceVersion"])


def test_the_newer_resource_version_wins_whatever_arrives_last() -> None:
    cache = ObjectCache()
    cache.upsert(version("10"))
    cache.upsert(version("12"))  # this controller's write, its watch event not yet here
    cache.upsert(version("11"))  # a watch event older than the write
    assert held(cache) == "12"
    cache.upsert(version("13"))
    assert held(cache) == "13"


def test_a_deletion_drops_the_object_but_not_a_newer_incarnation_of_its_name() -> None:
    cache = ObjectCache()
    cache.upsert(version("12"))
    cache.remove(version("10"))  # a re-list's DELETED carries the last version it knew
    assert held(cache) is None
    cache.upsert(version("20", uid="u2"))  # created again under the same name
    cache.remove(version("15", uid="u1"))  # the old incarnation's late DELETED
    assert held(cache) == "20"


def test_a_read_is_a_copy_and_forget_sends_the_next_read_to_the_api_server() -> None:
    cache = WECache()
    cache.upsert(version("10"))
    read = cache.get("ns", "we")
    assert read is not None
    read["metadata"]["resourceVersion"] = "99"  # a reconcile changes what it read
    assert held(cache) == "10"
    assert [o["metadata"]["name"] for o in cache.on_target("ns/deployment/app")] == ["we"]
    cache.forget("ns", "we")  # after a 409: the retry reads what the API server holds
    assert held(cache) is None


@pytest.mark.parametrize(
    ("flags", "api_reads"), [((), False), (("--variant", "fresh-reads"), True)]
)
def test_a_lifecycle_reads_from_the_caches_unless_fresh_reads(
    kubeconfig: str, flags: tuple[str, ...], api_reads: bool
) -> None:
    # a namespace of its own: the WEs earlier tests left in "default" are not reconciled here
    api = clients.api_client(kubeconfig)
    namespace = f"cached-{uuid.uuid4().hex[:8]}"
    client.CoreV1Api(api).create_namespace({"metadata": {"name": namespace}})
    body = manifest(f"{namespace}/deployment/app", parameters={"NAMESPACE": namespace})
    body["metadata"]["namespace"] = namespace
    name = body["metadata"]["name"]
    custom = client.CustomObjectsApi(api)
    phase = ex.satisfies(
        lambda we: (we.get("status") or {}).get("phase") == "Completed", "Completed"
    )
    own = ("--namespaces", namespace, *flags)
    with contextlib.contextmanager(running_harness)(kubeconfig, flags=own) as harness:
        custom.create_namespaced_custom_object(G, V, namespace, P, body)
        wait_for(lambda: custom.get_namespaced_custom_object(G, V, namespace, P, name), phase)
        reads = dict(harness["manager"].kube.reads)
    if api_reads:
        assert reads.get("workflowexecutions/get", 0) >= 3  # one per reconcile at least
        assert reads.get("pipelineruns/get", 0) >= 1
    else:
        assert reads == {}, f"reads that reached the API server: {reads}"
