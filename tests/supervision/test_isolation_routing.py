"""The routing seam of isolated instances (wetest.supervision.isolation.Router) and the pool."""

from __future__ import annotations

import threading
import types
from pathlib import Path

import pytest

from wetest.errors import ConfigError
from wetest.stack.endpoints import ControllerInfo, Endpoints
from wetest.supervision import isolation
from wetest.targets import bundled
from wetest.targets.base import ProcessTarget


def router(datastorage: bool) -> isolation.Router:
    instance = Endpoints(
        datastorage="http://127.0.0.1:2",
        controller=ControllerInfo(target="bundled", pid=22, log="/tmp/instance/controller.log"),
        pids={"datastorage": 21},
        kubeconfigs={"controller": "/tmp/instance/kubeconfig"},
    )
    return isolation.Router(3, "wetest-iso-abc-3", instance, datastorage)


def test_controller_commands_go_to_the_instance_and_datastorage_only_when_private() -> None:
    shared, private = router(False), router(True)
    for command in ("restart-controller", "kill-controller", "conflict-proxy on"):
        assert shared.routes(command)
        assert private.routes(command)
    assert shared.routes("restart-component controller")
    assert not shared.routes("stop-datastorage")
    assert private.routes("stop-datastorage")
    assert private.routes("restart-component datastorage")
    assert not private.routes("restart-component kube-apiserver")
    assert not private.routes("component-status")
    assert private.prefixed("kill-controller") == "isolated 3 kill-controller"


def test_the_overlay_shows_the_instance_and_keeps_the_rest_of_the_stack() -> None:
    main = Endpoints(
        apiserver="https://127.0.0.1:1",
        datastorage="http://127.0.0.1:1",
        controller=ControllerInfo(target="bundled", pid=11),
        pids={"datastorage": 12, "postgres": 13},
        kubeconfigs={"controller": "/tmp/main/kubeconfig", "harness": "/tmp/h"},
    )
    seen = router(True).overlay(main)
    assert seen.controller is not None
    assert seen.controller.pid == 22
    assert (seen.datastorage, seen.pids) == (
        "http://127.0.0.1:2",
        {"datastorage": 21, "postgres": 13},
    )
    assert seen.kubeconfigs == {"controller": "/tmp/instance/kubeconfig", "harness": "/tmp/h"}
    assert main.controller is not None
    assert main.controller.pid == 11
    assert router(False).overlay(main).datastorage == "http://127.0.0.1:1"


def test_the_pool_and_which_targets_can_have_one() -> None:
    names = isolation.pool_namespaces("abc123", 3)
    assert names == ("wetest-iso-abc123-0", "wetest-iso-abc123-1", "wetest-iso-abc123-2")
    assert not isolation.unsupported(ProcessTarget("bundled", bundled.COMMAND, "10s"))
    assert "{watch_namespaces}" in isolation.unsupported(ProcessTarget("command", "ctl", "10s"))
    assert "not a process" in isolation.unsupported(None)


def test_a_slot_outside_the_pool_is_refused_naming_the_range() -> None:
    pool = isolation.Pool(main=None, namespaces=isolation.pool_namespaces("x", 2))  # type: ignore[arg-type]
    with pytest.raises(
        ConfigError, match=r"'7' is not a slot of the isolation pool\. Use 0 to 1\."
    ):
        pool.command("7 kill-controller")
    with pytest.raises(ConfigError, match="Slot 1 of the isolation pool runs no instance"):
        pool.command("1 kill-controller")


def test_a_target_passes_its_namespace_lists(tmp_path: Path) -> None:
    target = ProcessTarget("bundled", bundled.COMMAND, "2s")
    target.watch_namespaces, target.ignore_namespaces = ("a",), ("b", "c")
    values = target.values(Endpoints(kubeconfig="/k"), tmp_path / "logs")
    env = target.environment(values)
    assert (values["watch_namespaces"], values["ignore_namespaces"]) == ("a", "b,c")
    assert (env["WETEST_WATCH_NAMESPACES"], env["WETEST_IGNORE_NAMESPACES"]) == ("a", "b,c")


