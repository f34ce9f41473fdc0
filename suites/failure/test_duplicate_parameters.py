"""A WE whose parameters already hold ``TARGET_RESOURCE`` cannot get a PipelineRun.

WE-PR-007 appends ``TARGET_RESOURCE`` after the WE's own parameters, so the PipelineRun names
it twice. Tekton's admission webhook refuses duplicate parameter names (the stand-in tier
installs the same check, docs/tekton-scenarios.md), so the create fails and the WE fails
before execution (WE-RUN-012) on either Tekton tier, as it would in a cluster.
"""

from __future__ import annotations

import pytest

from wetest import eventually
from wetest import expectations as ex
from wetest.kube import objects

REFUSAL = "expected exactly one, got both: spec.params[TARGET_RESOURCE].name"


@pytest.mark.we_conformance("failure", "WE-RUN-012", "WE-PR-007", "WE-FAIL-010")
def test_a_parameter_named_target_resource_fails_the_we_before_execution(we_kube, we_create):
    we = we_create(parameters={"TARGET_RESOURCE": "somewhere/else"})
    failed = eventually(
        objects.Probe(we_kube, we_create.ref(we)), ex.has_phase("Failed"), timeout=30
    )
    details = failed["status"]["failureDetails"]
    assert details["reason"] == "Unknown"
    assert details["message"].startswith("Failed to create PipelineRun: ")
    assert REFUSAL in details["message"]
    assert details.get("wasExecutionFailure", False) is False
    assert "startTime" not in failed["status"]
