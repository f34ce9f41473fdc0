"""The default backend: real etcd, kube-apiserver and kube-controller-manager on loopback.

Modelled on controller-runtime's envtest (binary lookup, TinyCA, ``/readyz``, CRDs Established
and discoverable) plus kube-controller-manager, so namespaces really finish deleting and
ownerReference dependents are garbage-collected.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from wetest import bundled, progress
from wetest.config.settings import Settings
from wetest.errors import ConfigError, WetestError
from wetest.kube import applying, clients
from wetest.stack import (
    apiaudit,
    apiserver,
    binaries,
    building,
    certs,
    controller_manager,
    etcd,
    processes,
    replica,
    scratch,
)
from wetest.stack.endpoints import Endpoints, ReplicaInfo
from wetest.stack.tekton import crds as tekton_crds


class EnvtestBackend:
    """Start the control plane processes in one work directory; stop them all."""

    name = "envtest"

    def __init__(self, settings: Settings, work_dir: Path | None = None) -> None:
        self.settings = settings
        self.work_dir = work_dir or scratch.make("wetest-envtest-")
        self.procs: list[processes.ManagedProcess] = []
        self.timings: dict[str, float] = {}
        self.replicas: dict[str, replica.ApiServerReplica] = {}
        self._started: tuple[dict[str, Path], str, certs.ControlPlaneCerts, Endpoints] | None = None
        self.ahead: Callable[[], Sequence[str]] | None = None
        """Names of the API-server replicas to spawn beside the first kube-apiserver, asked at
        each poll of its readiness until it names some (a run's forecast, written once pytest
        has collected: ``supervision.forecast``). Spawned after it was ready, a replica reached
        /readyz while a run's first tests began on two CPUs: 6.6-11.6 s of the set-up of the
        API-server restart test, the run's critical path. They run at the usual priority until
        the first server is ready, favoured after (``replica.PRIORITY``): everything else
        waits for the first one."""

    def binary(self, name: str) -> Path:
        s = self.settings
        cache = (
            []
            if s.no_cache
            else building.cache_bin_dirs(s.cache_dir, s.kubernetes_version, s.etcd_version)
        )
        return binaries.require(name, s.assets_dir, cache)

    def start(self) -> Endpoints:
        """Start etcd, kube-apiserver, KCM; install the WE and Tekton CRDs."""
        paths = {b: self.binary(b) for b in binaries.CONTROL_PLANE}  # fail fast, before starting
        crd_docs = self.crd_documents()
        try:
            return self._start(paths, crd_docs)
        except BaseException:
            self.stop()
            raise

    def crd_documents(self) -> list[dict[str, object]]:
        own = applying.load_documents(sorted(bundled.crd_dir().glob("*.yaml")))
        s = self.settings
        return [*own, *tekton_crds.crd_documents(s.tekton_version, s.cache_dir)]

    def template(self, paths: dict[str, Path], crd_docs: list[dict[str, object]]) -> Path | None:
        """The etcd template for these binaries and CRDs (see ``etcd``), kept in the cache.

        None with no_cache, or when the cache holds no assets (a throwaway HOME in a test):
        building a template nobody reuses would cost a start for nothing.
        """
        s = self.settings
        if s.no_cache or not (s.cache_dir / "assets").is_dir():
            return None
        binaries_used = (paths["etcd"], paths["kube-apiserver"])
        key = etcd.template_key(binaries_used, crd_docs, s.execution_namespace)
        return etcd.template_dir(s.cache_dir, key)

    def _build_template(
        self, paths: dict[str, Path], crd_docs: list[dict[str, object]], template: Path
    ) -> None:
        """Start etcd and kube-apiserver once, install the CRDs, stop, keep etcd's data."""
        work = scratch.make("wetest-etcd-template-")
        procs: list[processes.ManagedProcess] = []
        try:
            with progress.step("Building the etcd template (once per asset version)"):
                etcd_proc, etcd_url = etcd.start(paths["etcd"], work)
                procs.append(etcd_proc)
                api_proc, api_url, cert = apiserver.start(
                    paths["kube-apiserver"], work, etcd_url, audit=False
                )
                procs.append(api_proc)
                api = clients.api_client(self._kubeconfig_in(work, api_url, cert))
                applying.install(api, crd_docs)
                applying.ensure_namespace(api, self.settings.execution_namespace)
                processes.stop_all([api_proc])  # etcd last, so its store is complete
                processes.stop_all([etcd_proc])
                etcd.keep_as_template(work, template)
        finally:
            processes.stop_all(procs[::-1])
            scratch.remove(work)

    def _kubeconfig_in(self, work: Path, api_url: str, cert: certs.ControlPlaneCerts) -> str:
        path = work / "kubeconfig"
        path.write_text(certs.kubeconfig(api_url, cert.serving_ca_pem, cert.admin))
        path.chmod(0o600)
        return str(path)

    def _start(self, paths: dict[str, Path], crd_docs: list[dict[str, object]]) -> Endpoints:
        mark = time.monotonic()
        template = self.template(paths, crd_docs)
        if template is not None and not template.is_dir():
            self._build_template(paths, crd_docs, template)
            mark = self._timed("template", mark)
        if template is not None:
            etcd.seed(self.work_dir, template)
        with progress.step("Starting etcd"):
            etcd_proc, etcd_url = etcd.start(paths["etcd"], self.work_dir)
            self.procs.append(etcd_proc)
        mark = self._timed("etcd", mark)
        early: list[str] = []
        tried: list[bool] = []

        def beside(api_url: str, cert: certs.ControlPlaneCerts) -> None:
            names = () if tried or self.ahead is None else self.ahead()
            if not names:
                return
            tried.append(True)
            try:
                self._spawn_beside(paths, etcd_url, api_url, cert, names)
                early.extend(names)
            except WetestError as exc:  # it costs the time only: its test starts its own
                progress.say(f"the API-server replica forecast for a test did not start: {exc}")

        with progress.step("Starting kube-apiserver"):
            api_proc, api_url, cert = apiserver.start(
                paths["kube-apiserver"],
                self.work_dir,
                etcd_url,
                audit=self.settings.audit_log,
                beside=beside,
            )
            self.procs.append(api_proc)
        for name in early:
            if name in self.replicas:
                self.replicas[name].favour()
        mark = self._timed("kube-apiserver", mark)
        kubeconfig = self._kubeconfig("kubeconfig", api_url, cert, cert.admin)
        identities = self._identities(api_url, cert)
        self.procs.append(
            controller_manager.start(
                paths["kube-controller-manager"],
                self.work_dir,
                Path(identities["kube-controller-manager"]),
                cert.dir,
            )
        )
        with progress.step(f"Installing {len(crd_docs)} CRDs"):
            api = clients.api_client(kubeconfig)
            if template is None:
                applying.install(api, crd_docs)
            else:  # already stored: kube-apiserver establishes them as it starts
                applying.wait_ready(api, crd_docs)
            applying.ensure_namespace(api, self.settings.execution_namespace)
        self._timed("crds", mark)
        endpoints = Endpoints(
            backend=self.name,
            kubeconfig=str(kubeconfig),
            apiserver=api_url,
            etcd=etcd_url,
            execution_namespace=self.settings.execution_namespace,
            pids={p.name: p.pid for p in self.procs},
            logs={p.name: str(p.log_path) for p in self.procs},
            kubeconfigs=identities,
            audit_log=str(apiserver.audit_log(self.work_dir)) if self.settings.audit_log else "",
            api_call_evidence=apiaudit.AVAILABLE
            if self.settings.audit_log
            else apiaudit.UNAVAILABLE_DISABLED,
        )
        self._started = (paths, etcd_url, cert, endpoints)
        return endpoints

    def _spawn_beside(
        self,
        paths: dict[str, Path],
        etcd_url: str,
        api_url: str,
        cert: certs.ControlPlaneCerts,
        names: Sequence[str],
    ) -> None:
        """Spawn replicas while the first server starts (``ahead``); the stack records them.

        A replica copies the identities' kubeconfigs, so they are written now (the same files
        :meth:`_start` writes once the server is ready).
        """
        identities = self._identities(api_url, cert)
        first = Endpoints(
            backend=self.name, apiserver=api_url, etcd=etcd_url, kubeconfigs=identities
        )
        self._started = (paths, etcd_url, cert, first)
        for name in names:
            self.start_replica(name, wait=False, favoured=False)

    def start_replica(
        self, name: str = replica.DEFAULT_NAME, wait: bool = True, favoured: bool = True
    ) -> ReplicaInfo:
        """Start (or return the running) API-server replica of this name (``stack.replica``).

        ``wait=False`` returns once it is spawned, before /readyz answers; ``favoured=False``
        starts it at the usual priority (``replica.ApiServerReplica.start``).

        Its process joins ``procs``: ``restart-component`` restarts it, the component status
        and the reaping see it, and :meth:`stop` stops it with the first server.
        """
        if self._started is None:
            raise ConfigError(
                "An API-server replica needs a started envtest control plane; start the "
                "stack first (wetest up), then ask for the replica."
            )
        paths, etcd_url, cert, endpoints = self._started
        found = self.replicas.get(replica.check_name(name))
        if found is None:
            port = int(endpoints.apiserver.rsplit(":", 1)[1])
            found = replica.ApiServerReplica(
                name,
                paths["kube-apiserver"],
                self.work_dir / replica.component(name),
                etcd_url,
                cert,
                apiserver.issuer_of(port),
                dict(endpoints.kubeconfigs),
                audit=self.settings.audit_log,
            )
            self.replicas[name] = found
        if not found.alive():
            self._forget(found)
            with progress.step(f"Starting {replica.component(name)}"):
                found.start(wait=wait, favoured=favoured)
            if found.proc is not None:
                self.procs.append(found.proc)
        return found.info()

    def stop_replica(
        self, name: str = replica.DEFAULT_NAME, grace: float = replica.STOP_GRACE
    ) -> ReplicaInfo:
        """Stop the replica of this name (a no-op when it is not running); return its record.

        ``grace``: seconds its shutdown may take before it is killed (0: killed at once).
        """
        found = self.replicas.get(replica.check_name(name))
        if found is None:
            return ReplicaInfo(name=name)
        found.stop(grace)
        self._forget(found)
        return found.info()

    def _forget(self, found: replica.ApiServerReplica) -> None:
        self.procs[:] = [p for p in self.procs if p is not found.proc]

    def _identities(self, api_url: str, cert: certs.ControlPlaneCerts) -> dict[str, str]:
        """Each component identity's kubeconfig (``apiaudit.USERS``), by identity."""
        return {
            component: str(self._kubeconfig(f"kubeconfig-{component}", api_url, cert, pair))
            for component, pair in cert.users.items()
        }

    def _kubeconfig(
        self, name: str, api_url: str, cert: certs.ControlPlaneCerts, user: certs.KeyPair
    ) -> Path:
        """Write one identity's kubeconfig (0600) into the work directory."""
        path = self.work_dir / name
        path.write_text(certs.kubeconfig(api_url, cert.serving_ca_pem, user))
        path.chmod(0o600)
        return path

    def _timed(self, phase: str, since: float) -> float:
        now = time.monotonic()
        self.timings[phase] = now - since
        return now

    def stop(self) -> None:
        """Stop KCM and kube-apiserver together, then etcd; then remove the work directory.

        etcd goes last so the API server never shuts down against a missing store.
        """
        store = [p for p in self.procs if p.name == "etcd"]
        processes.stop_all([p for p in reversed(self.procs) if p.name != "etcd"])
        processes.stop_all(store)
        self.procs.clear()
        scratch.remove(self.work_dir)

    def export_logs(self, into: Path) -> list[Path]:
        into.mkdir(parents=True, exist_ok=True)
        out = []
        for log in self.work_dir.glob("*.log"):
            out.append(Path(shutil.copy(log, into / log.name)))
        return out


def create(settings: Settings) -> EnvtestBackend:
    """Factory used by the assembly."""
    return EnvtestBackend(settings)
