"""The pod simulator of the real Tekton tier: KWOK Stages, one fake Node, a binding policy.

Tekton's pods are bound at admission by a MutatingAdmissionPolicy (GA in Kubernetes 1.36)
that sets ``spec.nodeName`` to the fake Node, instead of by kube-scheduler. Why: the
scheduler would be one more ~1 min build and one more process to supervise, and a Python
binder one more watch loop in the pod's path; the policy binds inside the create request
itself, costs nothing to run and cannot lag. What it gives up is scheduling semantics
(resource fit, node selectors, taints), which no scenario needs.

KWOK (out of cluster, managing only Nodes annotated ``kwok.x-k8s.io/node: fake``) then plays
the kubelet through the Stages below. They are generic: a pod's outcome comes from its
annotations (the shared interface 2, declared by the scenario bundles):

* ``wetest.kubernaut.ai/outcome``: ``succeed`` (default), ``fail``, ``run-forever``,
  ``image-pull``;
* ``wetest.kubernaut.ai/exit-code`` (default 0, or 1 for ``fail``),
  ``wetest.kubernaut.ai/reason`` (default ``Completed``, or ``Error`` for a non-zero code),
  ``wetest.kubernaut.ai/after`` (a Go duration, time spent Running; default 0),
  ``wetest.kubernaut.ai/termination-message`` (the step's termination message: Tekton reads
  results from it, so it must be empty or a JSON array of ``{"key","value","type"}``).

Carrier: Tekton copies a Task's ``metadata.annotations`` to its TaskRun and the TaskRun's
annotations onto the Pod (``pod.go``: ``kmeta.CopyMap(taskRun.Annotations)``), so a bundle
declares the outcome on its Task's metadata. Every step container of the pod ends the same
way. A pod with no annotation succeeds at once, so plain Tekton runs also complete.
"""

from __future__ import annotations

from typing import Any

NODE = "wetest-kwok-node"
NODE_ANNOTATION = ("kwok.x-k8s.io/node", "fake")
POLICY = "wetest-bind-tekton-pods"
PREFIX = "wetest.kubernaut.ai/"
OUTCOMES = ("succeed", "fail", "run-forever", "image-pull")

Doc = dict[str, Any]


def _annotation(key: str) -> str:
    """The jq path of one of interface 2's annotations (KWOK selectors are jq)."""
    return f'.metadata.annotations["{PREFIX}{key}"]'


def _tpl(key: str) -> str:
    """The Go-template lookup of one annotation (empty when absent)."""
    return f'(index (or .metadata.annotations dict) "{PREFIX}{key}")'


MANAGED_BY = "app.kubernetes.io/managed-by"
_TEKTON_POD = {
    "key": f'.metadata.labels["{MANAGED_BY}"]',
    "operator": "In",
    "values": ["tekton-pipelines"],
}
_NOT_DELETED = {"key": ".metadata.deletionTimestamp", "operator": "DoesNotExist"}


def _stage(name: str, match: list[Doc], nxt: Doc, delay: Doc | None = None) -> Doc:
    spec: Doc = {
        "resourceRef": {"apiGroup": "v1", "kind": "Pod"},
        "selector": {"matchExpressions": match},
        "next": nxt,
    }
    if delay:
        spec["delay"] = delay
    return {
        "apiVersion": "kwok.x-k8s.io/v1alpha1",
        "kind": "Stage",
        "metadata": {"name": name},
        "spec": spec,
    }


_READY = """\
{{ $now := Now }}
conditions:
- {lastTransitionTime: {{ $now | Quote }}, status: "True", type: Initialized}
- {lastTransitionTime: {{ $now | Quote }}, status: "True", type: Ready}
- {lastTransitionTime: {{ $now | Quote }}, status: "True", type: ContainersReady}
containerStatuses:
{{ range .spec.containers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: true
  restartCount: 0
  started: true
  state:
    running:
      startedAt: {{ $now | Quote }}
{{ end }}
initContainerStatuses:
{{ range .spec.initContainers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: true
  restartCount: 0
  state:
    terminated:
      exitCode: 0
      finishedAt: {{ $now | Quote }}
      reason: Completed
      startedAt: {{ $now | Quote }}
{{ end }}
hostIP: 10.0.0.1
podIP: 10.0.0.2
phase: Running
startTime: {{ $now | Quote }}
"""

