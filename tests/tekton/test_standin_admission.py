"""The stand-in tier rejects duplicate parameter names as Tekton's webhook does (issue 15)."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client

from wetest.kube import objects
from wetest.kube.errors import KubeAPIError
from wetest.stack.tekton import admission
from wetest.waiting import expectations as ex
from wetest.waiting.eventually import eventually


def _pipelinerun(*names: str) -> dict[str, Any]:
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {"name": "dup"},
        "spec": {
            "pipelineRef": {"name": "workflow"},
            "params": [{"name": n, "value": "v"} for n in names],
        },
    }


def _dry_run(api: client.ApiClient, ref: objects.ObjectRef, body: dict[str, Any]) -> str:
    """ "" when the API server admits the body (dry run), else its refusal."""
    try:
        objects.request(api, "POST", ref.path(), query=objects.DRY_RUN, body=body).read()
    except KubeAPIError as exc:
        return str(exc)
    return ""


def test_a_pipelinerun_naming_a_parameter_twice_is_refused(
    kube_api: client.ApiClient, namespace: str
) -> None:
    """A WE whose parameters hold TARGET_RESOURCE makes such a PipelineRun (WE-PR-007)."""
    admission.install(kube_api)
    admission.install(kube_api)  # the stand-in applies it at every start
    ref = objects.ObjectRef.pipeline_run(namespace)
    duplicate = _pipelinerun("TARGET_RESOURCE", "A", "Target_Resource")  # names ignore case
    # the API server picks a new policy up within about a second: wait for it, not a sleep
    eventually(
        lambda: _dry_run(kube_api, ref, duplicate),
        ex.satisfies(lambda refusal: "expected exactly one" in refusal, "the policy refuses it"),
        timeout=30,
    )

    with pytest.raises(KubeAPIError) as refused:
        objects.create(kube_api, ref, duplicate)
    assert refused.value.status == 422
    assert (
        "denied request: validation failed: expected exactly one, got both: "
        "spec.params[Target_Resource].name" in str(refused.value)
    )
    assert _dry_run(kube_api, ref, _pipelinerun("A", "TARGET_RESOURCE")) == ""
    bare = {"apiVersion": "tekton.dev/v1", "kind": "PipelineRun", "metadata": {"name": "bare"}}
    assert _dry_run(kube_api, ref, bare) == ""  # no spec: nothing repeated, no CEL error
    assert _dry_run(kube_api, ref, {**_pipelinerun(), "spec": {"pipelineRef": {"name": "w"}}}) == ""
