"""Wires the controller together: watches → work queue → N workers → reconciler.

Usable as a library (``Manager(options, api_client).start()`` / ``stop()``) for in-process tests
and as the body of ``python -m wetest.reference.controller``.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from kubernetes import client

from wetest.domain import resources as r
from wetest.kube.errors import ResourceConflict
from wetest.reference.controller import health, pipelineruns, strategy
from wetest.reference.controller.audit import AuditClient
from wetest.reference.controller.cache import ObjectCache, WECache
from wetest.reference.controller.events import EventRecorder
from wetest.reference.controller.kubeio import Kube
from wetest.reference.controller.metrics import Metrics
from wetest.reference.controller.options import Options
from wetest.reference.controller.queue import WorkQueue
from wetest.reference.controller.reconciler import Config
from wetest.reference.controller.requests import Request
from wetest.reference.controller.watching import Watcher

log = logging.getLogger("workflowexecution.manager")
Body = dict[str, Any]


class TektonNotServed(RuntimeError):
    """WE-RUN-001: the controller refuses to start without ``tekton.dev/v1`` pipelineruns."""


class Manager:
    def __init__(self, options: Options, api_client: client.ApiClient) -> None:
        self.options = options
        reconciler = strategy.reconciler_class(options.mutant, options.variant)
        self.variant = strategy.variant(options.variant)
        self.metrics = Metrics()
        self.cache = WECache()
        self.pipelineruns = ObjectCache()
        self.kube = (
            Kube(api_client, options.execution_namespace)
            if self.variant.fresh_reads
            else Kube(api_client, options.execution_namespace, self.cache, self.pipelineruns)
        )
        self.queue: WorkQueue[Request] = WorkQueue()
        self.audit: AuditClient = self.variant.audit_client(
            options.datastorage_url, options.spool_dir
        )
        self.events = EventRecorder(api_client)
        config = Config(options.execution_namespace, options.service_account, options.cooldown)
        self.reconciler = reconciler(
            self.kube, self.audit, self.events, self.metrics, self.cache, config
        )
        self._stopping = threading.Event()
        self._workers: list[threading.Thread] = []
        self._watchers: list[Watcher] = []
        self._servers: list[health.Server] = []
        self._ready = threading.Event()

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self, sync_timeout: float = 30.0) -> Manager:
        if not self.kube.pipelineruns_served():
            raise TektonNotServed(
                "The Tekton PipelineRun API (tekton.dev/v1, pipelineruns) is not served by the "
                "API server. Install the Tekton Pipelines CRDs, then start the controller again."
            )
        self._servers = [
            health.Server(
                self.options.health_probe_bind_address, health.health_routes(self._ready.is_set)
            ).start(),
            health.Server(
                self.options.metrics_bind_address,
                health.metrics_routes(self.metrics.registry, self.variant.render_metrics),
            ).start(),
        ]
        self.audit.start()
        self._watchers = [w.start() for w in self._make_watchers()]
        for watcher in self._watchers:
            watcher.wait_synced(sync_timeout)
        self._workers = [
            threading.Thread(target=self._work, name=f"worker-{i}", daemon=True)
            for i in range(self.options.workers)
        ]
        for worker in self._workers:
            worker.start()
        self._ready.set()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._ready.clear()
        for watcher in self._watchers:
            watcher.stop()
        self.queue.shutdown()
        for worker in self._workers:
            worker.join(10)
        self.events.close()
        self.audit.close()
        for server in self._servers:
            server.stop()

    @property
    def health_address(self) -> str:
        return self._servers[0].address if self._servers else ""

    @property
    def metrics_address(self) -> str:
        return self._servers[1].address if self._servers else ""

    # --- watches -----------------------------------------------------------------------------

    def _make_watchers(self) -> list[Watcher]:
        custom = self.kube.custom
        give_up = self.reconciler.watch_gives_up
        wes = [
            Watcher(
                f"we-{ns}",
                custom.list_namespaced_custom_object,
                self._on_we,
                give_up,
                group=r.GROUP,
                version=r.VERSION,
                namespace=ns,
                plural=r.PLURAL,
            )
            for ns in self.options.namespaces
        ] or [
            Watcher(
                "we",
                custom.list_cluster_custom_object,
                self._on_we,
                give_up,
                group=r.GROUP,
                version=r.VERSION,
                plural=r.PLURAL,
                **ignoring(self.options.ignore_namespaces),
            )
        ]
        prs = Watcher(
            "pipelineruns",
            custom.list_namespaced_custom_object,
            self._on_pr,
            give_up,
            group=r.TEKTON_GROUP,
            version=r.TEKTON_VERSION,
            namespace=self.options.execution_namespace,
            plural=r.PIPELINERUNS,
            label_selector=r.LABEL_WORKFLOW_EXECUTION,
        )
        return [*wes, prs]

    def _on_we(self, kind: str, obj: Body) -> None:
        if kind == "DELETED":
            self.cache.remove(obj)
        else:
            self.cache.upsert(obj)
        meta = obj["metadata"]
        self.queue.add(Request(meta["namespace"], meta["name"]))

    def _on_pr(self, kind: str, obj: Body) -> None:
        if kind == "DELETED":
            self.pipelineruns.remove(obj)
        else:
            self.pipelineruns.upsert(obj)
        key = pipelineruns.request_for(obj)
        # a PipelineRun's owner may live in a namespace another instance reconciles
        if key and owns(self.options, key[0]):
            self.queue.add(Request(*key))

    # --- workers -----------------------------------------------------------------------------

    def _work(self) -> None:
        while not self._stopping.is_set():
            request = self.queue.get(0.5)
            if request is not None:
                try:
                    self._process(request)
                finally:
                    self.queue.done(request)

    def _process(self, request: Request) -> None:
        try:
            result = self.reconciler.reconcile(request)
        except ResourceConflict as exc:
            # INFO, not ERROR: a 409 is expected under concurrency (WE-STAT-001). It is still
            # logged with the API's text, so a triage report can show the conflicting write.
            log.info("conflict on %s (%s); re-queued for a fresh read", request, exc)
            self.queue.add_rate_limited(request)
            return
        except Exception:
            log.exception("reconcile of %s failed; will retry", request)
            self.queue.add_rate_limited(request)
            return
        self.queue.forget(request)
        if result.requeue_after > 0:
            self.queue.add_after(request, result.requeue_after)
        elif result.requeue:
            self.queue.add(request)


def ignoring(namespaces: tuple[str, ...]) -> dict[str, str]:
    """The list/watch argument that keeps ignored namespaces out of the cluster-wide watch.

    The API server filters (``metadata.namespace!=``, which custom resources support), so
    the WorkflowExecutions another instance reconciles never reach this one's cache.
    """
    if not namespaces:
        return {}
    return {"field_selector": ",".join(f"metadata.namespace!={n}" for n in namespaces)}


def owns(options: Options, namespace: str) -> bool:
    """Whether this instance reconciles the WorkflowExecutions of ``namespace``."""
    if namespace in options.ignore_namespaces:
        return False
    return not options.namespaces or namespace in options.namespaces