# One template for success and failure: the exit code decides phase and default reason.
_END = (
    "{{ $now := Now }}\n"
    f'{{{{ $outcome := or {_tpl("outcome")} "succeed" }}}}\n'
    f'{{{{ $code := or {_tpl("exit-code")} (ternary "1" "0" (eq $outcome "fail")) }}}}\n'
    f'{{{{ $reason := or {_tpl("reason")} (ternary "Completed" "Error" (eq $code "0")) }}}}\n'
    f'{{{{ $message := or {_tpl("termination-message")} "" }}}}\n'
    """\
conditions:
- {lastTransitionTime: {{ $now | Quote }}, status: "True", type: Initialized}
- {lastTransitionTime: {{ $now | Quote }}, status: "False", type: Ready, reason: PodCompleted}
- lastTransitionTime: {{ $now | Quote }}
  status: "False"
  type: ContainersReady
  reason: PodCompleted
containerStatuses:
{{ range $i, $c := .spec.containers }}
- image: {{ $c.image | Quote }}
  name: {{ $c.name | Quote }}
  ready: false
  restartCount: 0
  started: false
  state:
    terminated:
      exitCode: {{ $code }}
      reason: {{ $reason | Quote }}
      {{ if $message }}message: {{ $message | Quote }}{{ end }}
      startedAt: {{ $now | Quote }}
      finishedAt: {{ $now | Quote }}
{{ end }}
phase: {{ ternary "Succeeded" "Failed" (eq $code "0") }}
"""
)

_IMAGE_PULL = """\
{{ $now := Now }}
conditions:
- {lastTransitionTime: {{ $now | Quote }}, status: "True", type: Initialized}
- {lastTransitionTime: {{ $now | Quote }}, status: "False", type: Ready, reason: ContainersNotReady}
containerStatuses:
{{ range .spec.containers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: false
  restartCount: 0
  started: false
  state:
    waiting:
      reason: ImagePullBackOff
      message: {{ printf "Back-off pulling image %q" .image | Quote }}
{{ end }}
hostIP: 10.0.0.1
phase: Pending
startTime: {{ $now | Quote }}
"""


def stages() -> list[Doc]:
    """The Stages KWOK plays: node ready; pod ready, ended, image-pull, deleted."""
    pending = {"key": ".status.phase", "operator": "In", "values": ["Pending"]}
    outcome = _annotation("outcome")
    return [
        node_stage(),
        _stage(
            "wetest-pod-image-pull",
            [
                _NOT_DELETED,
                _TEKTON_POD,
                pending,
                {"key": outcome, "operator": "In", "values": ["image-pull"]},
                {"key": ".status.containerStatuses", "operator": "DoesNotExist"},
            ],
            {"statusTemplate": _IMAGE_PULL},
        ),
        _stage(
            "wetest-pod-ready",
            [
                _NOT_DELETED,
                _TEKTON_POD,
                pending,
                {"key": outcome, "operator": "NotIn", "values": ["image-pull"]},
            ],
            {"statusTemplate": _READY},
        ),
        _stage(
            "wetest-pod-end",
            [
                _NOT_DELETED,
                _TEKTON_POD,
                {"key": ".status.phase", "operator": "In", "values": ["Running"]},
                {"key": outcome, "operator": "NotIn", "values": ["run-forever", "image-pull"]},
            ],
            {"statusTemplate": _END},
            delay={
                "durationMilliseconds": 0,
                "durationFrom": {"expressionFrom": _annotation("after")},
            },
        ),
        _stage(
            "wetest-pod-delete",
            [{"key": ".metadata.deletionTimestamp", "operator": "Exists"}],
            {"delete": True},
        ),
    ]


