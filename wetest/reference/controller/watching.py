"""List-then-watch loops with resourceVersion resume and a re-list on 410 Gone.

One thread per watched collection. The initial list (and every re-list) delivers each object as
an ``ADDED`` event, so consumers are level-triggered: they only ever learn "this key changed".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from kubernetes import watch
from kubernetes.client.exceptions import ApiException

log = logging.getLogger("workflowexecution.watch")

Body = dict[str, Any]
Handler = Callable[[str, Body], None]
Lister = Callable[..., Any]


class Watcher:
    """Keep ``handler`` informed about every object of ``lister`` until ``stop``."""

    def __init__(self, name: str, lister: Lister, handler: Handler, **list_kwargs: Any) -> None:
        self.name, self.lister, self.handler, self.kwargs = name, lister, handler, list_kwargs
        self._stop = threading.Event()
        self._synced = threading.Event()
        self._watch: Any = None
        self._thread = threading.Thread(target=self._run, name=f"watch-{name}", daemon=True)

    def start(self) -> Watcher:
        self._thread.start()
        return self

    def wait_synced(self, timeout: float) -> bool:
        return self._synced.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        if self._watch:
            self._watch.stop()
        self._thread.join(5)

    def _run(self) -> None:
        rv: str | None = None
        while not self._stop.is_set():
            try:
                rv = rv or self._relist()
                rv = self._watch_from(rv)
            except ApiException as exc:
                if exc.status == 410:
                    log.info("%s: resourceVersion %s expired, re-listing", self.name, rv)
                    rv = None
                    continue
                log.warning("%s: watch failed (%s), retrying", self.name, exc.reason)
                self._stop.wait(1.0)
            except Exception as exc:
                log.warning("%s: watch error %s: %s, retrying", self.name, type(exc).__name__, exc)
                self._stop.wait(1.0)

    def _relist(self) -> str:
        listed: Body = self.lister(**self.kwargs)
        for item in listed.get("items", []):
            self.handler("ADDED", item)
        self._synced.set()
        return str(listed["metadata"]["resourceVersion"])

    def _watch_from(self, rv: str) -> str | None:
        """Stream events from rv; return the resume point, or None to force a re-list."""
        self._watch = watch.Watch()
        stream = self._watch.stream(
            self.lister,
            resource_version=rv,
            timeout_seconds=30,
            allow_watch_bookmarks=True,
            _request_timeout=45,
            **self.kwargs,
        )
        for event in stream:
            if self._stop.is_set():
                break
            obj, kind = event["object"], event["type"]
            if kind == "ERROR":
                return None if obj.get("code") == 410 else rv
            rv = obj.get("metadata", {}).get("resourceVersion", rv)
            if kind != "BOOKMARK":
                self.handler(kind, obj)
        return rv
