"""The Tekton stand-in for envtest: plays Tekton's controller on PipelineRun and TaskRun status.

No Tekton controller runs on envtest, so this driver watches PipelineRuns and writes their
status the way Tekton v1.15 does (shared/TEKTON-STATUS.md), following each PipelineRun's
scenario (``scenarios.py``, docs/tekton-scenarios.md): on first sight it creates the first
TaskRun (owned by the PipelineRun) and writes ``Unknown/Running`` with ``startTime`` and
``childReferences``; when the scenario's delay has passed it creates the remaining TaskRuns,
finishes them and writes the final ``Succeeded`` condition with ``completionTime``. A
PipelineRun whose ``spec.status`` is ``Cancelled`` is cancelled at once, as Tekton does. At
start it installs the one admission check of Tekton's webhook the suites meet (unique parameter
names, ``admission.py``).

Isolation (``wetest.supervision.isolation``): a test that pauses Tekton gets a private driver
that plays only the PipelineRuns of its slot's WorkflowExecutions (``--source-namespace NS``:
their ``kubernaut.ai/source-namespace`` label), while the main driver leaves those alone
(``--ignore-source-namespaces A,B``, the pool). Both are label selectors on the list and the
watch, so neither driver even sees the other's PipelineRuns; a PipelineRun without the label
(a test's own) is the main driver's.

Library: ``Driver(api_client, default_delay=0.5).start()`` / ``.stop()`` (threads).
Program: ``python -m wetest.stack.tekton.driver --kubeconfig K [--default-delay 0.5s]
[--namespace NS] [--default-scenario "succeed"] [--source-namespace NS |
--ignore-source-namespaces A,B]``.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

from wetest.domain import durations, resources
from wetest.doorbell import Doorbell
from wetest.kube import clients
from wetest.stack import apiaudit
from wetest.stack.tekton import admission, bundles, scenarios, statuses

log = logging.getLogger("wetest.tekton.driver")
Body = dict[str, Any]
G, V = "tekton.dev", "v1"
LIST_TIMEOUT = 30.0  # seconds; a list sent to an API server that is starting must not hang
RETRY_FIRST, RETRY_CAP = 0.5, 5.0  # backoff while the API server is unreachable
TEKTON = "tekton.dev/pipeline"  # spec.managedBy of the runs Tekton's controller takes
SOURCE_LABEL = resources.LABEL_SOURCE_NAMESPACE  # the WE's namespace, on its PipelineRun


def source_selector(only: str = "", ignore: Sequence[str] = ()) -> str:
    """The label selector of the PipelineRuns a driver plays: one slot's, or all but the pool's."""
    if only:
        return f"{SOURCE_LABEL}={only}"
    if ignore:
        return f"{SOURCE_LABEL} notin ({','.join(sorted(ignore))})"
    return ""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Driver:
    """Watches PipelineRuns (all namespaces, or one) and drives them through their scenario."""

    def __init__(
        self,
        api_client: client.ApiClient,
        default_delay: float = 0.5,
        namespace: str = "",
        default_scenario: str = "succeed",
        selector: str = "",
    ) -> None:
        self.api = api_client
        self.selector = selector  # source_selector(): which WEs' PipelineRuns are this driver's
        self.custom: Any = client.CustomObjectsApi(api_client)
        self.default_delay, self.namespace = default_delay, namespace
        self.default_scenario = default_scenario
        scenarios.parse(default_scenario)
        self._cond = threading.Condition()
        self._timers: list[tuple[float, int, tuple[str, str, str], str]] = []
        self._seq = itertools.count()
        self._seen: dict[str, str] = {}  # PR uid -> "scheduled" | "done"
        self._stop = threading.Event()
        self._watch: Any = None
        self._retries: dict[tuple[str, str, str], float] = {}  # PR key -> next backoff
        self.failed = threading.Event()  # a loop ended while not stopping (see _guarded)
        self.on_failure: Callable[[], None] = lambda: None
        self._threads = [
            threading.Thread(
                target=self._guarded, args=(self._watch_loop,), name="tekton-watch", daemon=True
            ),
            threading.Thread(
                target=self._guarded, args=(self._timer_loop,), name="tekton-timers", daemon=True
            ),
        ]

    def start(self) -> Driver:
        """Install the webhook's parameter check (``admission.py``), then watch and act."""
        admission.install(self.api)
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._watch is not None:
            self._watch.stop()
        with self._cond:
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(5)

    def _guarded(self, loop: Any) -> None:
        """Run one loop; one that ends while the driver is not stopping is reported, not silent.

        The program then exits non-zero and the supervisor reports the dead component.
        """
        try:
            loop()
        except BaseException:
            log.exception("%s stopped unexpectedly", loop.__name__)
        if not self._stop.is_set():
            log.critical("%s ended while the stand-in was running", loop.__name__)
            self.failed.set()
            self.on_failure()

    # --- watching ----------------------------------------------------------------------------

    def _list_fn(self) -> tuple[Any, dict[str, Any]]:
        selected = {"label_selector": self.selector} if self.selector else {}
        if self.namespace:
            return self.custom.list_namespaced_custom_object, {
                "group": G,
                "version": V,
                "namespace": self.namespace,
                "plural": "pipelineruns",
                **selected,
            }
        return self.custom.list_cluster_custom_object, {
            "group": G,
            "version": V,
            "plural": "pipelineruns",
            **selected,
        }

    def _watch_loop(self) -> None:
        """List then watch, forever: re-list on 410 Gone, back off while the server is down.

        An outage is logged once when it starts and once when it ends (with its length), not
        at every attempt.
        """
        fn, kwargs = self._list_fn()
        delay, down_since = RETRY_FIRST, 0.0
        while not self._stop.is_set():
            try:
                listed = fn(_request_timeout=LIST_TIMEOUT, **kwargs)
            except Exception as exc:
                if not down_since:
                    down_since = time.monotonic()
                    log.warning("pipelinerun list failed (%s); retrying with backoff", exc)
                self._stop.wait(delay)
                delay = min(delay * 2, RETRY_CAP)
                continue
            if down_since:
                log.info("pipelinerun list works again after %.1fs", time.monotonic() - down_since)
            delay, down_since = RETRY_FIRST, 0.0
            for item in listed.get("items", []):
                self._observe(item)
            try:
                self._stream(fn, kwargs, listed["metadata"]["resourceVersion"])
            except Exception as exc:  # 410 Gone, a broken connection, a restarting server
                log.warning("pipelinerun watch ended (%s); re-listing", exc)
                self._stop.wait(RETRY_FIRST)  # a watch that fails at once must not spin

    def _stream(self, fn: Any, kwargs: dict[str, Any], rv: str) -> None:
        while not self._stop.is_set():
            self._watch = watch.Watch()
            for event in self._watch.stream(
                fn, resource_version=rv, timeout_seconds=30, _request_timeout=45, **kwargs
            ):
                obj = event["object"]
                if event["type"] == "ERROR":
                    return  # 410 Gone or similar: re-list
                rv = obj["metadata"].get("resourceVersion", rv)
                if event["type"] in ("ADDED", "MODIFIED"):
                    self._observe(obj)

    def _observe(self, pr: Body) -> None:
        """Schedule a PipelineRun the first time it is seen non-terminal; honour cancel."""
        meta, status = pr["metadata"], pr.get("status") or {}
        if _terminal(status) or (pr.get("spec") or {}).get("managedBy", TEKTON) != TEKTON:
            return
        key = (meta["namespace"], meta["name"], meta["uid"])
        if (pr.get("spec") or {}).get("status") == "Cancelled":
            self._schedule(key, 0.0, "cancel-now")
            return
        if meta["uid"] in self._seen:
            return
        self._seen[meta["uid"]] = "scheduled"
        self._schedule(key, 0.0, "start")

    def _schedule(self, key: tuple[str, str, str], delay: float, action: str) -> None:
        with self._cond:
            heapq.heappush(self._timers, (time.monotonic() + delay, next(self._seq), key, action))
            self._cond.notify()

    # --- acting ------------------------------------------------------------------------------

    def _timer_loop(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                while not self._stop.is_set() and (
                    not self._timers or self._timers[0][0] > time.monotonic()
                ):
                    wait = self._timers[0][0] - time.monotonic() if self._timers else 0.5
                    self._cond.wait(max(0.001, min(wait, 0.5)))
                if self._stop.is_set():
                    return
                _, _, key, action = heapq.heappop(self._timers)
            try:
                self._act(key, action)
            except Exception as exc:
                self._retry(key, action, exc)
            else:
                self._retries.pop(key, None)

    def _retry(self, key: tuple[str, str, str], action: str, exc: Exception) -> None:
        """Schedule a failed action again with backoff: an action is never dropped.

        Each action re-reads the PipelineRun and does nothing when it is gone or finished, so
        retrying is safe; dropping one (as before) left a PipelineRun Running forever when the
        API server restarted between its creation and its start.
        """
        delay = self._retries.get(key, RETRY_FIRST)
        self._retries[key] = min(delay * 2, RETRY_CAP)
        log.warning(
            "stand-in action %s on %s/%s failed (%s: %s); retrying in %.1fs",
            action,
            key[0],
            key[1],
            type(exc).__name__,
            exc,
            delay,
        )
        self._schedule(key, delay, action)

    def _act(self, key: tuple[str, str, str], action: str) -> None:
        pr = self._get(key[0], "pipelineruns", key[1])
        if pr is None or pr["metadata"]["uid"] != key[2] or _terminal(pr.get("status") or {}):
            return
        try:
            scenario = scenarios.of(pr, self.default_scenario)
        except ValueError as exc:
            log.error("%s/%s: %s; using %r", key[0], key[1], exc, self.default_scenario)
            scenario = scenarios.parse(self.default_scenario)
        if action == "start":
            self._start(pr, scenario)
        else:
            self._finish(pr, scenario, "cancel" if action == "cancel-now" else None)

    def _start(self, pr: Body, scenario: scenarios.Scenario) -> None:
        now = _now()
        first = self._taskrun(pr, 1, statuses.tr_running, now, scenario)
        status = statuses.pr_running(now, now, [first], scenario.tasks)
        self._write_status(pr, "pipelineruns", {**status, **_resolved_pipeline(pr, scenario)})
        if scenario.finishes:
            delay = self.default_delay if scenario.after is None else scenario.after
            meta = pr["metadata"]
            self._schedule((meta["namespace"], meta["name"], meta["uid"]), delay, "finish")

    def _finish(self, pr: Body, scenario: scenarios.Scenario, forced: str | None) -> None:
        outcome = forced or _outcome(scenario)
        now, start = _now(), (pr.get("status") or {}).get("startTime") or _now()
        ran = 1 if outcome in ("timeout", "cancel") else scenario.failing
        if outcome == "succeed":
            ran = scenario.tasks
        children = []
        for index in range(1, ran + 1):
            last = index == ran
            task_outcome = outcome if last and outcome != "succeed" else "succeed"
            children.append(
                self._taskrun(
                    pr,
                    index,
                    lambda n, s, t, o=task_outcome: statuses.tr_done(n, s, t, o),
                    start,
                    scenario,
                )
            )
        skipped = 0 if outcome in ("timeout", "cancel") else scenario.tasks - ran
        state, reason, message = statuses.pr_final(
            pr["metadata"]["name"], outcome, ran, skipped, _pipeline_timeout(pr)
        )
        body = statuses.pr_done(start, now, children, state, reason, message)
        body.update(_resolved_pipeline(pr, scenario))
        if skipped:
            body["skippedTasks"] = statuses.skipped(range(ran + 1, scenario.tasks + 1))
        self._write_status(pr, "pipelineruns", body)
        self._seen[pr["metadata"]["uid"]] = "done"

    def _taskrun(
        self, pr: Body, index: int, build: Any, start: str, scenario: scenarios.Scenario
    ) -> Body:
        """Create (or reuse) TaskRun ``<pr>-task-<i>`` and write its status; return the ref."""
        name, task = f"{pr['metadata']['name']}-task-{index}", f"task-{index}"
        ns = pr["metadata"]["namespace"]
        tr = self._get(ns, "taskruns", name) or self._create_taskrun(pr, name, task)
        status = build(name, start, _now())
        resolved = _resolution(pr, scenario)
        if resolved is not None:
            status["taskSpec"] = resolved.task_specs[index - 1]
            status["provenance"] = resolved.task_provenance(index)
        self._write_status(tr, "taskruns", status)
        return statuses.child(name, task)

    def _create_taskrun(self, pr: Body, name: str, task: str) -> Body:
        meta = pr["metadata"]
        labels = {
            **(meta.get("labels") or {}),
            "tekton.dev/pipelineRun": meta["name"],
            "tekton.dev/pipelineRunUID": meta["uid"],
            "tekton.dev/pipelineTask": task,
            "tekton.dev/memberOf": "tasks",
            "app.kubernetes.io/managed-by": "tekton-pipelines",
        }
        sa = ((pr.get("spec") or {}).get("taskRunTemplate") or {}).get("serviceAccountName")
        body = {
            "apiVersion": f"{G}/{V}",
            "kind": "TaskRun",
            "metadata": {
                "name": name,
                "namespace": meta["namespace"],
                "labels": labels,
                "annotations": dict(meta.get("annotations") or {}),
                "ownerReferences": [
                    {
                        "apiVersion": f"{G}/{V}",
                        "kind": "PipelineRun",
                        "name": meta["name"],
                        "uid": meta["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "spec": {
                "serviceAccountName": sa or "default",
                "taskSpec": {"steps": [{"name": statuses.STEP, "image": "busybox"}]},
            },
        }
        created: Body = self.custom.create_namespaced_custom_object(
            G, V, meta["namespace"], "taskruns", body
        )
        return created

    def _get(self, ns: str, plural: str, name: str) -> Body | None:
        try:
            found: Body = self.custom.get_namespaced_custom_object(G, V, ns, plural, name)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return found

    def _write_status(self, obj: Body, plural: str, status: Body) -> None:
        """PUT /status with read-modify-write and retry on conflict (WE-STAT-005)."""
        meta = obj["metadata"]
        for _ in range(10):
            try:
                self.custom.replace_namespaced_custom_object_status(
                    G, V, meta["namespace"], plural, meta["name"], {**obj, "status": status}
                )
                return
            except ApiException as exc:
                if exc.status != 409:
                    raise
                fresh = self._get(meta["namespace"], plural, meta["name"])
                if fresh is None or _terminal(fresh.get("status") or {}):
                    return  # gone, or finished by someone else: Tekton never reopens a run
                obj = fresh


def _resolution(pr: Body, scenario: scenarios.Scenario) -> bundles.Resolution | None:
    """What the bundles resolver would give for the PipelineRun's ``bundle`` param, if any."""
    ref = (pr.get("spec") or {}).get("pipelineRef") or {}
    if ref.get("resolver") != "bundles":
        return None
    params = {p.get("name"): p.get("value") for p in ref.get("params") or []}
    bundle = params.get("bundle")
    return bundles.resolution(bundle, scenario) if isinstance(bundle, str) and bundle else None


def _resolved_pipeline(pr: Body, scenario: scenarios.Scenario) -> Body:
    """``pipelineSpec`` and ``provenance`` as Tekton writes them once the Pipeline resolved."""
    resolved = _resolution(pr, scenario)
    if resolved is None:
        return {}
    return {"pipelineSpec": resolved.pipeline_spec, "provenance": resolved.pipeline_provenance()}


def _pipeline_timeout(pr: Body) -> str:
    """``spec.timeouts.pipeline`` as Tekton prints it; its default when unset (WE-PR-009)."""
    value = ((pr.get("spec") or {}).get("timeouts") or {}).get("pipeline")
    return durations.go_string(durations.parse_go_duration(value)) if value else "1h0m0s"


def _terminal(status: Body) -> bool:
    return any(
        c.get("type") == "Succeeded" and c.get("status") in ("True", "False")
        for c in status.get("conditions") or []
    )


def _outcome(scenario: scenarios.Scenario) -> str:
    if scenario.verb == "fail":
        return scenario.reason
    return "cancel" if scenario.verb == "cancel" else "succeed"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m wetest.stack.tekton.driver", description="Tekton stand-in for envtest."
    )
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--default-delay", default="0.5s", help="Go duration (default 0.5s)")
    parser.add_argument("--default-scenario", default="succeed")
    parser.add_argument("--namespace", default="", help="only this namespace (default: all)")
    parser.add_argument(
        "--source-namespace", default="", help="only the PipelineRuns of this WE namespace"
    )
    parser.add_argument(
        "--ignore-source-namespaces",
        dest="ignore",
        default="",
        help="comma-separated WE namespaces whose PipelineRuns another driver plays",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("WETEST_STANDIN_LOG_LEVEL", "INFO").upper(),  # debug: HTTP calls
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    driver = Driver(
        clients.api_client(args.kubeconfig, user_agent=apiaudit.USER_AGENTS["tekton"]),
        durations.parse_go_duration(args.default_delay),
        args.namespace,
        args.default_scenario,
        source_selector(args.source_namespace, [n for n in args.ignore.split(",") if n]),
    ).start()
    # rung from signal handlers, where a threading.Event can deadlock
    stop = Doorbell().ring_on(signal.SIGTERM, signal.SIGINT)
    log.info("tekton stand-in running (default delay %ss)", driver.default_delay)
    driver.on_failure = stop.ring
    stop.wait()
    driver.stop()
    if driver.failed.is_set():
        log.critical("the stand-in stopped working; exiting so the supervisor reports it")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
