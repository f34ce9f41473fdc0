"""Differential test: each scenario through real Tekton and through the stand-in, statuses compared.

Both run on one API server: real Tekton v1.15 (controller, webhook, resolvers, KWOK pods) takes
the PipelineRuns it manages, the stand-in driver takes those whose ``spec.managedBy`` names it
(each ignores the other's, as Tekton's own filter does). The real PipelineRun is what a WE
controller creates (WE-PR-006: a ``bundles`` pipelineRef to the scenario's bundle); the
stand-in's names the same scenario by annotation. Once both are done, the PipelineRun and
TaskRun statuses are compared field by field, modulo names, uids and times; every difference
must be listed in ``EXPLAINED`` with its reason (docs/tekton-scenarios.md has the table).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from wetest.kube import objects
from wetest.stack.tekton import bundles, driver, scenarios
from wetest.waiting import expectations as ex
from wetest.waiting.eventually import eventually

Body = dict[str, Any]
STANDIN = "wetest.kubernaut.ai/stand-in"
TIMES = {"startTime", "completionTime", "lastTransitionTime", "startedAt", "finishedAt"}
IDS = {"imageID", "containerID", "uid"}

# scenario id → scenario line (short durations: the whole test stays cheap)
SCENARIOS = {
    "succeed": "succeed after=300ms",
    "succeed-3-tasks": "succeed tasks=3 after=600ms",
    "task-failure": "fail reason=task after=300ms",
    "oom": "fail reason=oom after=300ms",
    "image-pull": "fail reason=image-pull after=300ms",
    "failing-task-in-the-middle": "fail reason=task tasks=3 at=2 after=600ms",
    "cancelled": "cancel",
}

# path pattern (regex over the flattened path) → why the stand-in differs there
EXPLAINED: dict[str, str] = {}


def flatten(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(``a.b[0].c``, leaf) pairs; empty dicts and lists are leaves (presence counts)."""
    if isinstance(value, dict) and value:
        for key in sorted(value):
            yield from flatten(value[key], f"{path}.{key}" if path else key)
    elif isinstance(value, list) and value:
        for i, item in enumerate(value):
            yield from flatten(item, f"{path}[{i}]")
    else:
        yield path, value


def normalize(value: Any, names: dict[str, str]) -> Any:
    """Times, ids and digests become placeholders; run names and the registry become tokens."""
    if isinstance(value, dict):
        return {
            k: ("<time>" if k in TIMES and v else "<id>" if k in IDS and v else normalize(v, names))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [normalize(v, names) for v in value]
    if isinstance(value, str):
        for old, new in names.items():
            value = value.replace(old, new)
        return re.sub(r"sha256:[0-9a-f]{64}", "sha256:<digest>", value)
    return value


def observed(api: client.ApiClient, ref: objects.ObjectRef, names: dict[str, str]) -> Body:
    """The PipelineRun's status and its TaskRuns' (by pipeline task), normalized."""
    pr = objects.get(api, ref)
    taskruns = objects.items(
        api,
        objects.ObjectRef("tekton.dev", "v1", "taskruns", ref.namespace),
        label_selector=f"tekton.dev/pipelineRun={ref.name}",
    )
    by_task = {
        tr["metadata"]["labels"]["tekton.dev/pipelineTask"]: tr.get("status", {}) for tr in taskruns
    }
    return normalize({"pipelinerun": pr.get("status", {}), "taskruns": by_task}, names)


def differences(real: Body, standin: Body) -> list[tuple[str, Any, Any]]:
    """(path, real value, stand-in value) wherever the flattened statuses disagree."""
    left, right = dict(flatten(real)), dict(flatten(standin))
    missing = object()
    rows = []
    for path in sorted(set(left) | set(right)):
        a, b = left.get(path, missing), right.get(path, missing)
        if a != b:
            rows.append(
                (path, "(absent)" if a is missing else a, "(absent)" if b is missing else b)
            )
    return rows


def pipelinerun(name: str, scenario: str, bundle: str, managed_by: str = "") -> Body:
    """A PipelineRun shaped as the WE controller makes it (DOMAIN §2.3)."""
    spec: Body = {
        "pipelineRef": {
            "resolver": "bundles",
            "params": [
                {"name": "bundle", "value": bundle},
                {"name": "name", "value": bundles.PIPELINE},
                {"name": "kind", "value": "pipeline"},
            ],
        },
        "params": [{"name": "TARGET_RESOURCE", "value": "default/deployment/app"}],
        "taskRunTemplate": {"serviceAccountName": "default"},
    }
    if managed_by:
        spec["managedBy"] = managed_by
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {"name": name, "annotations": {scenarios.ANNOTATION: scenario}},
        "spec": spec,
    }


def _done(state: Any) -> bool:
    return any(
        c.get("type") == "Succeeded" and c.get("status") in ("True", "False")
        for c in (state.get("status") or {}).get("conditions") or []
    )


def _has_child(state: Any) -> bool:
    return bool((state.get("status") or {}).get("childReferences"))


@pytest.fixture(scope="module")
def standin(kube_api: client.ApiClient) -> Iterator[driver.Driver]:
    """The stand-in beside real Tekton, on the runs whose ``spec.managedBy`` names it."""
    played = driver.Driver(kube_api, default_delay=0.3, managed_by=STANDIN).start()
    yield played
    played.stop()


@pytest.mark.parametrize("case", list(SCENARIOS))
def test_standin_writes_what_real_tekton_writes(
    case: str,
    kube_api: client.ApiClient,
    real_tekton: str,
    standin: driver.Driver,
    execution_namespace: str,
) -> None:
    text = SCENARIOS[case]
    with __import__("httpx").Client(timeout=10) as http:
        bundle = bundles.publish(http, real_tekton, text)
    runs = objects.ObjectRef.pipeline_run(execution_namespace)
    real = runs.named(f"r-{case}"[:40])
    fake = runs.named(f"s-{case}"[:40])
    objects.create(kube_api, real, pipelinerun(real.name, text, bundle))
    objects.create(kube_api, fake, pipelinerun(fake.name, text, bundle, STANDIN))
    if text.startswith("cancel"):
        for ref in (real, fake):
            eventually(objects.Probe(kube_api, ref), ex.satisfies(_has_child, "a TaskRun"))
            objects.patch(kube_api, ref, {"spec": {"status": "Cancelled"}})
    for ref in (real, fake):
        eventually(objects.Probe(kube_api, ref), ex.satisfies(_done, "done"), timeout=60)
    names = {real.name: "<pr>", fake.name: "<pr>", real_tekton: "<registry>"}
    rows = differences(observed(kube_api, real, names), observed(kube_api, fake, names))
    unexplained = [r for r in rows if not any(re.search(p, r[0]) for p in EXPLAINED)]
    table = "\n".join(f"{p}: real={a!r} stand-in={b!r}" for p, a, b in unexplained)
    assert not unexplained, f"{case}: the stand-in differs from real Tekton:\n{table}"
