"""List-then-watch loops with resourceVersion resume and a re-list on 410 Gone.

One thread per watched collection. The initial list (and every re-list) delivers each object as
an ``ADDED`` event, and an object a re-list no longer finds as ``DELETED`` (it was deleted
while the watch was down), so consumers are level-triggered: they only ever learn "this key
changed".

An API server that restarts (etcd kept) is survived: while it is unreachable the loop retries
with exponential backoff (logged once per outage, and once when it is back), and a resume
point the new server no longer knows (410 Gone) makes it list again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from kubernetes import watch
from kubernetes.client.exceptions import ApiException

log = logging.getLogger("workflowexecution.watch")

Body = dict[str, Any]
Handler = Callable[[str, Body], None]
Lister = Callable[..., Any]
LIST_TIMEOUT = 30.0  # seconds; a list sent to a starting API server must not hang
RETRY_FIRST, RETRY_CAP = 0.5, 5.0  # backoff while the API server is unreachable


class Watcher:
    """Keep ``handler`` informed about every object of ``lister`` until ``stop``."""

    def __init__(
        self, name: str, lister: Lister, handler: Handler, give_up: bool = False, **list_kwargs: Any
    ) -> None:
        self.name, self.lister, self.handler, self.kwargs = name, lister, handler, list_kwargs
        self.give_up = give_up  # the watch-gives-up mutant: stop at the first failure
        self._stop = threading.Event()
        self._synced = threading.Event()
        self._watch: Any = None
        self._known: dict[str, Body] = {}  # namespace/name -> last object seen
        self._delay = RETRY_FIRST
        self._down_since = 0.0
        self._thread = threading.Thread(target=self._guarded, name=f"watch-{name}", daemon=True)

    def start(self) -> Watcher:
        self._thread.start()
        return self

    def wait_synced(self, timeout: float) -> bool:
        return self._synced.wait(timeout)

    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        if self._watch:
            self._watch.stop()
        self._thread.join(5)

    def _guarded(self) -> None:
        """Run the loop; a loop that ends while not stopping is logged, never silent."""
        try:
            self._run()
        finally:
            if not self._stop.is_set():
                log.critical("%s: the watch stopped unexpectedly", self.name)

    def _run(self) -> None:
        rv: str | None = None
        while not self._stop.is_set():
            try:
                rv = rv or self._relist()
                self._recovered()
                rv = self._watch_from(rv)
            except ApiException as exc:
                if exc.status == 410:
                    log.info("%s: resourceVersion %s expired, re-listing", self.name, rv)
                    rv = None
                    continue
                self._failed(f"HTTP {exc.status} {exc.reason}")
            except Exception as exc:
                self._failed(f"{type(exc).__name__}: {exc}")

    def _failed(self, what: str) -> None:
        """Back off (0.5 s doubling to 5 s); log the first failure of an outage only."""
        if self.give_up:
            log.error("%s: watch failed (%s); giving up", self.name, what)
            self._stop.set()
            return
        if not self._down_since:
            self._down_since = time.monotonic()
            log.warning("%s: watch failed (%s); retrying with backoff", self.name, what)
        self._stop.wait(self._delay)
        self._delay = min(self._delay * 2, RETRY_CAP)

    def _recovered(self) -> None:
        if self._down_since:
            down = time.monotonic() - self._down_since
            log.info("%s: the API server answers again after %.1fs", self.name, down)
        self._delay, self._down_since = RETRY_FIRST, 0.0

    def _relist(self) -> str:
        listed: Body = self.lister(_request_timeout=LIST_TIMEOUT, **self.kwargs)
        items = {_key(item): item for item in listed.get("items", [])}
        for key, old in list(self._known.items()):
            if key not in items:
                self._known.pop(key)
                self.handler("DELETED", old)
        for key, item in items.items():
            self._known[key] = item
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
            if kind == "DELETED":
                self._known.pop(_key(obj), None)
            elif kind != "BOOKMARK":
                self._known[_key(obj)] = obj
            if kind != "BOOKMARK":
                self.handler(kind, obj)
        return rv


def _key(obj: Body) -> str:
    meta = obj.get("metadata", {})
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"
