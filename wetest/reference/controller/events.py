"""Kubernetes Events on the WorkflowExecution (WE-EVT-001), sent from a background thread.

Like client-go's broadcaster, recording never blocks or fails a reconcile: events are queued
and a failed send is only logged.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
from typing import Any

from kubernetes import client

from wetest.domain import resources as r
from wetest.domain import timestamps
from wetest.kube import objects
from wetest.kube.errors import KubeAPIError

log = logging.getLogger("workflowexecution.events")

Body = dict[str, Any]


class EventRecorder:
    """``record(we, type, reason, message)``; ``close()`` drains what is queued."""

    def __init__(self, api_client: client.ApiClient) -> None:
        # A plain POST, not client.CoreV1Api: importing that module alone costs 0.3 s, paid by
        # every controller start (and restart) for one endpoint.
        self._api = api_client
        self._queue: queue.Queue[Body | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="event-recorder", daemon=True)
        self._thread.start()

    def record(self, we: Body, etype: str, reason: str, message: str) -> None:
        self._queue.put(event_body(we, etype, reason, message))

    def close(self, timeout: float = 5.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while (body := self._queue.get()) is not None:
            ref = objects.ObjectRef.core("events", namespace=body["metadata"]["namespace"])
            try:
                objects.create(self._api, ref, body)
            except KubeAPIError as exc:
                log.warning("event %s not recorded: %s", body["reason"], exc)


def event_body(we: Body, etype: str, reason: str, message: str) -> Body:
    meta = we["metadata"]
    now = timestamps.rfc3339(timestamps.now())
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"{meta['name']}.{secrets.token_hex(8)}",
            "namespace": meta["namespace"],
        },
        "involvedObject": {
            "apiVersion": f"{r.GROUP}/{r.VERSION}",
            "kind": r.KIND,
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"),
        },
        "type": etype,
        "reason": reason,
        "message": message,
        "source": {"component": r.COMPONENT},
        "reportingComponent": r.COMPONENT,
        "reportingInstance": r.COMPONENT,
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    }
