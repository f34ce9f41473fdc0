"""kube-apiserver's audit log as API-call evidence: the policy, who is who, and the reader.

Why the API server's own log: it is the only record of what every client (the controller
under test, written in any language, the harness, the Tekton stand-in, kube-controller-manager)
asked and what it was answered (409 Conflict, 422, 403 ...). The controller's own log says what
it *meant* to do; the audit log says what the API server did.

One place owns the three parts that must agree:

* the audit policy (Metadata for ``kubernaut.ai`` and ``tekton.dev`` including ``status``,
  core Events and Namespaces; nothing else; no RequestReceived/ResponseStarted stages, so one
  line per request);
* the identities: each component gets a client certificate whose CN is one of
  :data:`USERS`, and Python clients also send a user agent of :data:`USER_AGENTS`; :func:`actor`
  maps a (user, user agent) pair to ``controller``, ``harness``, ``tekton``,
  ``kube-controller-manager`` or ``other``;
* the reader: :class:`AuditIndex` reads the (shared, growing) audit.log incrementally and
  hands out one test's requests as the ``api-calls.jsonl`` records of the evidence folder.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

POLICY = """\
# wetest's audit policy (wetest/stack/apiaudit.py): one Metadata line per request on the
# WorkflowExecution and Tekton resources (status subresource included), Events, Namespaces.
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived", "ResponseStarted"]
rules:
- level: Metadata
  resources:
  - group: kubernaut.ai
  - group: tekton.dev
- level: Metadata
  resources:
  - group: ""
    resources: ["events", "namespaces"]
