"""RFC 7807 problem bodies (DS-API-050): every 4xx/5xx of the audit paths is one of these.

A :class:`Problem` is raised anywhere below the routes and turned into an
``application/problem+json`` response in one place, so no handler can forget the content type.
``field`` and ``index`` are RFC 7807 extension members naming what failed, for humans and
suites; clients that do not know them ignore them.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

BASE = "https://kubernaut.ai/problems/"
VALIDATION = ("validation-error", "Validation Error")
INVALID_REQUEST = ("invalid_request", "Invalid Request")
DATABASE = ("database-error", "Database Error")
INTERNAL = ("internal-error", "Internal Server Error")


class Problem(Exception):
    """A request the service answers with an RFC 7807 body instead of a result."""

    def __init__(self, status: int, kind: tuple[str, str], detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail
        self.extra = {k: v for k, v in extra.items() if v is not None}

    def body(self, instance: str) -> dict[str, Any]:
        slug, title = self.kind
        return {
            "type": BASE + slug,
            "title": title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
            **self.extra,
        }

    def response(self, instance: str) -> Response:
        return Response(
            orjson.dumps(self.body(instance)),
            status_code=self.status,
            media_type="application/problem+json",
        )


def validation(detail: str, field: str | None = None, index: int | None = None) -> Problem:
    """400 Validation Error naming the field (and batch index) that failed."""
    return Problem(400, VALIDATION, detail, field=field, index=index)


def invalid_request(detail: str, status: int = 400) -> Problem:
    """400/413/415 Invalid Request: the body could not be read as the JSON we need."""
    return Problem(status, INVALID_REQUEST, detail)


def database(detail: str) -> Problem:
    """500 Database Error (DS-API-022)."""
    return Problem(500, DATABASE, detail)
