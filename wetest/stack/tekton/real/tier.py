"""Start and stop the real Tekton tier against a running cluster backend.

Order: Tekton's ConfigMaps, accounts, the webhook's Secret, the fake Node and the binding
policy are applied first; then the loopback registry, KWOK and the webhook start side by side;
the webhook configurations are registered only once the webhook answers (their failurePolicy
is Fail, so registering earlier would block every Tekton write); then the controller and the
resolvers. Ready means the webhook admits a server-side dry-run TaskRun: from then on a
PipelineRun is defaulted, validated and run as in a cluster.

Ports: every port the binaries take is reserved on loopback by wetest, except two that
Tekton's and knative's code bind on all interfaces with no option to narrow it (the probes
servers, ``:PROBES_PORT``, and knative's fixed ``:8080`` health server, which only the first
binary gets; the others log the bind failure and run on, see CONTROL-PLANE.md §5.2).
"""

from __future__ import annotations

import os
import socket
import ssl
import time
from pathlib import Path

import httpx
import yaml
from kubernetes import client

from wetest import progress
from wetest.config.settings import Settings
from wetest.errors import DependencyMissing
from wetest.kube import clients, objects
from wetest.stack import binaries, building, certs, ports, probing, processes
from wetest.stack.endpoints import Endpoints
from wetest.stack.tekton import admission, bundles
from wetest.stack.tekton.real import kwok, manifests

SERVICE_ACCOUNTS = ("default", "kubernaut-workflow-runner")
"""Accounts the execution namespace gets: Tekton's default and the bundled controller's."""

FAKE_IMAGE = "wetest.invalid/tekton-image-unused"
"""Tekton's controller refuses to start without its six helper images; no pod ever pulls."""

READY_TIMEOUT = 90.0
PROBE_TASKRUN: objects.Body = {
    "apiVersion": "tekton.dev/v1",
    "kind": "TaskRun",
    "metadata": {"name": "wetest-admission-probe"},
    "spec": {"taskSpec": {"steps": [{"name": "probe", "image": "busybox", "script": "true"}]}},
}


def binary_paths(settings: Settings) -> dict[str, Path]:
    """Each real-tier binary from the build cache; DependencyMissing names the install fix."""
    dirs = building.real_tekton_bin_dirs(settings.cache_dir, settings.tekton_version)
    out = {}
    for tool in building.real_tekton_builds(settings.tekton_version):
        for program in tool.component.programs:
            found = binaries.find(program, "", dirs, env={})
            if found.path is None:
                raise DependencyMissing(
                    f"The real Tekton tier's {program} binary",
                    found.looked,
                    "wetest assets install --tekton real",
                )
            out[program] = found.path
    return out


