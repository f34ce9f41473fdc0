"""ValidatingAdmissionPolicies that make the API server itself refuse one write.

Suites use them to produce, deterministically and for one object only, failures a controller
must handle: a PipelineRun create error (WE-RUN-012), a status write refused until lifted
(WE-STAT-004). GA since Kubernetes 1.30, so no webhook server is needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kubernetes import client

from wetest.kube import objects
from wetest.kube.errors import KubeAPIError


@dataclass
class Denial:
    """An installed deny policy: ask whether it is enforced yet, lift it early."""

    api: client.ApiClient
    name: str
    message: str
    lifted: bool = False

    def refuses(self, method: str, path: str, body: object) -> bool:
        """Whether a dry run of this write is refused with this policy's message.

        The API server enforces a new policy only once it has compiled it, a moment after the
        create: a test waits for ``refuses`` before relying on the denial.
        """
        try:
            objects.call(self.api, method, path, query=objects.DRY_RUN, body=body)
        except KubeAPIError as exc:
            return self.message in str(exc)
        return False

    def lift(self) -> None:
        """Remove the policy (once; leaving the ``denying`` block lifts it if still there)."""
        if not self.lifted:
            remove(self.api, self.name)
            self.lifted = True


@contextmanager
def denying(
    api: client.ApiClient, name: str, rule: dict[str, Any], expression: str, message: str
) -> Iterator[Denial]:
    """Deny the writes ``rule`` matches for which ``expression`` is false, inside the block."""
    install(api, deny_policy(name, rule, expression, message))
    denial = Denial(api, name, message)
    try:
        yield denial
    finally:
        denial.lift()


def deny_policy(name: str, rule: dict[str, Any], expression: str, message: str) -> dict[str, Any]:
    """A policy denying requests matched by ``rule`` for which ``expression`` is false."""
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {"resourceRules": [rule]},
            "validations": [{"expression": expression, "message": message}],
        },
    }


def rule(group: str, version: str, resource: str, operation: str) -> dict[str, Any]:
    """One resourceRules entry (``resource`` may name a subresource: ``x/status``)."""
    return {
        "apiGroups": [group],
        "apiVersions": [version],
        "operations": [operation],
        "resources": [resource],
    }


def install(api: client.ApiClient, policy: dict[str, Any]) -> None:
    """Create the policy and a Deny binding of the same name."""
    name = policy["metadata"]["name"]
    admission = client.AdmissionregistrationV1Api(api)
    admission.create_validating_admission_policy(policy)
    admission.create_validating_admission_policy_binding(
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": name},
            "spec": {"policyName": name, "validationActions": ["Deny"]},
        }
    )


def remove(api: client.ApiClient, name: str) -> None:
    """Delete the binding, then the policy."""
    admission = client.AdmissionregistrationV1Api(api)
    admission.delete_validating_admission_policy_binding(name)
    admission.delete_validating_admission_policy(name)
