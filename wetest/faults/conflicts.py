"""Conflict injection: a loopback proxy in front of the API server for the controller only.

The controller under test gets a kubeconfig whose server is this proxy (plain HTTP on
127.0.0.1); the proxy forwards every request to kube-apiserver over TLS with the controller's
own client certificate, so the API server (and its audit log) still sees the controller's
identity. A configurable fraction of the controller's ``workflowexecutions/status`` writes
(PUT or PATCH), and optionally of its writes to the WorkflowExecution itself (finalizers), is
answered by the proxy with a real ``409 Conflict`` Status body, the one kube-apiserver sends
for a stale resourceVersion, without reaching the API server.

Why a proxy rather than a competing writer that bumps resourceVersion: it hits exactly the
writes the contract is about (WE-STAT-001/003/004) at the rate asked, deterministically per
seed, whatever the controller's timing, and costs no extra writes that would show up in the
WE's history. The write the controller retries after the 409 is real.

Control: ``GET /_wetest/conflicts`` (counts) and ``PUT /_wetest/conflicts`` with
``{"fraction": 0.3, "finalizers": false, "seed": 1}`` (resets the counts), on the proxy's
own port. Each request is one connection (``Connection: close``): simple, and watches stream
through untouched.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import random
import re
import ssl
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from wetest.stack import ports

ADMIN_PATH = "/_wetest/conflicts"
WE_PATH = re.compile(
    r"^/apis/kubernaut\.ai/v1alpha1/namespaces/(?P<ns>[^/]+)/workflowexecutions/"
    r"(?P<name>[^/?]+)(?P<sub>/status)?(?:\?.*)?$"
)
WRITES = ("PUT", "PATCH")
HEAD_LIMIT = 64 * 1024


def conflict_body(name: str) -> bytes:
    """The Status kube-apiserver answers a write with a stale resourceVersion."""
    return json.dumps(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": (
                f'Operation cannot be fulfilled on workflowexecutions.kubernaut.ai "{name}": '
                "the object has been modified; please apply your changes to the latest "
                "version and try again"
            ),
            "reason": "Conflict",
            "details": {"name": name, "group": "kubernaut.ai", "kind": "workflowexecutions"},
            "code": 409,
        }
    ).encode()


@dataclass
class Policy:
    """What to inject, and what was injected since the last change of policy."""

    fraction: float = 0.0
    finalizers: bool = False
    seed: int = 1
    writes: int = 0
    injected: dict[str, int] = field(default_factory=lambda: {"status": 0, "finalizer": 0})
    rng: random.Random = field(default_factory=lambda: random.Random(1), repr=False)

    def decide(self, method: str, path: str) -> tuple[str, str] | None:
        """Return (kind, name) when this request is to be answered with a 409."""
        match = WE_PATH.match(path)
        if method not in WRITES or match is None:
            return None
        kind = "status" if match["sub"] else "finalizer"
        if kind == "finalizer" and not self.finalizers:
            return None
        self.writes += 1
        if self.fraction <= 0 or self.rng.random() >= self.fraction:
            return None
        self.injected[kind] += 1
        return kind, match["name"]

    def to_json(self) -> dict[str, Any]:
        return {
            "fraction": self.fraction,
            "finalizers": self.finalizers,
            "seed": self.seed,
            "writes": self.writes,
            "injected": sum(self.injected.values()),
            "injected_by_kind": dict(self.injected),
        }


class ConflictProxy:
    """The proxy, served by an asyncio loop in a daemon thread of the calling process."""

    def __init__(self, kubeconfig: Path, work_dir: Path) -> None:
        self.work_dir = work_dir
        self.upstream, self._tls = _upstream(kubeconfig, work_dir)
        self.policy = Policy()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="conflict-proxy")
        self._thread.daemon = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ConflictProxy:
        self.port = ports.reserve()
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", self.port), self._loop
        )
        self._server = future.result(10)
        return self

    def stop(self) -> None:
        """Close the listener and end every connection in flight, then stop the loop.

        A controller's watch goes through the proxy and lasts minutes; its task, left pending
        when the loop stopped, printed "Task was destroyed but it is pending!" and a traceback
        into the supervisor's log at every stack stop.
        """

        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            flying = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in flying:
                task.cancel()
            await asyncio.gather(*flying, return_exceptions=True)
            await asyncio.sleep(0)  # the closed transports' callbacks run before the loop stops

        if self._thread.is_alive():
            with contextlib.suppress(Exception):  # a loop that cannot finish is stopped anyway
                asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()

    def kubeconfig(self, into: Path) -> Path:
        """A kubeconfig for the controller that points at this proxy (no credentials)."""
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "wetest-conflicts",
            "clusters": [{"name": "wetest-conflicts", "cluster": {"server": self.url}}],
            "users": [{"name": "wetest-conflicts", "user": {}}],
            "contexts": [
                {
                    "name": "wetest-conflicts",
                    "context": {"cluster": "wetest-conflicts", "user": "wetest-conflicts"},
                }
            ],
        }
        into.write_text(yaml.safe_dump(doc, sort_keys=False))
        into.chmod(0o600)
        return into

    # --- one connection = one request --------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            method, path, headers = _parse_head(head)
            body = await _read_body(reader, headers)
            if path.startswith(ADMIN_PATH):
                await self._admin(writer, method, body)
                return
            decided = self.policy.decide(method, path)
            if decided is not None:
                await _respond(writer, 409, "Conflict", conflict_body(decided[1]))
                return
            await self._forward(writer, method, path, headers, body)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass  # the client went away
        except asyncio.CancelledError:
            # The proxy stops (stop() cancels every connection). Ending the task normally, not
            # cancelled, keeps asyncio's connection callback (Python 3.11: task.exception() on
            # a cancelled task) from printing a CancelledError traceback into the supervisor's
            # log at every stop of a test that injected conflicts.
            pass
        except OSError as exc:  # the API server is down (restarting): as a load balancer would
            with contextlib.suppress(OSError):
                await _respond(writer, 503, "Service Unavailable", str(exc).encode())
        finally:
            with contextlib.suppress(OSError):
                writer.close()

    async def _admin(self, writer: asyncio.StreamWriter, method: str, body: bytes) -> None:
        if method == "PUT":
            asked = json.loads(body or b"{}")
            seed = int(asked.get("seed", 1))
            self.policy = Policy(
                fraction=float(asked.get("fraction", 0.0)),
                finalizers=bool(asked.get("finalizers", False)),
                seed=seed,
                rng=random.Random(seed),
            )
        await _respond(writer, 200, "OK", json.dumps(self.policy.to_json()).encode())

    async def _forward(
        self,
        writer: asyncio.StreamWriter,
        method: str,
        path: str,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> None:
        host, port = self.upstream
        up_reader, up_writer = await asyncio.open_connection(host, port, ssl=self._tls)
        try:
            kept = [
                (k, v)
                for k, v in headers
                if k.lower() not in ("host", "connection", "keep-alive", "transfer-encoding")
            ]
            if body and not any(k.lower() == "content-length" for k, _ in kept):
                kept.append(("Content-Length", str(len(body))))
            lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
            lines += [f"{k}: {v}" for k, v in kept]
            up_writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            await up_writer.drain()
            head = await up_reader.readuntil(b"\r\n\r\n")
            writer.write(_closing(head))
            while chunk := await up_reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        except asyncio.CancelledError:
            # The proxy stops: a TLS close would await the server's close_notify on a loop
            # that is about to stop, and the transport would be collected unclosed.
            up_writer.transport.abort()
            raise
        finally:
            with contextlib.suppress(OSError):
                up_writer.close()


def _upstream(kubeconfig: Path, work_dir: Path) -> tuple[tuple[str, int], ssl.SSLContext]:
    """The API server's address and a TLS context with the kubeconfig's CA and client cert."""
    doc = yaml.safe_load(kubeconfig.read_text())
    cluster = doc["clusters"][0]["cluster"]
    user = doc["users"][0]["user"]
    split = urlsplit(cluster["server"])
    context = ssl.create_default_context(
        cadata=base64.b64decode(cluster["certificate-authority-data"]).decode()
    )
    work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:  # load_cert_chain reads files
        cert, key = Path(tmp) / "client.crt", Path(tmp) / "client.key"
        cert.write_bytes(base64.b64decode(user["client-certificate-data"]))
        key.write_bytes(base64.b64decode(user["client-key-data"]))
        key.chmod(0o600)
        context.load_cert_chain(cert, key)
    return (split.hostname or "127.0.0.1", split.port or 443), context


def _parse_head(head: bytes) -> tuple[str, str, list[tuple[str, str]]]:
    if len(head) > HEAD_LIMIT:
        raise ConnectionError("request head too large")
    first, *rest = head.decode("latin-1").split("\r\n")
    method, path, _ = first.split(" ", 2)
    headers = []
    for line in rest:
        if ":" in line:
            key, value = line.split(":", 1)
            headers.append((key.strip(), value.strip()))
    return method, path, headers


async def _read_body(reader: asyncio.StreamReader, headers: list[tuple[str, str]]) -> bytes:
    found = {k.lower(): v for k, v in headers}
    if "content-length" in found:
        return await reader.readexactly(int(found["content-length"]))
    if found.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while size := int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16):
            body += await reader.readexactly(size)
            await reader.readexactly(2)
        await reader.readuntil(b"\r\n")
        return body
    return b""


def _closing(head: bytes) -> bytes:
    """The upstream response head with ``Connection: close`` (one request per connection)."""
    lines = head.decode("latin-1").split("\r\n")
    kept = [ln for ln in lines if ln and not ln.lower().startswith(("connection:", "keep-alive:"))]
    return ("\r\n".join([*kept, "Connection: close"]) + "\r\n\r\n").encode("latin-1")


async def _respond(writer: asyncio.StreamWriter, code: int, reason: str, body: bytes) -> None:
    head = (
        f"HTTP/1.1 {code} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    writer.write(head.encode() + body)
    await writer.drain()
