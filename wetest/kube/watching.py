"""Watch one object or a label-selected collection, resuming across disconnects.

Why not ``kubernetes.watch.Watch``: waits must end at their deadline to the millisecond and be
stoppable from another thread, so each connection here carries a client read timeout no longer
than the time left (or a short slice when a stop event is given), and resumes from the last
resourceVersion seen (bookmarks included). A 410 Gone (the resourceVersion was compacted) makes
it list again and synthesise ADDED/MODIFIED/DELETED events against what it knew, as an informer
does. This module knows nothing of expectations; ``wetest.waiting`` consumes ``states``.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wetest.kube import objects
from wetest.kube.errors import Gone, KubeAPIError, from_response
from wetest.kube.objects import Body, ObjectRef, Probe

if TYPE_CHECKING:  # annotations only, as in objects
    from kubernetes import client

Event = tuple[str, Body]
STOP_SLICE = 0.25  # how often a watch with a stop event checks it when no event arrives
SERVER_TIMEOUT = 290  # seconds; the API server closes idle watches itself after 5-10 minutes
RETRY_FIRST, RETRY_CAP = 0.1, 2.0  # seconds; backoff while the API server is unreachable


class _Gone(Exception):
    """The resourceVersion we resume from is too old (HTTP 410 or an ERROR event with 410)."""


@dataclass
class _Cursor:
    """Where a watch resumes from, and what it knows (for re-list diffs after 410)."""

    resource_version: str
    known: dict[str, Body] = field(default_factory=dict)

    def remember(self, kind: str, obj: Body) -> None:
        self.resource_version = (
            obj.get("metadata", {}).get("resourceVersion") or self.resource_version
        )
        if kind == "DELETED":
            self.known.pop(_key(obj), None)
        elif kind != "BOOKMARK":
            self.known[_key(obj)] = obj


@dataclass(frozen=True)
class _Limits:
    """When the stream ends: a monotonic deadline, a stop event, or neither."""

    deadline: float | None = None
    stop: threading.Event | None = None

    def over(self) -> bool:
        late = self.deadline is not None and time.monotonic() >= self.deadline
        return late or (self.stop is not None and self.stop.is_set())

    def read_timeout(self) -> float | None:
        left = None if self.deadline is None else max(self.deadline - time.monotonic(), 0.001)
        if self.stop is not None:
            return STOP_SLICE if left is None else min(left, STOP_SLICE)
        return left

    def pause(self, seconds: float) -> None:
        """Wait before a retry, never past the deadline, waking early on a stop."""
        if self.deadline is not None:
            seconds = min(seconds, max(self.deadline - time.monotonic(), 0.0))
        if self.stop is not None:
            self.stop.wait(seconds)
        else:
            time.sleep(seconds)

    def server_timeout(self) -> int:
        if self.deadline is None:
            return SERVER_TIMEOUT
        return max(1, min(SERVER_TIMEOUT, math.ceil(self.deadline - time.monotonic())))


def _key(obj: Body) -> str:
    meta = obj.get("metadata", {})
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def _selectors(ref: ObjectRef, label_selector: str) -> dict[str, str]:
    query = {"labelSelector": label_selector}
    if ref.name:
        query["fieldSelector"] = f"metadata.name={ref.name}"
    return {k: v for k, v in query.items() if v}


def list_for_watch(api: client.ApiClient, ref: ObjectRef, label_selector: str = "") -> Body:
    """List what a watch on ref would see (one object by name, or by labels)."""
    query = _selectors(ref, label_selector)
    return objects.list_objects(
        api,
        ref,
        label_selector=query.get("labelSelector", ""),
        field_selector=query.get("fieldSelector", ""),
    )


def events(
    api: client.ApiClient,
    ref: ObjectRef,
    *,
    resource_version: str,
    label_selector: str = "",
    known: Iterable[Body] = (),
    deadline: float | None = None,
    stop: threading.Event | None = None,
) -> Iterator[Event]:
    """Yield (type, object) for ADDED/MODIFIED/DELETED after resource_version until the limits.

    ``known`` is what the caller listed (used to diff a re-list after 410). Bookmarks only
    move the resume point; they are not yielded. ``deadline`` is a ``time.monotonic()`` value.
    """
    cursor = _Cursor(resource_version, {_key(o): o for o in known})
    limits = _Limits(deadline, stop)
    delay, down = RETRY_FIRST, None
    while not limits.over():
        try:
            try:
                yield from _connection(api, ref, label_selector, cursor, limits)
            except _Gone:
                yield from _relist(api, ref, label_selector, cursor)
            if not limits.over():
                down, delay = None, RETRY_FIRST  # the server answered
        except KubeAPIError as exc:
            if not transient(exc) or limits.over():
                raise
            down = exc
            limits.pause(delay)
            delay = min(delay * 2, RETRY_CAP)
    if down is not None:
        raise down  # still unreachable when the time ran out: say so, not "no change seen"


def transient(exc: KubeAPIError) -> bool:
    """The API server is unreachable (restarting), overloaded (429) or failing (5xx)."""
    return exc.status == 0 or exc.status == 429 or exc.status >= 500


def _connection(
    api: client.ApiClient, ref: ObjectRef, label_selector: str, cursor: _Cursor, limits: _Limits
) -> Iterator[Event]:
    query = {
        **_selectors(ref, label_selector),
        "watch": "true",
        "allowWatchBookmarks": "true",
        "resourceVersion": cursor.resource_version,
        "timeoutSeconds": str(limits.server_timeout()),
    }
    try:
        raw = objects.request(
            api,
            "GET",
            ref.collection().path(),
            query=query.items(),
            timeout=(5.0, limits.read_timeout() or SERVER_TIMEOUT + 30),
        ).response
    except Gone as exc:
        raise _Gone from exc
    except KubeAPIError as exc:
        if exc.status == 0 and limits.over():
            return  # the time left (its read timeout) ran out before the server answered
        raise
    import urllib3  # loaded by the client already; not at the top (see objects.request)

    try:
        for event in _decoded(raw, cursor):
            yield event
            _tighten(raw, limits)
    except (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ProtocolError):
        return  # the read timed out (deadline or stop slice) or the server hung up: resume
    finally:
        raw.release_conn()
        raw.close()


def _tighten(raw: Any, limits: _Limits) -> None:
    """Shorten the socket's read timeout to the time left (it was set when the watch began).

    Without this, a wait that saw an event would end up to one full timeout past its deadline.
    """
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(limits.read_timeout())


def _decoded(raw: Any, cursor: _Cursor) -> Iterator[Event]:
    for line in _lines(raw):
        event = json.loads(line)
        kind, obj = str(event.get("type")), event.get("object") or {}
        if kind == "ERROR":
            _raise_error(obj)
        cursor.remember(kind, obj)
        if kind != "BOOKMARK":
            yield kind, obj


def _raise_error(status: Body) -> None:
    if status.get("code") == 410:
        raise _Gone(status.get("message", ""))
    raise from_response(int(status.get("code") or 0), json.dumps(status), "watch")


def _lines(raw: Any) -> Iterator[bytes]:
    buffer = b""
    for chunk in raw.stream(amt=None, decode_content=False):
        buffer += chunk
        *complete, buffer = buffer.split(b"\n")
        yield from (line for line in complete if line.strip())


def _relist(
    api: client.ApiClient, ref: ObjectRef, label_selector: str, cursor: _Cursor
) -> Iterator[Event]:
    listing = list_for_watch(api, ref, label_selector)
    now = {_key(o): o for o in listing.get("items", [])}
    for key, old in list(cursor.known.items()):
        if key not in now:
            cursor.remember("DELETED", old)
            yield "DELETED", old
    for key, obj in now.items():
        kind = "MODIFIED" if key in cursor.known else "ADDED"
        if cursor.known.get(key) != obj:
            cursor.remember(kind, obj)
            yield kind, obj
    cursor.resource_version = listing["metadata"]["resourceVersion"]


def states(
    probe: Probe, *, deadline: float | None = None, stop: threading.Event | None = None
) -> Iterator[object]:
    """Yield the probe's state once (one read), then again after every change (the watch).

    A named probe's state is the object, or None while it does not exist (so both "deleted"
    and "not created yet" are observable); a collection probe's state is the list of items,
    sorted by namespace/name.
    """
    listing = _first_list(probe, _Limits(deadline, stop))
    current = {_key(o): o for o in listing.get("items", [])}
    yield _state(probe, current)
    for kind, obj in events(
        probe.api,
        probe.ref,
        label_selector=probe.label_selector,
        resource_version=listing["metadata"]["resourceVersion"],
        known=current.values(),
        deadline=deadline,
        stop=stop,
    ):
        if kind == "DELETED":
            current.pop(_key(obj), None)
        else:
            current[_key(obj)] = obj
        yield _state(probe, current)


def _first_list(probe: Probe, limits: _Limits) -> Body:
    """List once, retrying a transient failure (a restarting API server) until the limits."""
    delay = RETRY_FIRST
    while True:
        try:
            return list_for_watch(probe.api, probe.ref, probe.label_selector)
        except KubeAPIError as exc:
            if not transient(exc) or limits.over():
                raise
            limits.pause(delay)
            delay = min(delay * 2, RETRY_CAP)


def _state(probe: Probe, current: dict[str, Body]) -> object:
    ordered = [current[k] for k in sorted(current)]
    if probe.ref.name:
        return ordered[0] if ordered else None
    return ordered
