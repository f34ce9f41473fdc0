"""The part of Tekton's admission webhook the stand-in tier needs: unique parameter names.

Real Tekton refuses a PipelineRun (or TaskRun) whose ``spec.params`` names a parameter twice,
names compared without case (``validateNoDuplicateNames`` in
``pkg/apis/pipeline/v1/taskrun_validation.go``). A WorkflowExecution whose ``spec.parameters``
already holds ``TARGET_RESOURCE`` makes exactly such a PipelineRun (WE-PR-007). Without a
webhook the stand-in tier would run it to Completed, so the stand-in installs a
ValidatingAdmissionPolicy with the same check and the same words after the prefix the API
server puts in front:

* real:      ``admission webhook "validation.webhook.pipeline.tekton.dev" denied the request:
  validation failed: expected exactly one, got both: spec.params[TARGET_RESOURCE].name``
  (HTTP 400, reason BadRequest);
* stand-in:  ``pipelineruns.tekton.dev "<name>" is forbidden: ValidatingAdmissionPolicy
  'wetest-tekton-unique-params' with binding 'wetest-tekton-unique-params' denied request:
  validation failed: expected exactly one, got both: spec.params[TARGET_RESOURCE].name``
  (HTTP 422, reason Invalid: a policy cannot answer BadRequest).
"""

from __future__ import annotations

from typing import Any

from kubernetes import client

from wetest.domain import durations
from wetest.errors import StartupFailed, WaitTimeout
from wetest.kube import objects
from wetest.kube.errors import KubeAPIError
from wetest.stack.tekton import bundles, scenarios

Body = dict[str, Any]
NAME = "wetest-tekton-unique-params"
MANAGER = "wetest-tekton-stand-in"
GROUP, VERSION = "admissionregistration.k8s.io", "v1"

# a PipelineRun without spec (or params) has no names to repeat: never an evaluation error
_NAMES = (
    "has(object.spec) && has(object.spec.params) ? "
    "object.spec.params.map(p, p.name.lowerAscii()) : []"
)
_REPEATED = (
    "variables.names.filter(n, variables.names.indexOf(n) != variables.names.lastIndexOf(n))"
)
_MESSAGE = (
    "'validation failed: expected exactly one, got both: spec.params[' + "
    "object.spec.params[variables.names.lastIndexOf(variables.repeated[0])].name + '].name'"
)


def documents() -> list[Body]:
    """The policy and its binding (cluster-wide, every namespace)."""
    policy: Body = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": NAME},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {
                "resourceRules": [
                    {
                        "apiGroups": ["tekton.dev"],
                        "apiVersions": ["*"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": ["pipelineruns", "taskruns"],
                    }
                ]
            },
            "variables": [
                {"name": "names", "expression": _NAMES},
                {"name": "repeated", "expression": _REPEATED},
            ],
            "validations": [
                {
                    "expression": "size(variables.repeated) == 0",
                    "messageExpression": _MESSAGE,
                    "reason": "Invalid",
                }
            ],
        },
    }
    binding: Body = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": NAME},
        "spec": {"policyName": NAME, "validationActions": ["Deny"]},
    }
    return [policy, binding]


def install(api: client.ApiClient) -> None:
    """Apply the policy and its binding (idempotent: the stand-in applies them at each start)."""
    apply(api, documents())


def apply(api: client.ApiClient, docs: list[Body]) -> None:
    """Server-side apply admission policies and bindings (``admissionregistration.k8s.io/v1``)."""
    for doc in docs:
        kind = doc["kind"].lower()
        plural = kind[:-1] + "ies" if kind.endswith("y") else kind + "s"
        ref = objects.ObjectRef(GROUP, VERSION, plural, name=doc["metadata"]["name"])
        objects.request(
            api,
            "PATCH",
            ref.path(),
            query=[("fieldManager", MANAGER), ("force", "true")],
            body=doc,
            content_type="application/apply-patch+yaml",
        ).read()


ENFORCED_TIMEOUT = 30.0
"""Seconds for the API server to enforce the policy after it is applied (compiled in ~1 s)."""


