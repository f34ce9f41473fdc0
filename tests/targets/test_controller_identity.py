"""The controller under test gets its own kubeconfig (its own audit-log identity)."""

from __future__ import annotations

from pathlib import Path

from wetest.stack.endpoints import Endpoints
from wetest.targets import bundled


def test_the_controller_kubeconfig_is_its_own_identity(tmp_path: Path) -> None:
    endpoints = Endpoints(
        kubeconfig="/state/kubeconfig",
        kubeconfigs={"controller": "/state/kubeconfig-controller"},
    )
    target = bundled.create("10s")
    values = target.values(endpoints, tmp_path / "logs")
    assert values["kubeconfig"] == "/state/kubeconfig-controller"
    env = target.environment(values)
    assert env["KUBECONFIG"] == env["WETEST_KUBECONFIG"] == "/state/kubeconfig-controller"


def test_without_identities_the_controller_uses_the_stacks_kubeconfig(tmp_path: Path) -> None:
    target = bundled.create("10s")
    values = target.values(Endpoints(kubeconfig="/user/kubeconfig"), tmp_path / "logs")
    assert values["kubeconfig"] == "/user/kubeconfig"
