"""`wetest assets install|path|list`: build the control-plane binaries and show where they are.

``install --tekton real`` (the ``tekton`` setting, so also ``WETEST_TEKTON=real``) also builds
the real Tekton tier: Tekton's controller, webhook and resolvers, a registry and KWOK.

Like setup-envtest: `install` builds into the cache (a no-op when present), `path` prints a
directory usable as KUBEBUILDER_ASSETS, `list` shows which binary each lookup would use.
"""

from __future__ import annotations

import argparse

from wetest.cli import common
from wetest.stack import binaries, building


def add_parser(
    subs: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    sub = subs.add_parser(
        "assets", help="Build or locate etcd, kube-apiserver, kube-controller-manager"
    )
    sub.add_argument("action", choices=("install", "path", "list"))
    sub.add_argument("--force", action="store_true", help="Rebuild even when cached")
    sub.add_argument("--json", action="store_true", help="Machine-readable output")
    return sub


def run(args: argparse.Namespace) -> int:
    s = common.load(args)
    if args.action == "install":
        building.install(s.cache_dir, s.kubernetes_version, s.etcd_version, force=args.force)
        if s.tekton == "real":  # `--tekton real` is the tekton setting
            building.install_real_tekton(s.cache_dir, s.tekton_version, force=args.force)
        print(building.envtest_dir(s.cache_dir, s.kubernetes_version, s.etcd_version))
        return 0
    if args.action == "path":
        for name in binaries.CONTROL_PLANE:  # fail with the fix when something is missing
            binaries.require(
                name,
                "",
                building.cache_bin_dirs(s.cache_dir, s.kubernetes_version, s.etcd_version),
                env={},
            )
        print(building.envtest_dir(s.cache_dir, s.kubernetes_version, s.etcd_version))
        return 0
    cache = (
        []
        if s.no_cache
        else building.cache_bin_dirs(s.cache_dir, s.kubernetes_version, s.etcd_version)
    )
    found = {
        n: str(binaries.find(n, s.assets_dir, cache).path or "missing")
        for n in binaries.CONTROL_PLANE
    }
    common.emit(found, args.json)
    return 0 if "missing" not in found.values() else 3
