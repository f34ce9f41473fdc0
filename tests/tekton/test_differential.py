"""Differential test: each scenario through real Tekton and through the stand-in, statuses compared.

Real Tekton v1.15 (controller, webhook, bundles resolver, KWOK pods) runs on a control plane
of its own, the stand-in on the session's. Each side gets the same PipelineRun, shaped as a WE
controller makes it (WE-PR-006: a ``bundles`` pipelineRef to the scenario's bundle, which the
stand-in reads its scenario from too, as it does on the stand-in tier from the annotation).
Once both are done, the PipelineRun and TaskRun statuses are compared field by field, modulo
names, uids, times and digests; every difference must be listed in ``EXPLAINED`` with its
reason (docs/tekton-scenarios.md has the table). All scenarios run at once: about 10 s after
the real tier's start.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from kubernetes import client

from wetest.config import settings
from wetest.kube import clients, objects
from wetest.stack import building
from wetest.stack.backends import envtest
from wetest.stack.tekton import admission, bundles, driver, scenarios
from wetest.stack.tekton.real import tier
from wetest.waiting import expectations as ex
from wetest.waiting.eventually import eventually

Body = dict[str, Any]
TIMES = {"startTime", "completionTime", "lastTransitionTime", "startedAt", "finishedAt"}
IDS = {"imageID", "containerID", "uid"}

# scenario id → scenario line (short durations: the whole test stays cheap)
SCENARIOS = {
    "timeout": "fail reason=timeout after=2s",  # fires 2 s + the resolution allowance in
    "succeed": "succeed after=300ms",
    "succeed-3-tasks": "succeed tasks=3 after=600ms",
    "task-failure": "fail reason=task after=300ms",
    "oom": "fail reason=oom after=300ms",
    "image-pull": "fail reason=image-pull after=300ms",
    "failing-task-in-the-middle": "fail reason=task tasks=3 at=2 after=600ms",
    "cancelled": "run-forever",  # cancelled (spec.status) once its pod runs
}

CANCELLED = ("cancelled",)

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
    """Times, ids and digests become placeholders; ``names`` (the registry) become tokens.

    Both sides name their runs alike (``<case>``, ``<case>-task-<i>``) on their own API server.
    """
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
        return re.sub(r"\b[0-9a-f]{64}\b", "<digest>", value)
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
    normalized: Body = normalize({"pipelinerun": pr.get("status", {}), "taskruns": by_task}, names)
    return normalized


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


def pipelinerun(name: str, scenario: str, bundle: str) -> Body:
    """A PipelineRun shaped as the WE controller makes it (DOMAIN §2.3)."""
    spec: Body = {
        "pipelineRef": bundles.pipeline_ref(bundle),
        "params": [{"name": "TARGET_RESOURCE", "value": "default/deployment/app"}],
        "taskRunTemplate": {"serviceAccountName": "default"},
    }
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


def _running(state: Any) -> bool:
    """Unknown/Running: a TaskRun whose pod runs, a PipelineRun past resolution.

    (Cancelled while its pod is Pending, a TaskRun's message would name that state.)
    """
    return any(
        c.get("type") == "Succeeded" and c.get("reason") == "Running"
        for c in ((state or {}).get("status") or {}).get("conditions") or []
    )


@dataclass(frozen=True)
class RealTekton:
    """A control plane of its own running real Tekton (its webhook admits every Tekton write)."""

    api: client.ApiClient
    registry: str
    namespace: str  # the execution namespace: Tekton's service accounts live there


@pytest.fixture(scope="module")
def real_tekton() -> Iterator[RealTekton]:
    """envtest + the real tier, apart from the session's envtest (which the stand-in plays)."""
    s = settings.load({})
    building.install_real_tekton(s.cache_dir, s.tekton_version)  # built once, then cached
    backend = envtest.create(s)
    endpoints = backend.start()
    tekton = tier.RealTekton(s, Path(tempfile.mkdtemp(prefix="wetest-real-tekton-")))
    try:
        tekton.start(endpoints)
        with clients.api_client(endpoints.kubeconfig) as api:
            yield RealTekton(api, tekton.registry, endpoints.execution_namespace)
    finally:
        tekton.stop()
        backend.stop()


@dataclass(frozen=True)
class Observed:
    real: Body
    standin: Body
    seconds: float  # from creation until both PipelineRuns were done


@pytest.fixture(scope="module")
def observed_runs(
    kube_api: client.ApiClient, real_tekton: RealTekton
) -> Iterator[dict[str, Observed]]:
    """Every scenario at once on both sides; each side's statuses once all its runs are done.

    The stand-in plays the session's envtest, real Tekton a control plane of its own (the two
    cannot share one: Tekton reconciles any PipelineRun whose TaskRuns it sees change, whatever
    its ``spec.managedBy``). Both get the real tier's timeout policy, so a timeout scenario's
    PipelineRun carries the same ``spec.timeouts.pipeline`` on both.
    """
    real_api, standin_api = real_tekton.api, kube_api
    namespace = real_tekton.namespace
    objects.create(
        standin_api, objects.ObjectRef.core("namespaces"), {"metadata": {"name": "diff"}}
    )
    admission.apply(standin_api, bundles.timeout_policy())
    played = driver.Driver(standin_api, default_delay=0.3).start()
    try:
        admission.await_timeout_policy(standin_api, "diff")
        yield _run_all(real_api, namespace, standin_api, "diff", real_tekton.registry)
    finally:
        played.stop()


def _run_all(
    real_api: client.ApiClient,
    real_ns: str,
    standin_api: client.ApiClient,
    standin_ns: str,
    registry: str,
) -> dict[str, Observed]:
    started = time.monotonic()
    sides = ((real_api, real_ns), (standin_api, standin_ns))
    with httpx.Client(timeout=10) as http:
        bundle = {case: bundles.publish(http, registry, text) for case, text in SCENARIOS.items()}
    for case, text in SCENARIOS.items():  # the timeout first: its clock starts at creation
        for api, ns in sides:
            objects.create(api, _run(ns, case), pipelinerun(case, text, bundle[case]))
    out = {}
    for case in CANCELLED:
        running = []
        for api, ns in sides:
            child = objects.ObjectRef("tekton.dev", "v1", "taskruns", ns, f"{case}-task-1")
            for ref in (child, _run(ns, case)):
                eventually(objects.Probe(api, ref), ex.satisfies(_running, "running"), timeout=60)
            running.append(observed(api, _run(ns, case), {registry: "<registry>"}))
            objects.patch(api, _run(ns, case), {"spec": {"status": "Cancelled"}})
        out[f"{case}:running"] = Observed(running[0], running[1], time.monotonic() - started)
    for case in SCENARIOS:
        statuses = []
        for api, ns in sides:
            eventually(objects.Probe(api, _run(ns, case)), ex.satisfies(_done, "done"), timeout=90)
            # a cancel or a timeout finishes the PipelineRun first, its TaskRuns a moment later
            eventually(
                _taskruns(api, ns, case),
                ex.satisfies(lambda trs: all(_done(tr) for tr in trs), "every TaskRun done"),
                timeout=30,
            )
            statuses.append(observed(api, _run(ns, case), {registry: "<registry>"}))
        out[case] = Observed(statuses[0], statuses[1], time.monotonic() - started)
    return out


def _run(namespace: str, case: str) -> objects.ObjectRef:
    return objects.ObjectRef.pipeline_run(namespace, case)


def _taskruns(api: client.ApiClient, namespace: str, case: str) -> Callable[[], list[Body]]:
    """A probe: the run's TaskRuns."""
    collection = objects.ObjectRef("tekton.dev", "v1", "taskruns", namespace)
    return lambda: objects.items(api, collection, label_selector=f"tekton.dev/pipelineRun={case}")


@pytest.mark.parametrize("case", list(SCENARIOS))
def test_standin_writes_what_real_tekton_writes(
    case: str, observed_runs: dict[str, Observed]
) -> None:
    """PipelineRun and TaskRun statuses: conditions, reasons, messages, childReferences,
    skippedTasks, steps, specs, provenance and which fields are present at all."""
    seen = observed_runs[case]
    rows = differences(seen.real, seen.standin)
    unexplained = [r for r in rows if not any(re.search(p, r[0]) for p in EXPLAINED)]
    table = "\n".join(f"{p}: real={a!r} stand-in={b!r}" for p, a, b in unexplained)
    assert not unexplained, f"{case}: the stand-in differs from real Tekton:\n{table}"
    assert seen.real["taskruns"], (
        f"{case}: real Tekton created no TaskRun; the scenario proves nothing"
    )


def test_a_running_run_looks_the_same_before_it_is_cancelled(
    observed_runs: dict[str, Observed],
) -> None:
    """The state a WE controller mirrors while Running (WE-RUN-020): PipelineRun Running with
    its first child, TaskRun Running with its step running."""
    seen = observed_runs["cancelled:running"]
    rows = differences(seen.real, seen.standin)
    unexplained = [r for r in rows if not any(re.search(p, r[0]) for p in EXPLAINED)]
    table = "\n".join(f"{p}: real={a!r} stand-in={b!r}" for p, a, b in unexplained)
    assert not unexplained, f"running: the stand-in differs from real Tekton:\n{table}"