- level: None
"""

AVAILABLE = "available"
UNAVAILABLE_EXISTING = "unavailable: existing cluster, wetest did not start its kube-apiserver"
UNAVAILABLE_DISABLED = "unavailable: audit_log is false (--wetest-audit-log)"

# client-certificate common names, one per component (all in O=system:masters, so RBAC passes)
USERS: dict[str, str] = {
    "controller": "wetest:controller-under-test",
    "harness": "wetest:harness",
    "tekton": "wetest:tekton-standin",
    "kube-controller-manager": "system:kube-controller-manager",
}
ADMIN_USER = "wetest-admin"  # the kubeconfig `wetest up` prints, for people

# user agents of wetest's own Python clients: the second signal, also on backends whose
# client CA wetest does not hold (kind, existing)
USER_AGENTS: dict[str, str] = {
    "controller": "wetest-reference-controller/0.1",
    "harness": "wetest-harness/0.1",
    "tekton": "wetest-tekton-standin/0.1",
}
ACTORS = ("controller", "harness", "tekton", "kube-controller-manager", "other")

_ACTOR_OF_USER = {user: actor for actor, user in USERS.items()}


def actor(user: str, user_agent: str = "") -> str:
    """The component that made a request, from its authenticated user, then its user agent.

    The user decides when it is one of wetest's identities (robust for a Go controller we did
    not write); in-cluster service accounts are sorted by namespace (kind: Tekton's and
    kube-system's controllers; any other is the deployed controller under test); the user agent
    decides for shared identities such as kind's admin.
    """
    if user in _ACTOR_OF_USER:
        return _ACTOR_OF_USER[user]
    if user.startswith("system:serviceaccount:"):
        namespace = user.split(":")[2] if user.count(":") >= 3 else ""
        if namespace.startswith("tekton-"):
            return "tekton"
        if namespace == "kube-system":
            return "kube-controller-manager"
        return "controller"
    for name, agent in USER_AGENTS.items():
        if user_agent.startswith(agent.split("/", 1)[0] + "/"):
            return name
    if user_agent.startswith("kube-controller-manager/"):
        return "kube-controller-manager"
    return "other"


def write_policy(directory: Path) -> Path:
    """Write the policy file into a stack's work directory; return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "audit-policy.yaml"
    path.write_text(POLICY)
    return path


def apiserver_flags(policy: Path, log: Path) -> list[str]:
    """The kube-apiserver flags that turn the log on (kind passes the same as extraArgs).

    Mode ``blocking`` (the log backend's default) writes each event before the request
    completes, so a failed test's evidence never misses its last calls; bench
    ``apiserver_audit_cost.py`` measured it against no audit log at all.
    """
    return [
        f"--audit-policy-file={policy}",
        f"--audit-log-path={log}",
        "--audit-log-format=json",
        "--audit-log-mode=blocking",
        "--audit-log-maxbackup=0",
        "--audit-log-maxsize=0",
    ]


@dataclass(frozen=True)
class Scope:
    """What one test owns: its namespace(s), its PipelineRuns (by name) in the execution ns."""

    namespaces: frozenset[str]
    execution_namespace: str = ""
    pipelineruns: frozenset[str] = frozenset()

    def covers(self, namespace: str, resource: str, name: str) -> bool:
        if namespace in self.namespaces:
            return True
        if resource == "namespaces":  # a namespace's create names it only as the object
            return name in self.namespaces
        if namespace != self.execution_namespace or not name:
            return False
        if resource == "pipelineruns":
            return name in self.pipelineruns
        if resource == "taskruns":  # Tekton names TaskRuns <pipelinerun>-<task>
            return any(name.startswith(pr + "-") for pr in self.pipelineruns)
        return False


_NAMESPACE = re.compile(r'"objectRef":\{[^{}]*?"namespace":"([^"]*)"')
_NAMESPACE_OBJECT = re.compile(r'"objectRef":\{"resource":"namespaces"[^{}]*?"name":"([^"]*)"')


def record(event: dict[str, Any]) -> dict[str, Any]:
    """One audit event (audit.k8s.io/v1 Event, Metadata level) as an api-calls.jsonl record."""
    ref = event.get("objectRef") or {}
    user = (event.get("user") or {}).get("username", "")
    agent = event.get("userAgent", "")
    status = event.get("responseStatus") or {}
    return {
        "time": event.get("requestReceivedTimestamp") or event.get("stageTimestamp") or "",
        "actor": actor(user, agent),
        "user": user,
        "user_agent": agent,
        "verb": event.get("verb", ""),
        "resource": ref.get("resource", ""),
        "subresource": ref.get("subresource", ""),
        "namespace": ref.get("namespace", ""),
        "name": ref.get("name", ""),
        "code": status.get("code"),
        "reason": status.get("reason", ""),
        "message": status.get("message", ""),
    }


def parse_lines(lines: Iterable[str]) -> list[dict[str, Any]]:
    """Records of the complete, parseable lines (a torn last line is skipped, never fatal)."""
    out = []
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("stage", "ResponseComplete") in (
            "ResponseComplete",
            "Panic",
        ):
            out.append(record(event))
    return out


class AuditIndex:
    """An incremental reader of one audit.log, indexed by the namespace of each request.

    The log is shared by every test of a run and grows to tens of MB; a failed test needs a
    handful of its lines. So each call reads only the bytes appended since the last one, files
    the raw lines under their objectRef namespace with a regex (no JSON parsing), and parses
    only the lines of the namespaces asked for. Safe to share between threads.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._partial = b""
        self._by_namespace: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def _catch_up(self) -> None:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self._offset)
                data = handle.read()
        except OSError:
            return
        self._offset += len(data)
        data, self._partial = self._partial + data, b""
        lines = data.split(b"\n")
        self._partial = lines.pop()  # b"" after a complete line; else a line still written
        for raw in lines:
            line = raw.decode("utf-8", errors="replace")
            found = _NAMESPACE.search(line) or _NAMESPACE_OBJECT.search(line)
            self._by_namespace.setdefault(found.group(1) if found else "", []).append(line)

    def calls(self, scope: Scope) -> list[dict[str, Any]]:
        """The scope's requests, time-ordered (records of :func:`record`)."""
        with self._lock:
            self._catch_up()
            wanted = {*scope.namespaces, scope.execution_namespace} - {""}
            lines = [line for ns in wanted for line in self._by_namespace.get(ns, [])]
        found = [
            r for r in parse_lines(lines) if scope.covers(r["namespace"], r["resource"], r["name"])
        ]
        return sorted(found, key=lambda r: str(r["time"]))


_INDEXES: dict[Path, AuditIndex] = {}


def index_for(path: Path) -> AuditIndex:
    """The process's one index of an audit log (a pytest worker reads each byte once)."""
    return _INDEXES.setdefault(path, AuditIndex(path))


def to_jsonl(records: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, sort_keys=False) + "\n" for r in records)


def run_status(backend: str, audit_log: bool, recorded: str) -> str:
    """run.json's ``api_call_evidence``: what the stack recorded, else why there is none."""
    if recorded:
        return recorded
    if backend == "existing":
        return UNAVAILABLE_EXISTING
    if not audit_log:
        return UNAVAILABLE_DISABLED
    return "unavailable: no wetest stack was started in this run"
