"""The Starlette application and the uvicorn server that runs it on loopback.

Why this stack: Starlette is a thin, typed ASGI toolkit (no request-model layer to fight when
the contract's error texts must be exact), uvicorn with uvloop and httptools is the fastest
well-kept Python HTTP server, and asyncpg is the fastest PostgreSQL driver for asyncio (binary
protocol, pipelined COPY). The socket is bound here, before uvicorn starts, so that port 0
("any free port") works and the real URL can be printed.
"""

from __future__ import annotations

import logging
import signal
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import FrameType

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wetest.reference.datastorage import problems, routes
from wetest.reference.datastorage.routes import Service
from wetest.reference.datastorage.store import Store

LOG = logging.getLogger("wetest.reference.datastorage")
ROUTES: dict[str, dict[str, routes.Handler]] = {
    "/api/v1/audit/events": {"POST": routes.write_single, "GET": routes.list_events},
    "/api/v1/audit/events/batch": {"POST": routes.write_batch},
    "/health": {"GET": routes.health},
    "/health/ready": {"GET": routes.ready},
    "/health/live": {"GET": routes.live},
    "/metrics": {"GET": routes.metrics},
    "/api/v1/openapi.json": {"GET": routes.openapi_document},
    "/openapi.json": {"GET": routes.openapi_document},
}


def create_app(
    dsn: str, service: Service | None = None, on_ready: Callable[[], None] | None = None
) -> Starlette:
    """Build the ASGI app; its lifespan opens the pool and applies migrations before serving."""
    svc = service or Service()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        svc.store = await Store.open(dsn)
        if on_ready:
            on_ready()
        try:
            yield
        finally:
            await svc.store.close()

    table = [
        Route(path, routes.endpoint(svc, path, _by_method(handlers)), methods=list(handlers))
        for path, handlers in ROUTES.items()
    ]
    app = Starlette(
        routes=table, lifespan=lifespan, exception_handlers={HTTPException: _http_problem}
    )
    app.state.service = svc
    return app


def _by_method(handlers: dict[str, routes.Handler]) -> routes.Handler:
    """One route per path, so a 405 lists every method of the path in ``Allow``."""

    async def dispatch(service: Service, request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](service, request)

    return dispatch


async def _http_problem(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 become problem+json too (DS-API-050)."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "Internal server error"
    response = problems.invalid_request(str(detail), status).response(request.url.path)
    if isinstance(exc, HTTPException) and exc.headers:
        response.headers.update(exc.headers)  # e.g. Allow on 405 (RFC 9110)
    return response


class _Server(uvicorn.Server):
    """uvicorn, plus the shutting-down flag that /health/ready reports (DS-HLT-002)."""

    def __init__(self, config: uvicorn.Config, service: Service) -> None:
        super().__init__(config)
        self.service = service

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.service.shutting_down = True
        super().handle_exit(sig, frame)


def bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket now, so port 0 can be resolved and reported."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _already_handled(sig: int, frame: FrameType | None) -> None:
    """Swallow the signal uvicorn re-raises after a graceful shutdown, so we exit 0."""


def serve(dsn: str, host: str, port: int) -> bool:
    """Run until SIGTERM/SIGINT; return False when start-up failed (e.g. no database)."""
    sock = bind(host, port)
    url = f"http://{host}:{sock.getsockname()[1]}"
    service = Service()
    app = create_app(
        dsn, service, on_ready=lambda: print(f"DataStorage ready at {url}", flush=True)
    )
    config = uvicorn.Config(
        app,
        loop="auto",
        http="auto",
        lifespan="on",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )
    server = _Server(config, service)
    for sig in (signal.SIGTERM, signal.SIGINT):  # uvicorn re-raises the signal it handled
        signal.signal(sig, _already_handled)
    server.run(sockets=[sock])
    return server.started
