"""The Tekton stand-in survives an unreachable API server (issue 16): no action is dropped.

An in-memory fake of the custom-objects API that can be switched "down" (every call raises
the connection error urllib3 raises for a refused connection) stands in for a restarting
kube-apiserver; the watch stream itself is not exercised here (the resilience suite restarts
a real one).
"""

from __future__ import annotations

import copy
import threading
from typing import Any

import urllib3
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from wetest import eventually
from wetest import expectations as ex
from wetest.stack.tekton import driver as driver_module
from wetest.stack.tekton.driver import Driver

Body = dict[str, Any]


class FakeCustom:
    """PipelineRuns and TaskRuns in a dict; ``down`` makes every call fail as when refused."""

    def __init__(self) -> None:
        self.store: dict[tuple[str, str], Body] = {}
        self.down = threading.Event()
        self.lists = 0

    def _check(self) -> None:
        if self.down.is_set():
            raise urllib3.exceptions.MaxRetryError(None, "/apis", "Connection refused")  # type: ignore[arg-type]

    def list_cluster_custom_object(self, *_: Any, **__: Any) -> Body:
        self._check()
        self.lists += 1
        items = [
            copy.deepcopy(o) for (plural, _), o in self.store.items() if plural == "pipelineruns"
        ]
        return {"items": items, "metadata": {"resourceVersion": "1"}}

    def get_namespaced_custom_object(self, g: str, v: str, ns: str, plural: str, name: str) -> Body:
        self._check()
        if (plural, name) not in self.store:
            raise ApiException(status=404)
        return copy.deepcopy(self.store[(plural, name)])

    def create_namespaced_custom_object(
        self, g: str, v: str, ns: str, plural: str, body: Body
    ) -> Body:
        self._check()
        body = copy.deepcopy(body)
        body["metadata"]["uid"] = f"uid-{body['metadata']['name']}"
        self.store[(plural, body["metadata"]["name"])] = body
        return copy.deepcopy(body)

    def replace_namespaced_custom_object_status(
        self, g: str, v: str, ns: str, plural: str, name: str, body: Body
    ) -> Body:
        self._check()
        self.store[(plural, name)]["status"] = copy.deepcopy(body["status"])
        return copy.deepcopy(self.store[(plural, name)])


def pipelinerun(name: str, scenario: str) -> Body:
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {"name": name, "namespace": "ns", "uid": f"uid-{name}"},
        "spec": {"params": [{"name": "WETEST_SCENARIO", "value": scenario}]},
    }


def condition_of(fake: FakeCustom, name: str) -> str:
    status = fake.store[("pipelineruns", name)].get("status") or {}
    found = [c["reason"] for c in status.get("conditions", []) if c["type"] == "Succeeded"]
    return found[0] if found else ""


SUCCEEDED = ex.satisfies(lambda reason: reason == "Succeeded", "Succeeded")


def make_driver(fake: FakeCustom, monkeypatch: Any) -> Driver:
    monkeypatch.setattr(driver_module, "RETRY_FIRST", 0.05)
    monkeypatch.setattr(driver_module, "RETRY_CAP", 0.2)
    # no API server behind the fake: the admission policy the driver installs is not under test
    monkeypatch.setattr(driver_module.admission, "install", lambda api: None)
    driver = Driver(client.ApiClient(), default_delay=0.1)
    driver.custom = fake
    return driver


def test_an_action_that_fails_while_the_server_is_down_is_retried(monkeypatch: Any) -> None:
    fake = FakeCustom()
    fake.store[("pipelineruns", "pr")] = pipelinerun("pr", "succeed after=0.2s")
    driver = make_driver(fake, monkeypatch)
    monkeypatch.setattr(driver, "_watch_loop", lambda: driver._stop.wait())  # timers only
    driver.start()
    try:
        fake.down.set()  # the restart begins before the stand-in acts
        driver._observe(fake.store[("pipelineruns", "pr")])
        eventually(
            lambda: len(driver._retries), ex.satisfies(bool, "a retry scheduled"), timeout=10
        )
        fake.down.clear()
        eventually(lambda: condition_of(fake, "pr"), SUCCEEDED, timeout=10)
    finally:
        driver.stop()
    assert not driver.failed.is_set()


def test_the_watch_loop_keeps_listing_through_an_outage(monkeypatch: Any) -> None:
    fake = FakeCustom()
    fake.down.set()
    driver = make_driver(fake, monkeypatch)
    streams = threading.Semaphore(0)

    def stream(*_: Any) -> None:  # one watch connection that ends as a restart ends it
        streams.release()
        raise urllib3.exceptions.ProtocolError("Response ended prematurely")

    monkeypatch.setattr(driver, "_stream", stream)
    driver.start()
    try:
        assert not streams.acquire(timeout=0.5)  # still down: no list succeeded
        fake.store[("pipelineruns", "late")] = pipelinerun("late", "succeed after=0s")
        fake.down.clear()
        assert streams.acquire(timeout=10)
        assert streams.acquire(timeout=10)
        eventually(lambda: condition_of(fake, "late"), SUCCEEDED, timeout=10)
    finally:
        driver.stop()
    assert not driver.failed.is_set()
