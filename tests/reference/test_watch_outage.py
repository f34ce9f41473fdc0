"""The reference controller's watches survive an API-server restart (issue 16).

A fake lister stands in for the API server: down (connection refused), then back with a
different set of objects; the watch stream answers 410 Gone as a restarted server does for a
resume point it never issued.
"""

from __future__ import annotations

import threading
from typing import Any

import urllib3
from kubernetes.client.exceptions import ApiException

from wetest.reference.controller import watching
from wetest.reference.controller.watching import Watcher


def item(name: str) -> dict[str, Any]:
    return {"metadata": {"namespace": "ns", "name": name, "resourceVersion": "1"}}


def test_a_restart_is_retried_and_a_relist_reports_what_was_deleted_meanwhile(
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(watching, "RETRY_FIRST", 0.05)
    down = threading.Event()
    listed = [[item("a"), item("b")]]
    seen: list[tuple[str, str]] = []
    relisted = threading.Semaphore(0)

    def lister(**_: Any) -> dict[str, Any]:
        if down.is_set():
            raise urllib3.exceptions.MaxRetryError(None, "/apis", "Connection refused")  # type: ignore[arg-type]
        relisted.release()
        return {"items": listed[0], "metadata": {"resourceVersion": "5"}}

    watcher = Watcher("we", lister, lambda kind, obj: seen.append((kind, obj["metadata"]["name"])))

    def watch_from(rv: str) -> str | None:
        if len(seen) == 2:  # the first stream breaks: the server restarts without "b"
            down.set()
            listed[0] = [item("a"), item("c")]
            threading.Timer(0.3, down.clear).start()
            raise ApiException(status=410, reason="Gone")
        watcher._stop.wait(5)
        return rv

    monkeypatch.setattr(watcher, "_watch_from", watch_from)
    watcher.start()
    try:
        assert relisted.acquire(timeout=10)
        assert relisted.acquire(timeout=10)
    finally:
        watcher.stop()
    assert seen == [
        ("ADDED", "a"),
        ("ADDED", "b"),
        ("DELETED", "b"),
        ("ADDED", "a"),
        ("ADDED", "c"),
    ]