def node_stage() -> Doc:
    """Mark the fake Node Ready (KWOK's stock node-initialize, reduced to what we read)."""
    return {
        "apiVersion": "kwok.x-k8s.io/v1alpha1",
        "kind": "Stage",
        "metadata": {"name": "wetest-node-initialize"},
        "spec": {
            "resourceRef": {"apiGroup": "v1", "kind": "Node"},
            "selector": {
                "matchExpressions": [
                    {
                        "key": '.status.conditions.[] | select( .type == "Ready" ) | .status',
                        "operator": "NotIn",
                        "values": ["True"],
                    }
                ]
            },
            "next": {"statusTemplate": _NODE},
        },
    }


_NODE = """\
{{ $now := Now }}
conditions:
{{ range NodeConditions }}
- lastHeartbeatTime: {{ $now | Quote }}
  lastTransitionTime: {{ $now | Quote }}
  message: {{ .message | Quote }}
  reason: {{ .reason | Quote }}
  status: {{ .status | Quote }}
  type: {{ .type | Quote }}
{{ end }}
addresses:
- {address: 10.0.0.1, type: InternalIP}
- {address: {{ NodeName | Quote }}, type: Hostname}
allocatable: {cpu: 1k, memory: 1Ti, pods: 1M}
capacity: {cpu: 1k, memory: 1Ti, pods: 1M}
nodeInfo:
  architecture: amd64
  kubeletVersion: fake
  operatingSystem: linux
phase: Running
"""


def node() -> Doc:
    """The one fake Node every Tekton pod is bound to."""
    key, value = NODE_ANNOTATION
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": NODE,
            "annotations": {key: value},
            "labels": {"kubernetes.io/hostname": NODE, "type": "kwok"},
        },
    }


def binding_policy() -> list[Doc]:
    """A MutatingAdmissionPolicy + binding that bind every new Tekton pod to :data:`NODE`."""
    labels = "object.metadata.labels"
    expression = (
        f"has({labels}) && '{MANAGED_BY}' in {labels} && "
        f"{labels}['{MANAGED_BY}'] == 'tekton-pipelines' && "
        "(!has(object.spec.nodeName) || object.spec.nodeName == '')"
    )
    return [
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "MutatingAdmissionPolicy",
            "metadata": {"name": POLICY},
            "spec": {
                "matchConstraints": {
                    "resourceRules": [
                        {
                            "apiGroups": [""],
                            "apiVersions": ["v1"],
                            "operations": ["CREATE"],
                            "resources": ["pods"],
                        }
                    ]
                },
                "matchConditions": [{"name": "unbound-tekton-pod", "expression": expression}],
                "failurePolicy": "Fail",
                "reinvocationPolicy": "Never",
                "mutations": [
                    {
                        "patchType": "ApplyConfiguration",
                        "applyConfiguration": {
                            "expression": f"Object{{spec: Object.spec{{nodeName: '{NODE}'}}}}"
                        },
                    }
                ],
            },
        },
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "MutatingAdmissionPolicyBinding",
            "metadata": {"name": POLICY},
            "spec": {"policyName": POLICY},
        },
    ]


def argv(binary: str, kubeconfig: str, config: str, server_port: int) -> list[str]:
    """KWOK out of cluster, managing only our annotated Node, its stages from ``config``."""
    key, value = NODE_ANNOTATION
    return [
        binary,
        f"--kubeconfig={kubeconfig}",
        f"--config={config}",
        "--manage-all-nodes=false",
        f"--manage-nodes-with-annotation-selector={key}={value}",
        f"--server-address=127.0.0.1:{server_port}",
        "--node-ip=10.0.0.1",
    ]
