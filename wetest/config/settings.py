"""Frozen, typed settings built once from the resolver; nothing here reads the environment.

Why frozen dataclasses: settings are resolved late (in ``pytest_configure`` or ``cli.main``) and
then shared by every layer; immutability means no layer can change what another one saw.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from wetest.config import sources


def _home_dir(xdg: str, fallback: str) -> Path:
    base = os.environ.get(xdg) or str(Path.home() / fallback)
    return Path(base) / "wetest"


@dataclass(frozen=True)
class Settings:
    """Every resolved value, typed, plus the source of each for `wetest config` and headers."""

    backend: str
    target: str
    kubeconfig: str
    assets_dir: str
    cache_dir: Path
    no_cache: bool
    state_dir: Path
    kubernetes_version: str
    etcd_version: str
    tekton_version: str
    datastorage_url: str
    postgres_dsn: str
    postgres: str
    execution_namespace: str
    cooldown: str
    timeout_scale: float
    keep_failed: bool
    results_dir: Path
    profile: tuple[str, ...]
    stack_dir: str = ""
    kind_cluster_name: str = "wetest"
    kind_reuse: bool = False
    kind_keep: bool = False
    tekton_release: str = ""
    tekton: str = "stand-in"
    audit_log: bool = True
    fork_server: bool = True
    in_flight: int = 16
    sources: dict[str, sources.Resolved] = field(default_factory=dict, compare=False)

    @property
    def tekton_tier(self) -> str:
        """What really runs PipelineRuns: backend kind installs Tekton's release, so "real"."""
        return "real" if self.backend == "kind" else self.tekton

    def source_of(self, key: str) -> str:
        """Where a value came from, for messages: 'env WETEST_BACKEND', 'default', ..."""
        return self.sources[key].source if key in self.sources else "default"


def from_resolved(resolved: dict[str, sources.Resolved]) -> Settings:
    """Type the resolver's strings; the resolver has already validated them."""
    v = {k: r.value for k, r in resolved.items()}
    return Settings(
        backend=v["backend"],
        target=v["target"],
        kubeconfig=v["kubeconfig"],
        assets_dir=v["assets_dir"],
        cache_dir=Path(v["cache_dir"]).expanduser()
        if v["cache_dir"]
        else _home_dir("XDG_CACHE_HOME", ".cache"),
        no_cache=sources.as_bool(v["no_cache"]),
        state_dir=Path(v["state_dir"]).expanduser()
        if v["state_dir"]
        else _home_dir("XDG_STATE_HOME", ".local/state"),
        kubernetes_version=v["kubernetes_version"],
        etcd_version=v["etcd_version"],
        tekton_version=v["tekton_version"],
        datastorage_url=v["datastorage_url"].rstrip("/"),
        postgres_dsn=v["postgres_dsn"],
        postgres=v["postgres"],
        execution_namespace=v["execution_namespace"],
        cooldown=v["cooldown"],
        timeout_scale=float(v["timeout_scale"]),
        keep_failed=sources.as_bool(v["keep_failed"]),
        results_dir=Path(v["results_dir"]).expanduser(),
        profile=tuple(p.strip() for p in v["profile"].split(",") if p.strip()),
        kind_cluster_name=v["kind_cluster_name"],
        kind_reuse=sources.as_bool(v["kind_reuse"]),
        kind_keep=sources.as_bool(v["kind_keep"]),
        tekton_release=v["tekton_release"],
        tekton=v["tekton"],
        audit_log=sources.as_bool(v["audit_log"]),
        fork_server=sources.as_bool(v["fork_server"]),
        in_flight=int(v["in_flight"]),
        stack_dir=v["stack_dir"],
        sources=dict(resolved),
    )


def load(options: dict[str, object | None] | None = None) -> Settings:
    """Resolve and type all settings in one call."""
    return from_resolved(sources.resolve(options))
