"""Health probes through kept clients (wetest.stack.probing): answers, refusals, and the cost."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator

import pytest

from wetest.stack import probing


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_ok_only_for_a_200(server: str) -> None:
    assert probing.answers_ok(f"{server}/healthz")
    assert not probing.answers_ok(f"{server}/readyz")  # 503
    assert not probing.answers_ok(f"http://127.0.0.1:{closed_port()}/healthz")  # refused


def test_probes_reuse_one_client_per_tls_setting(server: str) -> None:
    """What the module is for: httpx.get built a client (and an SSL context) per call, 36 ms of
    CPU each, in loops that poll every 50 ms (bench: the supervisor's CPU in a full run)."""
    probing.answers_ok(f"{server}/healthz")
    kept = {key: client for key, (_, client) in probing._clients.items()}
    for _ in range(5):
        probing.answers_ok(f"{server}/healthz")
        probing.answers_ok(f"http://127.0.0.1:{closed_port()}/healthz")
    assert {key: client for key, (_, client) in probing._clients.items()} == kept
