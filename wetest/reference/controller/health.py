"""``/healthz`` and ``/readyz`` (ping) and ``/metrics`` on loopback HTTP servers (§2.1)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, exposition


def parse_address(address: str) -> tuple[str, int]:
    """``host:port`` or ``:port`` (all interfaces, as controller-runtime) → (host, port)."""
    host, _, port = address.rpartition(":")
    return host or "0.0.0.0", int(port)


class Server:
    """One threaded HTTP server answering fixed paths."""

    def __init__(self, address: str, routes: dict[str, Callable[[], tuple[int, str, bytes]]]):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                route = routes.get(self.path.split("?")[0])
                code, ctype, body = route() if route else (404, "text/plain", b"not found\n")
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(parse_address(address), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def address(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"{host!s}:{port}"

    def start(self) -> Server:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def health_routes(ready: Callable[[], bool]) -> dict[str, Callable[[], tuple[int, str, bytes]]]:
    def healthz() -> tuple[int, str, bytes]:
        return 200, "text/plain", b"ok"

    def readyz() -> tuple[int, str, bytes]:
        return (200, "text/plain", b"ok") if ready() else (500, "text/plain", b"not ready")

    return {"/healthz": healthz, "/readyz": readyz}


def python_exposition(registry: CollectorRegistry) -> tuple[str, bytes]:
    """prometheus_client's text format (``le="5.0"``): the reference's own rendering."""
    return exposition.CONTENT_TYPE_LATEST, exposition.generate_latest(registry)


def metrics_routes(
    registry: CollectorRegistry,
    render: Callable[[CollectorRegistry], tuple[str, bytes]] = python_exposition,
) -> dict[str, Callable[[], tuple[int, str, bytes]]]:
    """``/metrics`` rendered by ``render`` (a benign variant renders as client_golang does)."""

    def metrics() -> tuple[int, str, bytes]:
        ctype, body = render(registry)
        return 200, ctype, body

    return {"/metrics": metrics}
