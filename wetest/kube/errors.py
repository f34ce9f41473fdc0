"""The one error tree for Kubernetes API calls, keyed on the Status ``reason``.

Harness (``wetest.kube.objects``), suites and the reference controller (``kubeio``) all raise
and catch these classes, so a caller branches on what the API server said (``AlreadyExists``
is a name clash, ``Conflict`` a stale resourceVersion) instead of on an HTTP code or on text,
and the triage report classifies a failure by its class. The reason comes from the
``metav1.Status`` body; a body without one (a proxy's 502, an old server) falls back to the
HTTP code the way apimachinery's ``reasonForError`` does.

This module imports only the standard library and ``wetest.errors`` (an import-linter contract
keeps it so): the reference controller uses it without loading the harness, and a kubernetes
``ApiException`` is read by duck typing (``status``, ``reason``, ``body``).

::

    KubeAPIError (wetest.errors.WetestError)       any failed request; .status, .reason
    ├── Unreachable                                 no answer (status 0): refused, reset, timed out
    ├── BadRequest              400 BadRequest
    ├── Unauthorized            401 Unauthorized
    ├── Forbidden               403 Forbidden (RBAC, admission webhook denial)
    ├── NotFound                404 NotFound
    ├── MethodNotAllowed        405 MethodNotAllowed
    ├── AlreadyExists           409 AlreadyExists (a create whose name is taken)
    ├── ResourceConflict        409 Conflict (stale resourceVersion, failed precondition)
    ├── Gone                    410 Gone
    │   └── Expired             410 Expired (the watch/list resourceVersion was compacted)
    ├── RequestEntityTooLarge   413 RequestEntityTooLarge
    ├── UnsupportedMediaType    415 UnsupportedMediaType
    ├── Invalid                 422 Invalid (schema, CEL or field validation)
    ├── TooManyRequests         429 TooManyRequests (priority and fairness)
    ├── InternalError           500 InternalError
    ├── ServerTimeout           500 ServerTimeout, 504 Timeout
    └── ServiceUnavailable      503 ServiceUnavailable
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from wetest.errors import TriageCause, WetestError


class KubeAPIError(WetestError):
    """An API server request failed; ``status`` is the HTTP code (0 without an answer).

    ``reason`` is the Status reason as the server sent it (``Conflict``, ``AlreadyExists``, ...)
    or, for a body without one, the reason the HTTP code implies. ``transient`` says whether the
    same request may succeed when retried unchanged (after a backoff).
    """

    transient: ClassVar[bool] = False

    def __init__(self, message: str, status: int = 0, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class Unreachable(KubeAPIError):
    """The request got no HTTP answer: connection refused or reset, or the read timed out."""

    transient = True


class BadRequest(KubeAPIError):
    """HTTP 400: the request itself is malformed (a bad patch, an unknown field selector)."""


class Unauthorized(KubeAPIError):
    """HTTP 401: the credentials were not accepted."""


class Forbidden(KubeAPIError):
    """HTTP 403: RBAC or an admission webhook refused the request."""


class NotFound(KubeAPIError):
    """HTTP 404: the object (or its kind) does not exist; callers that expect absence catch it."""


class MethodNotAllowed(KubeAPIError):
    """HTTP 405: the resource does not support the verb."""


class AlreadyExists(KubeAPIError):
    """HTTP 409 reason AlreadyExists: a create whose name is taken (not a stale write)."""


class ResourceConflict(KubeAPIError):
    """HTTP 409 reason Conflict: the object has been modified (stale resourceVersion or uid)."""

    cause = TriageCause.CONFLICT


class Gone(KubeAPIError):
    """HTTP 410: the resource is gone; a watch must list again."""


class Expired(Gone):
    """HTTP 410 reason Expired: the resourceVersion asked for is older than etcd keeps."""


class RequestEntityTooLarge(KubeAPIError):
    """HTTP 413: the body is larger than the API server accepts."""


class UnsupportedMediaType(KubeAPIError):
    """HTTP 415: the content type (patch type) is not accepted for this resource."""


class Invalid(KubeAPIError):
    """HTTP 422: the object fails validation (OpenAPI schema, CEL rule, immutable field)."""


class TooManyRequests(KubeAPIError):
    """HTTP 429: API priority and fairness rejected the request; retry after a backoff."""

    transient = True


class InternalError(KubeAPIError):
    """HTTP 500 reason InternalError: the server failed (etcd unavailable, a webhook crashed)."""

    transient = True


class ServerTimeout(KubeAPIError):
    """HTTP 500 reason ServerTimeout or 504 reason Timeout: the server gave up in time."""

    transient = True


class ServiceUnavailable(KubeAPIError):
    """HTTP 503: the API server (or an aggregated API) is not ready yet."""

    transient = True


BY_REASON: dict[str, type[KubeAPIError]] = {
    "BadRequest": BadRequest,
    "Unauthorized": Unauthorized,
    "Forbidden": Forbidden,
    "NotFound": NotFound,
    "MethodNotAllowed": MethodNotAllowed,
    "AlreadyExists": AlreadyExists,
    "Conflict": ResourceConflict,
    "Gone": Gone,
    "Expired": Expired,
    "RequestEntityTooLarge": RequestEntityTooLarge,
    "UnsupportedMediaType": UnsupportedMediaType,
    "Invalid": Invalid,
    "TooManyRequests": TooManyRequests,
    "InternalError": InternalError,
    "ServerTimeout": ServerTimeout,
    "Timeout": ServerTimeout,
    "ServiceUnavailable": ServiceUnavailable,
}
"""Status reasons (apimachinery's ``StatusReason*``) to classes."""

REASON_OF_STATUS: dict[int, str] = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Gone",
    413: "RequestEntityTooLarge",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}