def await_enforced(api: client.ApiClient, namespace: str) -> None:
    """Wait until a dry-run PipelineRun with a repeated parameter is refused by the policy.

    The API server enforces a new policy only once it has compiled it, a moment after the
    apply; a test that ran in that moment saw a PipelineRun with a duplicate parameter
    admitted and played to Completed. The stack is ready only once the check holds.
    """
    from wetest.waiting import expectations
    from wetest.waiting.eventually import eventually

    body = {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {"generateName": "wetest-unique-params-"},
        "spec": {
            "pipelineRef": {"name": "wetest-check"},
            "params": [{"name": "X", "value": "a"}, {"name": "x", "value": "b"}],
        },
    }
    path = objects.ObjectRef("tekton.dev", "v1", "pipelineruns", namespace).path()

    def refused() -> bool:
        try:
            objects.call(api, "POST", path, body=body, query=objects.DRY_RUN)
        except KubeAPIError as exc:
            return NAME in str(exc)
        return False

    try:
        eventually(
            refused,
            expectations.satisfies(bool, f"the {NAME} policy refuses repeated parameters"),
            timeout=ENFORCED_TIMEOUT,
        )
    except WaitTimeout as exc:
        raise StartupFailed(
            f"The Tekton stand-in's ValidatingAdmissionPolicy {NAME} was not enforced within "
            f"{ENFORCED_TIMEOUT:.0f}s, so PipelineRuns with repeated parameters would be "
            "admitted. Check the stand-in's log and the API server's admission plugins, then "
            "run: wetest doctor"
        ) from exc


def await_timeout_policy(api: client.ApiClient, namespace: str) -> None:
    """Wait until a dry-run timeout-scenario PipelineRun is admitted with its pipeline timeout.

    Applying the MutatingAdmissionPolicy (:func:`bundles.timeout_policy`) is not enough: the API
    server mutates a kind only once its type converter has loaded that CRD's schema from the
    OpenAPI it publishes, a moment later; until then it answers such a create 503 ("Resource
    kind tekton.dev/v1, Kind=PipelineRun not found"). CI saw exactly that on a freshly started
    real tier, so the tier is ready only once a timeout PipelineRun comes back with the
    policy's ``spec.timeouts.pipeline``. Not merely *a* timeout: before the policy is enforced,
    real Tekton's defaulting webhook answers with its own ``1h0m0s``.
    """
    from wetest.waiting import expectations
    from wetest.waiting.eventually import eventually

    scenario = scenarios.parse("fail reason=timeout after=1s")
    repository = bundles.repository(scenario)
    body = {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {"generateName": "wetest-timeout-policy-"},
        "spec": {
            "pipelineRef": bundles.pipeline_ref(f"127.0.0.1:1/{repository}@sha256:{'0' * 64}")
        },
    }
    path = objects.ObjectRef.pipeline_run(namespace).path()
    wanted = (scenario.after or 0.0) + bundles.RESOLUTION_ALLOWANCE

    def timeout() -> float | None:
        made = objects.call(api, "POST", path, body=body, query=objects.DRY_RUN)
        pipeline = (made["spec"].get("timeouts") or {}).get("pipeline")
        return durations.parse_go_duration(pipeline) if isinstance(pipeline, str) else None

    try:
        eventually(
            timeout,
            expectations.satisfies(
                lambda seconds: seconds == wanted,
                f"the {bundles.TIMEOUT_POLICY} policy sets the pipeline timeout to {wanted:g}s",
            ),
            timeout=ENFORCED_TIMEOUT,
        )
    except WaitTimeout as exc:
        raise StartupFailed(
            f"The MutatingAdmissionPolicy {bundles.TIMEOUT_POLICY} did not set a timeout "
            f"scenario's spec.timeouts within {ENFORCED_TIMEOUT:.0f}s, so timeout scenarios "
            "would run for Tekton's default hour. Check the kube-apiserver log (its admission "
            "plugins and OpenAPI publishing), then run: wetest doctor"
        ) from exc
