"""The Kubernetes error tree: classes chosen by the Status reason, the HTTP code as fallback."""

from __future__ import annotations

import json

import pytest
from kubernetes.client.exceptions import ApiException

from wetest.errors import TriageCause, WetestError, cause_of
from wetest.kube import errors


def _status(code: int, reason: str, message: str = "details") -> str:
    return json.dumps(
        {"kind": "Status", "status": "Failure", "code": code, "reason": reason, "message": message}
    )


@pytest.mark.parametrize(
    ("code", "reason", "cls"),
    [
        (400, "BadRequest", errors.BadRequest),
        (401, "Unauthorized", errors.Unauthorized),
        (403, "Forbidden", errors.Forbidden),
        (404, "NotFound", errors.NotFound),
        (405, "MethodNotAllowed", errors.MethodNotAllowed),
        (409, "AlreadyExists", errors.AlreadyExists),
        (409, "Conflict", errors.ResourceConflict),
        (410, "Gone", errors.Gone),
        (410, "Expired", errors.Expired),
        (413, "RequestEntityTooLarge", errors.RequestEntityTooLarge),
        (415, "UnsupportedMediaType", errors.UnsupportedMediaType),
        (422, "Invalid", errors.Invalid),
        (429, "TooManyRequests", errors.TooManyRequests),
        (500, "InternalError", errors.InternalError),
        (500, "ServerTimeout", errors.ServerTimeout),
        (504, "Timeout", errors.ServerTimeout),
        (503, "ServiceUnavailable", errors.ServiceUnavailable),
    ],
)
def test_the_status_reason_chooses_the_class(code, reason, cls):
    error = errors.from_response(code, _status(code, reason, "it failed").encode(), "PUT /x")
    assert type(error) is cls
    assert (error.status, error.reason) == (code, reason)
    assert str(error) == f"PUT /x failed with HTTP {code} {reason}: it failed."
    assert isinstance(error, errors.KubeAPIError)
    assert isinstance(error, WetestError)


def test_a_409_name_clash_is_not_a_resource_version_conflict():
    clash = errors.from_response(409, _status(409, "AlreadyExists"), "POST /x")
    stale = errors.from_response(409, _status(409, "Conflict"), "PUT /x")
    assert not isinstance(clash, errors.ResourceConflict)
    assert cause_of(clash) is TriageCause.UNKNOWN
    assert cause_of(stale) is TriageCause.CONFLICT


def test_a_body_without_a_reason_falls_back_to_the_http_code():
    error = errors.from_response(503, b"<html>proxy says no</html>", "GET /x")
    assert type(error) is errors.ServiceUnavailable
    assert error.reason == "ServiceUnavailable"
    assert "proxy says no" in str(error)
    unknown = errors.from_response(418, None, "GET /x")
    assert type(unknown) is errors.KubeAPIError
    assert str(unknown) == "GET /x failed with HTTP 418."


def test_an_unknown_reason_is_kept_on_the_base_class():
    error = errors.from_response(409, _status(409, "SomethingNew"), "PUT /x")
    assert type(error) is errors.KubeAPIError
    assert error.reason == "SomethingNew"


def test_a_client_api_exception_maps_by_its_body():
    exc = ApiException(status=409, reason="Conflict")
    exc.body = _status(409, "AlreadyExists", 'pipelineruns.tekton.dev "x" already exists')
    error = errors.from_api_exception(exc, "create x")
    assert type(error) is errors.AlreadyExists
    assert str(error).startswith("create x failed with HTTP 409 AlreadyExists: pipelineruns")


def test_no_answer_is_unreachable_and_transient():
    error = errors.from_api_exception(ApiException(status=0, reason="connection refused"))
    assert type(error) is errors.Unreachable
    assert error.transient
    assert cause_of(error) is TriageCause.UNKNOWN  # the report reads stack.json for why
    assert not errors.NotFound("x", 404, "NotFound").transient
    assert errors.TooManyRequests("x", 429, "TooManyRequests").transient


def test_every_reason_has_a_class_and_every_class_a_docstring():
    for reason, cls in errors.BY_REASON.items():
        assert cls.__doc__, reason
        assert reason in errors.REASON_OF_STATUS.values() or reason in {
            "AlreadyExists",
            "Expired",
            "ServerTimeout",
        }
