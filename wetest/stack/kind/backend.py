"""The kind backend: a kind cluster with real Tekton, for users who have Docker.

Everything goes through the ``docker``, ``kind`` and ``kubectl`` executables (see
``wetest.stack.kind.commands`` for why). Order: fail fast (executables and a daemon that
answers, under 5 s), create or reuse the cluster, write its kubeconfig under the state dir
(the user's own kubeconfig is never touched), install the pinned Tekton release and wait until
it admits TaskRuns, apply the WorkflowExecution CRDs. If a step fails after the cluster exists,
its logs are exported with ``kind export logs`` and a cluster we created is deleted unless kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from wetest import progress
from wetest.config.settings import Settings
from wetest.errors import StartupFailed
from wetest.stack import apiaudit
from wetest.stack.endpoints import Endpoints
from wetest.stack.kind import assets, preflight, tekton_release
from wetest.stack.kind.commands import Kubectl, check
from wetest.stack.kind.tekton_release import Waits

NODE_WAIT = 120.0


@dataclass(frozen=True)
class KindOptions:
    """What the backend needs, already resolved; :func:`create` builds it from Settings."""

    state_dir: Path
    cache_dir: Path
    cluster_name: str = "wetest"
    reuse: bool = False
    keep: bool = False
    tekton_release: str = ""
    waits: Waits = field(default_factory=Waits)
    node_wait: float = NODE_WAIT
    audit_log: bool = True

    @property
    def kubeconfig(self) -> Path:
        return self.state_dir / "kind" / self.cluster_name / "kubeconfig"

    @property
    def audit_dir(self) -> Path:
        """Host folder mounted into the node: the audit policy and kube-apiserver's log."""
        return self.state_dir / "kind" / self.cluster_name / "audit"

    @property
    def generated_config(self) -> Path:
        return self.state_dir / "kind" / self.cluster_name / "cluster.yaml"

    @property
    def failure_logs(self) -> Path:
        return self.state_dir / "kind" / self.cluster_name / "logs"


