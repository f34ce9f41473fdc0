"""HTTP GETs of health and readiness endpoints, through one kept client per TLS setting.

A readiness loop asks every 50 ms until a process answers. ``httpx.get`` builds a client per
call, and with it an SSL context that loads certifi's CA bundle: 36 ms of CPU per call against
0.3 ms on a kept client (measured on the 2-CPU machine). The supervisor and the test's worker
both await each isolated controller, so every instance start burned about a CPU-second before
the controller had even answered, on a machine where the full run is bound by CPU.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Mapping
from pathlib import Path

import httpx

_clients: dict[object, tuple[object, httpx.Client]] = {}
_lock = threading.Lock()


def get(
    url: str,
    *,
    timeout: float,
    verify: ssl.SSLContext | None = None,
    params: Mapping[str, str] | None = None,
) -> httpx.Response:
    """GET ``url`` on the kept client for its TLS setting; raises httpx.HTTPError as httpx.get.

    ``verify``: the server's CA context; None for plain HTTP (no TLS setting at all) or HTTPS
    checked against the system's CAs. Threads share the clients (httpx's pool is thread-safe);
    they live as long as the process.
    """
    key: object = id(verify) if verify is not None else url.startswith("https://")
    with _lock:
        kept = _clients.get(key)
        if kept is None or (verify is not None and kept[0] is not verify):
            # the context is kept beside its client, so its id is not reused while listed
            kept = (verify, httpx.Client(verify=verify if verify is not None else bool(key)))
            _clients[key] = kept
    # no keep-alive: a probed server is often stopped next, which would leave the kept
    # client's pooled socket open (a ResourceWarning at exit); the CPU was in the client
    return kept[1].get(url, timeout=timeout, params=params, headers={"Connection": "close"})


def answers_ok(url: str, *, timeout: float = 1.0, verify: ssl.SSLContext | None = None) -> bool:
    """True when ``GET url`` answers 200; False when it answers otherwise or not at all."""
    try:
        return get(url, timeout=timeout, verify=verify).status_code == 200
    except httpx.HTTPError:
        return False


def client_context(ca_pem: bytes, cert_pem: bytes, key_pem: bytes) -> ssl.SSLContext:
    """A TLS context that checks the server against ``ca_pem`` and shows a client certificate.

    ``ssl`` loads a certificate chain from files only: the PEMs pass through a private
    temporary folder that is gone when this returns.
    """
    import tempfile

    context = ssl.create_default_context(cadata=ca_pem.decode())
    with tempfile.TemporaryDirectory(prefix="wetest-tls-") as folder:
        cert, key = Path(folder) / "client.crt", Path(folder) / "client.key"
        cert.write_bytes(cert_pem)
        key.touch(mode=0o600)
        key.write_bytes(key_pem)
        context.load_cert_chain(cert, key)
    return context
