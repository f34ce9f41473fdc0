"""The reference controller's namespace scoping: ``--namespaces`` and ``--ignore-namespaces``.

wetest's isolated instances rest on it (``wetest.supervision.isolation``): the main controller
ignores the pool's namespaces, an instance watches one of them, and neither touches the
other's WorkflowExecutions, even through the PipelineRuns they share in the execution
namespace.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kubehelp import manifest
from kubernetes import client
from loopback_ds import LoopbackDataStorage

from wetest import consistently, eventually
from wetest import expectations as ex
from wetest.kube import clients, objects
from wetest.reference.controller import options
from wetest.reference.controller.manager import Manager, ignoring, owns


def parsed(*argv: str) -> options.Options:
    return options.parse(list(argv), env={})


def test_the_namespace_lists_parse_from_flags_and_environment() -> None:
    assert parsed("--ignore-namespaces", "a, b,").ignore_namespaces == ("a", "b")
    assert parsed("--namespaces=").namespaces == ()
    env = {"WE_IGNORE_NAMESPACES": "x", "WE_NAMESPACES": "y,z"}
    from_env = options.parse([], env=env)
    assert (from_env.ignore_namespaces, from_env.namespaces) == (("x",), ("y", "z"))


def test_ownership_follows_both_lists() -> None:
    main, instance = parsed("--ignore-namespaces=iso-0,iso-1"), parsed("--namespaces=iso-1")
    assert owns(main, "team-a")
    assert not owns(main, "iso-1")
    assert owns(instance, "iso-1")
    assert not owns(instance, "team-a")
    assert ignoring(("iso-0", "iso-1")) == {
        "field_selector": "metadata.namespace!=iso-0,metadata.namespace!=iso-1"
    }
    assert ignoring(()) == {}


@pytest.fixture
def scoped(kubeconfig: str) -> Iterator[dict[str, Any]]:
    """A namespace, DataStorage, the stand-in and a controller that ignores the namespace."""
    from wetest.stack.tekton.driver import Driver

    api = clients.api_client(kubeconfig)
    namespace = f"iso-{uuid.uuid4().hex[:8]}"
    objects.create(api, objects.ObjectRef.core("namespaces"), {"metadata": {"name": namespace}})
    ds = LoopbackDataStorage().start()
    driver = Driver(clients.api_client(kubeconfig), 0.3).start()
    managers: list[Manager] = []

    def controller(*scope: str) -> Manager:
        argv = [
            *("--kubeconfig", kubeconfig, "--cooldown", "1s", "--datastorage-url", ds.url),
            *("--metrics-bind-address", "127.0.0.1:0", "--health-probe-bind-address"),
            *("127.0.0.1:0", "--spool-dir", tempfile.mkdtemp(prefix="we-spool-"), *scope),
        ]
        managers.append(Manager(parsed(*argv), clients.api_client(kubeconfig)).start())
        return managers[-1]

    try:
        yield {"api": api, "namespace": namespace, "controller": controller}
    finally:
        for manager in managers:
            manager.stop()
        driver.stop()
        ds.stop()
        objects.delete(api, objects.ObjectRef.core("namespaces").named(namespace))


def test_an_ignored_namespace_is_left_to_the_instance_that_watches_it(
    scoped: dict[str, Any],
) -> None:
    api, namespace = scoped["api"], scoped["namespace"]
    scoped["controller"](f"--ignore-namespaces={namespace}")
    isolated = _create(api, namespace, f"{namespace}/deployment/iso")
    ordinary = _create(api, "default", f"default/deployment/{namespace}")

    eventually(objects.Probe(api, ordinary), ex.has_phase("Completed"), timeout=20)
    consistently(objects.Probe(api, isolated), _no_status(), duration=1)

    scoped["controller"](f"--namespaces={namespace}")
    eventually(objects.Probe(api, isolated), ex.has_phase("Completed"), timeout=20)


def test_the_main_stand_in_leaves_a_driver_slots_pipelineruns_to_its_private_driver(
    kubeconfig: str,
) -> None:
    """The Tekton-pause test's private driver plays its PipelineRuns, the main one the rest.

    Both PipelineRuns are in the one execution namespace; only their source-namespace label
    (the WE's namespace) tells them apart.
    """
    from wetest.stack.tekton.driver import Driver, source_selector

    api = clients.api_client(kubeconfig)
    namespace = f"iso-{uuid.uuid4().hex[:8]}"
    objects.create(api, objects.ObjectRef.core("namespaces"), {"metadata": {"name": namespace}})
    ds = LoopbackDataStorage().start()
    drivers = [
        Driver(clients.api_client(kubeconfig), 0.3, selector=source_selector(ignore=[namespace]))
    ]
    argv = [
        *("--kubeconfig", kubeconfig, "--cooldown", "1s", "--datastorage-url", ds.url),
        *("--metrics-bind-address", "127.0.0.1:0", "--health-probe-bind-address"),
        *("127.0.0.1:0", "--spool-dir", tempfile.mkdtemp(prefix="we-spool-")),
    ]
    manager = Manager(parsed(*argv), clients.api_client(kubeconfig))
    try:
        drivers[0].start()
        manager.start()
        isolated = _create(api, namespace, f"{namespace}/deployment/driven")
        ordinary = _create(api, "default", f"default/deployment/{namespace}")

        eventually(objects.Probe(api, ordinary), ex.has_phase("Completed"), timeout=20)
        eventually(objects.Probe(api, isolated), ex.has_phase("Running"), timeout=20)
        consistently(objects.Probe(api, isolated), ex.has_phase("Running"), duration=1)

        private = Driver(clients.api_client(kubeconfig), 0.3, selector=source_selector(namespace))
        drivers.append(private.start())
        eventually(objects.Probe(api, isolated), ex.has_phase("Completed"), timeout=20)
    finally:
        manager.stop()
        for driver in drivers:
            driver.stop()
        ds.stop()
        objects.delete(api, objects.ObjectRef.core("namespaces").named(namespace))


def _create(api: client.ApiClient, namespace: str, target: str) -> objects.ObjectRef:
    body = manifest(target)
    body["metadata"]["namespace"] = namespace
    ref = objects.ObjectRef.workflow_execution(namespace, body["metadata"]["name"])
    objects.create(api, ref.collection(), body)
    return ref


def _no_status() -> ex.Expectation:
    return ex.satisfies(lambda we: not (we.get("status") or {}).get("phase"), "no phase")
