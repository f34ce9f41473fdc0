"""WE-STAT-001/004, WE-AUD-021: real 409s on status writes lose and duplicate nothing.

The client hook bumps the WorkflowExecution (an annotation patch) just before each of the first
two status writes of every WE, so the API server itself answers 409 to the controller's PUT.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from kubehelp import G, P, V, create, eventually, manifest, phase_of

from conftest import running_harness

CONFLICTS_PER_WE = 2


def inject_conflicts(manager: Any) -> None:
    kube, real = manager.kube, manager.kube.update_we_status
    custom = kube.custom
    seen: Counter[str] = Counter()
    lock = threading.Lock()
    manager.injected = seen

    def update_status(we: dict[str, Any]) -> dict[str, Any]:
        meta = we["metadata"]
        with lock:
            inject = seen[meta["name"]] < CONFLICTS_PER_WE
            seen[meta["name"]] += inject
        if inject:
            custom.patch_namespaced_custom_object(
                G,
                V,
                meta["namespace"],
                P,
                meta["name"],
                {"metadata": {"annotations": {"wetest/bump": str(seen[meta["name"]])}}},
            )
        return real(we)

    kube.update_we_status = update_status


@pytest.fixture(scope="module")
def conflicting(kubeconfig: str) -> Iterator[dict[str, Any]]:
    yield from running_harness(kubeconfig, inject_conflicts)


@pytest.mark.parametrize("scenario", ["succeed after=0.3s", "fail reason=oom after=0.3s"])
def test_conflicts_neither_lose_nor_duplicate_audit(
    conflicting: dict[str, Any], scenario: str
) -> None:
    api, ds = conflicting["api"], conflicting["ds"]
    target = f"default/deployment/int-409-{scenario.split()[0]}"
    names = [
        create(api, manifest(f"{target}-{i}", parameters={"WETEST_SCENARIO": scenario}))
        for i in range(3)
    ]
    for name in names:
        eventually(
            lambda n=name: phase_of(api, n),
            lambda p: p in ("Completed", "Failed"),
            what=f"{name} terminal",
        )
    terminal = "workflow.completed" if scenario.startswith("succeed") else "workflow.failed"
    for name in names:
        eventually(lambda n=name: sorted(ds.of_type(n)), lambda t: len(t) >= 2, what="audit")
        assert sorted(ds.of_type(name)) == sorted(["workflow.started", terminal])
        assert conflicting["manager"].injected[name] == CONFLICTS_PER_WE


def test_conflict_is_not_an_error(
    conflicting: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    api = conflicting["api"]
    name = create(api, manifest("default/deployment/int-409-log"))
    eventually(lambda: phase_of(api, name), lambda p: p == "Completed", what="Completed")
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert errors == []
