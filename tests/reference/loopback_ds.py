"""A tiny real HTTP DataStorage stand-in for audit tests: stores batches, can fail on demand."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


class LoopbackDataStorage:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.fail_next = 0  # answer 503 to this many batch POSTs
        self.drop_response_next = 0  # store, then close the connection without answering
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.lock:
                    if outer.fail_next:
                        outer.fail_next -= 1
                        return self._send(503, {"detail": "down"})
                    stored = [{**e, "event_id": str(uuid.uuid4())} for e in body]
                    outer.events.extend(stored)
                    if outer.drop_response_next:
                        outer.drop_response_next -= 1
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return None
                self._send(201, {"event_ids": [e["event_id"] for e in stored]})
                return None

            def do_GET(self) -> None:
                query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                with outer.lock:
                    data = [
                        e
                        for e in outer.events
                        if all(
                            e.get(k) == v
                            for k, v in query.items()
                            if k in ("correlation_id", "event_type", "event_category")
                        )
                    ]
                self._send(200, {"data": data, "pagination": {"total": len(data)}})

            def _send(self, code: int, payload: Any) -> None:
                raw = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> LoopbackDataStorage:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def of_type(self, correlation_id: str) -> list[str]:
        with self.lock:
            return [e["event_type"] for e in self.events if e["correlation_id"] == correlation_id]