class RealTekton:
    """The real tier's processes; ``start`` fills the endpoints, ``stop`` ends them all."""

    def __init__(self, settings: Settings, log_dir: Path) -> None:
        self.settings = settings
        self.log_dir = log_dir
        self.work = log_dir / "tekton-real"
        self.procs: list[processes.ManagedProcess] = []
        self.registry = ""
        self.start_seconds = 0.0  # this tier's own start, after the cluster (bench/tekton_real.py)
        self._nowhere = ports.reserve()  # reserved, never listened on: connections are refused

    def start(self, endpoints: Endpoints) -> None:
        began = time.monotonic()
        paths = binary_paths(self.settings)  # fail fast, before anything starts
        self.work.mkdir(parents=True, exist_ok=True)
        api = clients.api_client(endpoints.kubeconfig)
        ca = certs.TinyCA("wetest-tekton-webhook-ca")
        s = self.settings
        with progress.step("Installing Tekton's configuration, accounts and the fake Node"):
            manifests.apply(
                api,
                [
                    *manifests.module_config(s.tekton_version, s.cache_dir),
                    *manifests.accounts(endpoints.execution_namespace, SERVICE_ACCOUNTS),
                    manifests.webhook_secret(ca),
                    *kwok.binding_policy(),
                    *bundles.timeout_policy(),
                    kwok.node(),
                ],
            )
        kubeconfig = endpoints.kubeconfig_of("tekton")
        registry_port = ports.reserve()
        self.registry = f"127.0.0.1:{registry_port}"
        registry = self._start(
            "tekton-registry",
            [str(paths["registry"]), f"-port={registry_port}"],
        )
        config = self.work / "kwok-stages.yaml"
        config.write_text(yaml.safe_dump_all(kwok.stages(), sort_keys=False))
        self._start(
            "tekton-kwok", kwok.argv(str(paths["kwok"]), kubeconfig, str(config), ports.reserve())
        )
        webhook_port = ports.reserve()
        webhook = self._start(
            "tekton-webhook",
            [str(paths["webhook"]), f"--kubeconfig={kubeconfig}"],
            WEBHOOK_PORT=str(webhook_port),
            WEBHOOK_SERVICE_NAME=manifests.WEBHOOK_SERVICE,
            WEBHOOK_SECRET_NAME=manifests.WEBHOOK_SECRET,
            WEBHOOK_ADMISSION_CONTROLLER_NAME=manifests.WEBHOOK_NAME,
            CONFIG_LEADERELECTION_NAME="config-leader-election-webhook",
        )
        self._start(
            "tekton-controller",
            [
                str(paths["controller"]),
                f"-kubeconfig={kubeconfig}",
                "-disable-ha",
                *(
                    f"-{flag}={FAKE_IMAGE}"
                    for flag in (
                        "entrypoint-image",
                        "nop-image",
                        "sidecarlogresults-image",
                        "workingdirinit-image",
                        "shell-image",
                        "shell-image-win",
                    )
                ),
            ],
            CONFIG_DEFAULTS_NAME="config-defaults",
            CONFIG_LEADERELECTION_NAME="config-leader-election-controller",
            CONFIG_SPIRE="config-spire",
        )
        self._start(
            "tekton-resolvers",
            [str(paths["resolvers"]), f"--kubeconfig={kubeconfig}"],
            SYSTEM_NAMESPACE=manifests.RESOLVERS_NAMESPACE,
            METRICS_DOMAIN="tekton.dev/resolution",
            CONFIG_LEADERELECTION_NAME="config-leader-election-resolvers",
        )
        timeout = READY_TIMEOUT * s.timeout_scale
        with progress.step("Waiting for Tekton's webhook, then registering it"):
            webhook.wait_ready(lambda: _serves_tls(webhook_port), timeout)
            manifests.apply(api, manifests.webhook_configurations(webhook_port, ca.pair.cert_pem))
        with progress.step("Waiting until Tekton admits a dry-run TaskRun"):
            webhook.wait_ready(lambda: _admits(api, endpoints.execution_namespace), timeout)
        with progress.step("Waiting until the timeout policy mutates PipelineRuns"):
            admission.await_timeout_policy(api, endpoints.execution_namespace)
        with progress.step("Pushing the scenario bundles"):
            registry.wait_ready(lambda: _registry_answers(self.registry), timeout)
            with httpx.Client(timeout=10.0) as http:
                bundles.publish_standard(http, self.registry)
        endpoints.tekton = "real"
        endpoints.registry = self.registry
        self.start_seconds = time.monotonic() - began
        for proc in self.procs:
            endpoints.pids[proc.name] = proc.pid
            endpoints.logs[proc.name] = str(proc.log_path)

    def _start(self, name: str, argv: list[str], **env: str) -> processes.ManagedProcess:
        # Loopback only: a bundle or image on any other registry (a WE's default
        # containerImage) goes through a proxy that refuses at once instead of the internet.
        nowhere = f"http://127.0.0.1:{self._nowhere}"
        base = {
            "HTTPS_PROXY": nowhere,
            "HTTP_PROXY": nowhere,
            "NO_PROXY": "127.0.0.1,localhost",
            "SYSTEM_NAMESPACE": manifests.NAMESPACE,
            "KUBERNETES_MIN_VERSION": "v1.28.0",
            "METRICS_DOMAIN": "tekton.dev/pipeline",
            "CONFIG_LOGGING_NAME": "config-logging",
            "CONFIG_OBSERVABILITY_NAME": "config-observability",
            "CONFIG_FEATURE_FLAGS_NAME": "feature-flags",
            "PROBES_PORT": str(ports.reserve()),
            "PROFILING_PORT": str(ports.reserve()),
            "METRICS_PROMETHEUS_PORT": str(ports.reserve()),
        }
        full = {**os.environ, **base, **env}
        proc = processes.ManagedProcess(name, argv, self.log_dir / f"{name}.log", env=full)
        self.procs.append(proc.start())
        return proc

    def stop(self) -> None:
        """TERM all together, then wait (see ``processes.stop_all``)."""
        processes.stop_all(self.procs[::-1])


def _registry_answers(address: str) -> bool:
    """The OCI distribution API's version check answers 200."""
    return probing.answers_ok(f"http://{address}/v2/")


def _serves_tls(port: int) -> bool:
    """True once the webhook completes a TLS handshake (its certificate came from the Secret)."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock,
        context.wrap_socket(sock) as tls,
    ):
        return tls.version() is not None


def _admits(api: client.ApiClient, namespace: str) -> bool:
    """A server-side dry-run TaskRun passes Tekton's defaulting and validation webhooks."""
    objects.call(
        api,
        "POST",
        f"/apis/tekton.dev/v1/namespaces/{namespace}/taskruns",
        query=objects.DRY_RUN,
        body=PROBE_TASKRUN,
    )
    return True
