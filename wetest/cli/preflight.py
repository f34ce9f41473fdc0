"""Checks `wetest up` runs in-process before spawning anything, so it fails in milliseconds."""

from __future__ import annotations

from wetest.config.settings import Settings
from wetest.stack import binaries, building, datastorage, postgres


def check(s: Settings) -> None:
    """Raise DependencyMissing for what is certainly missing for the configured backend."""
    if s.backend == "envtest":
        cache = (
            []
            if s.no_cache
            else building.cache_bin_dirs(s.cache_dir, s.kubernetes_version, s.etcd_version)
        )
        for name in ("kube-apiserver", "etcd", "kube-controller-manager"):
            binaries.require(name, s.assets_dir, cache)
    if s.datastorage_url:
        datastorage.attach(s.datastorage_url)
    elif not s.postgres_dsn and s.postgres == "local":
        postgres.find_bindir()  # DataStorage starts beside the cluster: check its database now