"""The reason an HTTP code implies when the body has none (apimachinery's reasonForError)."""


def reason_of(status: int, reason: str) -> str:
    """The reason the server sent, else the one its HTTP code implies ("" when none does)."""
    return reason if reason in BY_REASON else (reason or REASON_OF_STATUS.get(status, ""))


def error_for(status: int, reason: str, message: str) -> KubeAPIError:
    """Return the error of the reason (else of the HTTP code) carrying message."""
    if status == 0:
        return Unreachable(message, 0, reason or "Unreachable")
    reason = reason_of(status, reason)
    return BY_REASON.get(reason, KubeAPIError)(message, status, reason)


def from_response(status: int, body: bytes | str | None, what: str) -> KubeAPIError:
    """Map an HTTP error answer to the tree, keeping the Status message in a full sentence.

    ``what`` names the request (``PUT /apis/...``); the message reads "<what> failed with HTTP
    409 Conflict: Operation cannot be fulfilled on ...".
    """
    raw = body.decode(errors="replace") if isinstance(body, bytes) else body or ""
    decoded = status_of(raw)
    reason = reason_of(status, str(decoded.get("reason") or ""))
    detail = str(decoded.get("message") or raw[:500]).strip()
    message = f"{what} failed with HTTP {status} {reason}".rstrip() + (
        f": {detail}" if detail else ""
    )
    return error_for(status, reason, message if message.endswith(".") else message + ".")


def from_api_exception(exc: Any, what: str = "The API request") -> KubeAPIError:
    """Map a kubernetes client ``ApiException`` (read by duck typing) to the tree."""
    status = int(getattr(exc, "status", 0) or 0)
    body = getattr(exc, "body", None)
    if status == 0:
        return Unreachable(f"{what} got no answer from the API server: {exc}.", 0, "Unreachable")
    return from_response(status, body if isinstance(body, bytes | str) else None, what)


def status_of(body: str) -> dict[str, Any]:
    """Decode a ``metav1.Status`` body; {} when it is not one."""
    try:
        decoded = json.loads(body or "{}")
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}
