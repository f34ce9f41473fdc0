"""The controller's audit client: non-blocking enqueue, batches, retries, durable spool.

``check`` says whether an event would be accepted (the reconciler sets AuditRecorded from it in
the transition's own status write, WE-STAT-004 design a); ``enqueue`` is called only after that
write committed. Events go to the spool on disk first, so a DataStorage outage or a controller
restart loses nothing; a background thread sends batches of up to 1 000 every second
(WE-BUF-003) and retries 5xx/network errors with backoff (tenacity). When a POST's outcome is
unknown (timeout, connection reset), the batch is looked up in DataStorage before it is sent
again, so each event is stored exactly once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import tenacity

from wetest.domain import audit as domain
from wetest.domain import timestamps
from wetest.reference.controller.spool import Spool

log = logging.getLogger("workflowexecution.audit")


class Transient(Exception):
    """5xx or a transport error: the batch stays in the spool and is retried."""

    def __init__(self, message: str, uncertain: bool) -> None:
        super().__init__(message)
        self.uncertain = uncertain


class Rejected(Exception):
    """4xx: DataStorage will never take this batch."""


class AuditClient:
    """Durable, batching audit writer for ``POST /api/v1/audit/events/batch``."""

    def __init__(
        self,
        base_url: str,
        spool_dir: Path,
        capacity: int = 10_000,
        batch_size: int = 1_000,
        interval: float = 1.0,
        timeout: float = 10.0,
        retry_wait: float = 0.25,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.spool = Spool(spool_dir)
        self.capacity, self.batch_size, self.interval = capacity, batch_size, interval
        self.retry_wait = retry_wait
        self._http = httpx.Client(timeout=timeout)
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent_batches = 0
        # intents a previous process left (it died between a status write and the admit),
        # by WE uid; resolved when the WE is next reconciled (``resolve_leftover``)
        self._leftover: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        self._leftover_lock = threading.Lock()
        for key, event in self.spool.intents():
            self._leftover.setdefault(key.split("/", 1)[0], []).append((key, event))

    def check(self, event: dict[str, Any]) -> str | None:
        """Return the refusal ``enqueue`` would give, or None if it would accept the event."""
        error = domain.schema_error(event)
        if error:
            return f"invalid audit event: {error}"
        if self._closing.is_set():
            return "audit store is closed"
        if len(self.spool) >= self.capacity:
            return f"audit buffer full: event dropped (correlation_id={event['correlation_id']})"
        return None

    def enqueue(self, key: str, event: dict[str, Any]) -> str | None:
        """Admit the event once per idempotency key; never blocks on the network."""
        error = self.check(event)
        if error is None and self.spool.admit(key, event):
            self._wake.set()
        return error

    def intend(self, key: str, event: dict[str, Any]) -> None:
        """Before the status write that commits the event's transition (see ``Spool.intend``)."""
        self.spool.intend(key, event)

    def committed(self, key: str, event: dict[str, Any]) -> str | None:
        """After that write succeeded: admit the event, then drop the intent."""
        error = self.enqueue(key, event)
        self.spool.settle(key)
        return error

    def abandoned(self, key: str) -> None:
        """After that write failed: nothing is owed."""
        self.spool.settle(key)

    def resolve_leftover(self, uid: str, made: Callable[[str], bool]) -> None:
        """Settle the intents a dead process left for one WE.

        Admit those whose transition the WE shows as made (``made(event_type)``); drop the
        others: their write never committed, and the reconcile will make it again.
        """
        with self._leftover_lock:
            pending = self._leftover.pop(uid, [])
        for key, event in pending:
            if made(str(event.get("event_type", ""))):
                log.info("audit event %s was committed before a crash; delivering it", key)
                self.committed(key, event)
            else:
                self.abandoned(key)

    def start(self) -> AuditClient:
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()
        return self

    def close(self, timeout: float = 30.0) -> int:
        """Flush what can be flushed within timeout; return how many events stay spooled."""
        self._closing.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)
        self._http.close()
        left = len(self.spool)
        if left:
            log.warning("audit store closed with %d spooled events (delivered on next start)", left)
        return left

    def _run(self) -> None:
        backoff = self.retry_wait
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                while self._send_one():
                    backoff = self.retry_wait
            except Transient as exc:
                log.warning("DataStorage unavailable (%s); events stay spooled", exc)
                if self._closing.is_set():
                    return
                self._closing.wait(backoff)
                backoff = min(backoff * 2, 2.0)  # the spool is durable: retry soon
                continue
            except Exception:  # the writer must never die: events would silently stop
                log.exception("audit writer error; events stay spooled, retrying")
                if self._closing.is_set():
                    return
                self._closing.wait(backoff)
                continue
            if self._closing.is_set():
                return

    def _send_one(self) -> bool:
        """Send the oldest batch; True if something was delivered or rejected."""
        self._settle_inflight()
        entries = self.spool.batch(self.batch_size)
        if not entries:
            return False
        self.spool.mark_inflight(entries)
        try:
            self._post_with_retries([e.event for e in entries])
        except Rejected as exc:
            log.error("AUDIT DATA LOSS: DataStorage rejected %d events: %s", len(entries), exc)
            self.spool.rejected(entries)
        except Transient as exc:
            if not exc.uncertain:
                self.spool.clear_inflight()
            raise
        else:
            self.spool.delivered(entries)
            self.sent_batches += 1
        self.spool.clear_inflight()
        return True

    def _post_with_retries(self, events: list[dict[str, Any]]) -> None:
        uncertain = False
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(3),
            wait=tenacity.wait_exponential(multiplier=self.retry_wait, max=4),
            retry=tenacity.retry_if_exception_type(Transient),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    if uncertain and self._already_stored(events):
                        return
                    try:
                        self._post(events)
                    except Transient as exc:
                        uncertain = uncertain or exc.uncertain
                        raise
        except Transient as exc:
            raise Transient(str(exc), uncertain) from exc

    def _post(self, events: list[dict[str, Any]]) -> None:
        try:
            resp = self._http.post(self.base_url + domain.BATCH_PATH, json=events)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise Transient(f"connect failed: {exc}", uncertain=False) from exc
        except httpx.HTTPError as exc:
            raise Transient(f"{type(exc).__name__}: {exc}", uncertain=True) from exc
        if 200 <= resp.status_code < 300:
            return
        if 400 <= resp.status_code < 500:
            raise Rejected(f"HTTP {resp.status_code}: {resp.text[:300]}")
        raise Transient(f"HTTP {resp.status_code}: {resp.text[:300]}", uncertain=False)

    def _settle_inflight(self) -> None:
        """After a restart or an unknown outcome: drop from the spool what DS already has."""
        keys = self.spool.inflight_keys()
        entries = [e for e in (self.spool.entry(k) for k in keys) if e is not None]
        if entries:
            stored = [e for e in entries if self._is_stored(e.event)]
            if stored:
                self.spool.delivered(stored)
        self.spool.clear_inflight()

    def _already_stored(self, events: list[dict[str, Any]]) -> bool:
        return all(self._is_stored(e) for e in events)

    def _is_stored(self, event: dict[str, Any]) -> bool:
        """Is this exact event (type, resource, instant) in DataStorage? Raises Transient."""
        params = {
            "correlation_id": event["correlation_id"],
            "event_type": event["event_type"],
            "event_category": event["event_category"],
            "limit": "1000",
        }
        try:
            resp = self._http.get(self.base_url + domain.QUERY_PATH, params=params)
        except httpx.HTTPError as exc:
            raise Transient(f"lookup failed: {exc}", uncertain=True) from exc
        if resp.status_code != 200:
            raise Transient(f"lookup answered HTTP {resp.status_code}", uncertain=True)
        return any(_same(event, found) for found in resp.json().get("data", []))


def _same(sent: dict[str, Any], found: dict[str, Any]) -> bool:
    a, b = timestamps.parse(sent["event_timestamp"]), timestamps.parse(found["event_timestamp"])
    close = a is not None and b is not None and abs(a - b) < timedelta(milliseconds=1)
    return close and found.get("resource_id") == sent.get("resource_id")