class KindBackend:
    """Create (or reuse) a kind cluster with Tekton; delete it on stop unless reused or kept."""

    name = "kind"

    def __init__(self, options: KindOptions) -> None:
        self.options = options
        self.kubectl = Kubectl(options.kubeconfig)
        self._owned = False
        self._exists = False
        self._reused = False
        self._tekton = ""

    def start(self) -> Endpoints:
        """Fail fast, then bring the cluster up; on failure export logs and clean up."""
        preflight.check()
        config = assets.cluster_config()
        if self.options.audit_log:
            config = assets.audited_config(
                config, self.options.generated_config, self.options.audit_dir
            )
        pinned = assets.pinned_release()
        manifest = assets.release_manifest(
            self.options.tekton_release, pinned, self.options.cache_dir
        )
        self._tekton = f"release {self.options.tekton_release or pinned.version}"
        try:
            self._cluster(config)
            tekton_release.install(self.kubectl, manifest, self.options.waits)
            self._apply_crds()
        except BaseException as exc:
            self._fail(exc)
            raise
        return self._endpoints()

    def stop(self) -> None:
        """Delete the cluster if this backend created it and it is not to be kept."""
        name = self.options.cluster_name
        if not self._owned or self.options.keep:
            if self._exists:
                progress.say(f"keeping kind cluster {name} (kubeconfig {self.kubectl.kubeconfig})")
            return
        with progress.step(f"deleting kind cluster {name}"):
            check(
                [
                    "kind",
                    "delete",
                    "cluster",
                    "--name",
                    name,
                    "--kubeconfig",
                    str(self.kubectl.kubeconfig),
                ],
                120.0,
                fix=f"Run: kind delete cluster --name {name}",
            )
        self._owned = self._exists = False

    def export_logs(self, into: Path) -> list[Path]:
        """``kind export logs`` into a folder of its own under into; return the files."""
        target = into / f"kind-{self.options.cluster_name}"
        check(
            ["kind", "export", "logs", str(target), "--name", self.options.cluster_name],
            300.0,
            fix=f"Run: kind export logs {target} --name {self.options.cluster_name}",
        )
        return sorted(p for p in target.rglob("*") if p.is_file())

    def load_image(self, ref: str) -> None:
        """Copy a locally built image into the cluster's node (the ``image:<ref>`` target)."""
        name = self.options.cluster_name
        with progress.step(f"loading image {ref} into kind cluster {name}"):
            check(
                ["kind", "load", "docker-image", ref, "--name", name],
                600.0,
                fix=f"Build or pull it first (docker image inspect {ref} must succeed), then "
                f"run: kind load docker-image {ref} --name {name}",
            )

    def host_address(self) -> str:
        """Return the host's address on the ``kind`` Docker network, where Pods reach the host."""
        result = check(
            [
                "docker",
                "network",
                "inspect",
                "kind",
                "--format",
                "{{range .IPAM.Config}}{{.Gateway}} {{end}}",
            ],
            30.0,
            fix="Run: docker network inspect kind",
        )
        ipv4 = [a for a in result.stdout.split() if "." in a]
        if not ipv4:
            raise StartupFailed(
                f"The kind Docker network has no IPv4 gateway (docker said: "
                f"{result.stdout.strip()!r}). Run: docker network inspect kind"
            )
        return ipv4[0]

    def _cluster(self, config: Path) -> None:
        name, kubeconfig = self.options.cluster_name, self.kubectl.kubeconfig
        kubeconfig.parent.mkdir(parents=True, exist_ok=True)
        if name in self._existing_clusters():
            self._reuse(name, kubeconfig)
            return
        self._owned = True
        with progress.step(f"creating kind cluster {name} from {config}"):
            check(
                [
                    "kind",
                    "create",
                    "cluster",
                    "--name",
                    name,
                    "--config",
                    str(config),
                    "--kubeconfig",
                    str(kubeconfig),
                    f"--wait={self.options.node_wait:.0f}s",
                ],
                self.options.node_wait + 300.0,
                fix=f"Fix the cause above; `kind create cluster --name {name} --config "
                f"{config} --retain` keeps the node for inspection.",
            )
        self._exists = True

    def _existing_clusters(self) -> list[str]:
        result = check(["kind", "get", "clusters"], 30.0, fix="Run: kind get clusters")
        return result.stdout.split()

    def _reuse(self, name: str, kubeconfig: Path) -> None:
        if not self.options.reuse:
            raise StartupFailed(
                f"A kind cluster named {name} already exists. Pass "
                "--wetest-kind-reuse to use it, or run: "
                f"kind delete cluster --name {name}"
            )
        progress.say(f"reusing kind cluster {name}")
        self._reused = True
        check(
            ["kind", "export", "kubeconfig", "--name", name, "--kubeconfig", str(kubeconfig)],
            30.0,
            fix=f"Run: kind export kubeconfig --name {name}",
        )
        self._exists = True

    def _apply_crds(self) -> None:
        for crd in assets.crd_files():
            self.kubectl.check("apply", "-f", str(crd), fix=f"Check {crd}, then apply it again.")
            self.kubectl.check(
                "wait",
                "--for=condition=Established",
                f"--timeout={self.options.waits.crds:.0f}s",
                "-f",
                str(crd),
                timeout=self.options.waits.crds + 30,
                fix=f"Run: {' '.join(self.kubectl.argv('get', '-f', str(crd)))}",
            )

    def _fail(self, exc: BaseException) -> None:
        """Export logs of a cluster that exists, then delete it if we own it and may."""
        if self._exists:
            try:
                files = self.export_logs(self.options.failure_logs)
                exc.add_note(
                    f"kind cluster logs ({len(files)} files) are in {self.options.failure_logs}"
                )
            except StartupFailed as export_error:
                progress.say(f"could not export kind logs: {export_error}")
        try:
            self.stop()
        except StartupFailed as stop_error:
            progress.say(f"could not delete kind cluster: {stop_error}")

    def _endpoints(self) -> Endpoints:
        kubeconfig = yaml.safe_load(self.kubectl.kubeconfig.read_text()) or {}
        clusters = kubeconfig.get("clusters") or [{}]
        server = str(clusters[0].get("cluster", {}).get("server", ""))
        audit_log, evidence = self._api_call_evidence()
        return Endpoints(
            backend=self.name,
            kubeconfig=str(self.kubectl.kubeconfig),
            apiserver=server,
            tekton=self._tekton,
            audit_log=audit_log,
            api_call_evidence=evidence,
        )

    def _api_call_evidence(self) -> tuple[str, str]:
        """The audit log's host path and whether per-test API-call evidence is available.

        A reused cluster has it only if it was created by wetest with the audit config: its
        log then exists in the mounted folder.
        """
        log = self.options.audit_dir / "audit.log"
        if not self.options.audit_log:
            return "", apiaudit.UNAVAILABLE_DISABLED
        if self._reused and not log.exists():
            return "", (
                f"unavailable: reused kind cluster {self.options.cluster_name} was not "
                "created with wetest's audit policy (delete it to get one)"
            )
        return str(log), apiaudit.AVAILABLE


def create(settings: Settings) -> KindBackend:
    """Build the backend from resolved settings (what ``wetest up --backend kind`` calls)."""
    return KindBackend(
        KindOptions(
            state_dir=settings.state_dir,
            cache_dir=settings.cache_dir,
            cluster_name=settings.kind_cluster_name,
            reuse=settings.kind_reuse,
            keep=settings.kind_keep,
            tekton_release=settings.tekton_release,
            waits=Waits().scaled(settings.timeout_scale),
            node_wait=NODE_WAIT * settings.timeout_scale,
            audit_log=settings.audit_log,
        )
    )
