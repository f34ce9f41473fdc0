"""The deprecated ``status.failureReason`` is never written (WE-FAIL-031).

``failureDetails.reason`` carries the reason in v1.0; K26 mirrors it into ``failureReason``
again, which is exactly the regression this catches. Both failure paths write status
differently (pre-execution vs Running), so both are observed. The other deprecated fields,
``consecutiveFailures`` and ``nextAllowedExecution`` (WE-FAIL-030), MUST NOT be asserted by a
suite at all: Kubernaut V1.0 still sets them. ``tests/suites/test_suite_rules.py`` checks that
no suite does.
"""

from __future__ import annotations

import pytest

from wetest import consistently, eventually
from wetest import expectations as ex
from wetest.kube import objects

NO_FAILURE_REASON = ex.satisfies(
    lambda we: "failureReason" not in (we.get("status") or {}), "no status.failureReason"
)


@pytest.mark.we_conformance("failure", "WE-FAIL-031")
def test_failure_reason_is_not_written_on_either_failure_path(we_kube, we_create, we_name):
    ran = we_create(f"{we_name[:36]}-ran", scenario="fail reason=task")
    refused = we_create(f"{we_name[:36]}-inv", container_image="")
    for we in (ran, refused):
        probe = objects.Probe(we_kube, we_create.ref(we))
        failed = eventually(probe, ex.has_phase("Failed"), timeout=15)
        assert failed["status"]["failureDetails"]["reason"], "failureDetails carries the reason"
        consistently(probe, NO_FAILURE_REASON, duration=2)