def test_an_api_server_restart_goes_to_the_tests_replica_when_it_has_one() -> None:
    with_replica = isolation.Router(3, "ns", Endpoints(), False, "kube-apiserver-iso-3")
    assert with_replica.rewritten("restart-component kube-apiserver") == (
        "restart-component kube-apiserver-iso-3"
    )
    assert with_replica.rewritten("restart-component postgres") == "restart-component postgres"
    assert not with_replica.routes("restart-component kube-apiserver")  # the stack's, rewritten
    assert router(False).rewritten("restart-component kube-apiserver") == (
        "restart-component kube-apiserver"
    )


def test_a_private_postgres_and_driver_take_their_restarts_and_show_in_the_overlay() -> None:
    instance = Endpoints(
        datastorage="http://127.0.0.1:2",
        postgres="postgresql://postgres@127.0.0.1:3/action_history",
        controller=ControllerInfo(target="bundled", pid=22),
        pids={"datastorage": 21, "postgres": 23, "tekton-stand-in": 24},
        logs={"tekton-stand-in": "/tmp/instance/tekton-stand-in.log"},
    )
    private = isolation.Router(3, "ns", instance, True, postgres=True, tekton=True)
    assert private.routes("restart-component postgres")
    assert private.routes("restart-component tekton-stand-in")
    assert not router(True).routes("restart-component postgres")  # the stack's PostgreSQL
    main = Endpoints(
        postgres="postgresql://postgres@127.0.0.1:1/action_history",
        pids={"postgres": 13, "tekton-stand-in": 14, "kube-apiserver": 15},
    )
    seen = private.overlay(main)
    assert seen.pids == {
        "datastorage": 21,
        "postgres": 23,
        "tekton-stand-in": 24,
        "kube-apiserver": 15,
    }
    assert seen.postgres.endswith(":3/action_history")
    assert seen.logs["tekton-stand-in"] == "/tmp/instance/tekton-stand-in.log"
    assert router(False).overlay(main).pids["tekton-stand-in"] == 14


def test_the_drivers_split_the_pipelineruns_by_their_source_namespace() -> None:
    from wetest.stack.tekton import driver

    assert driver.source_selector() == ""
    assert driver.source_selector("ns-1") == "kubernaut.ai/source-namespace=ns-1"
    assert driver.source_selector(ignore=("b", "a")) == "kubernaut.ai/source-namespace notin (a,b)"


def test_the_pool_records_a_slots_private_processes_among_the_stacks_pids(tmp_path: Path) -> None:
    """So a stop that misses them still kills them by pid, and leftovers names them."""

    class Main:
        endpoints = Endpoints(pids={"kube-apiserver": 1, "isolated-0/postgres": 9})
        stack = types.SimpleNamespace(lock=threading.RLock())

    slot = isolation.SlotStack.__new__(isolation.SlotStack)
    slot.endpoints = Endpoints(pids={"kube-apiserver": 1, "postgres": 5, "tekton-stand-in": 6})
    slot.private = {"postgres", "tekton-stand-in"}

    class Running:
        stack = slot
        endpoints = Endpoints(controller=ControllerInfo(target="bundled", pid=4))

        def stop(self) -> None:
            pass

    pool = isolation.Pool(main=Main(), namespaces=isolation.pool_namespaces("x", 2))  # type: ignore[arg-type]
    pool.instances[0] = Running()  # type: ignore[assignment]
    pool._record(0)
    assert Main.endpoints.pids == {
        "kube-apiserver": 1,
        "isolated-0/controller": 4,
        "isolated-0/postgres": 5,
        "isolated-0/tekton-stand-in": 6,
    }
    pool.stop_one(0)
    assert Main.endpoints.pids == {"kube-apiserver": 1}


def test_only_the_driver_slots_pipelineruns_are_left_to_private_drivers() -> None:
    """A test without a private driver must land where the main driver still plays its runs."""
    from wetest.plugin import isolation as plugin

    names = isolation.pool_namespaces("x", 12)
    assert isolation.driven(names) == names[-isolation.DRIVER_SLOTS :]
    assert plugin._slots(12, driver=True) == [10, 11]
    assert plugin._slots(12, driver=False) == list(range(10))
