"""Find the control-plane binaries, in controller-runtime's order, and say where we looked.

Order for each binary: ``TEST_ASSET_<NAME>`` > ``$KUBEBUILDER_ASSETS/<name>`` > the
``assets_dir`` setting > wetest's build cache (unless ``no_cache``). A miss raises
:class:`DependencyMissing` naming every place looked at and ``wetest assets install``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from wetest.errors import DependencyMissing

CONTROL_PLANE = ("etcd", "kube-apiserver", "kube-controller-manager")
INSTALL = "wetest assets install"


@dataclass(frozen=True)
class Lookup:
    """Where a binary was found (or not), for `wetest doctor` and error messages."""

    name: str
    path: Path | None
    looked: tuple[str, ...]


def env_name(binary: str) -> str:
    """TEST_ASSET_KUBE_APISERVER for kube-apiserver, as envtest spells it."""
    return "TEST_ASSET_" + binary.upper().replace("-", "_")


def candidates(
    binary: str, assets_dir: str, cache_dirs: list[Path], env: Mapping[str, str]
) -> list[tuple[str, Path | None]]:
    """Every place to look, in order, labelled for messages."""
    var = env_name(binary)
    kb = env.get("KUBEBUILDER_ASSETS", "")
    out: list[tuple[str, Path | None]] = [
        (f"{var} ({env.get(var) or 'unset'})", Path(env[var]) if env.get(var) else None),
        (f"KUBEBUILDER_ASSETS ({kb or 'unset'})", Path(kb) / binary if kb else None),
        (
            f"WETEST_ASSETS_DIR ({assets_dir or 'unset'})",
            Path(assets_dir).expanduser() / binary if assets_dir else None,
        ),
    ]
    out += [(f"the build cache {d}", d / binary) for d in cache_dirs]
    return out


def find(
    binary: str, assets_dir: str, cache_dirs: list[Path], env: Mapping[str, str] | None = None
) -> Lookup:
    """Return the first executable candidate, with every place looked at."""
    env = os.environ if env is None else env
    looked: list[str] = []
    for label, path in candidates(binary, assets_dir, cache_dirs, env):
        looked.append(
            label
            if path is None
            else f"{label.split(' (')[0]} ({path})"
            if not label.startswith("the build cache")
            else str(path)
        )
        if path is not None and path.is_file() and os.access(path, os.X_OK):
            return Lookup(binary, path, tuple(looked))
    return Lookup(binary, None, tuple(looked))


def require(
    binary: str, assets_dir: str, cache_dirs: list[Path], env: Mapping[str, str] | None = None
) -> Path:
    """Like find(), but raise DependencyMissing with the places looked at and the fix."""
    found = find(binary, assets_dir, cache_dirs, env)
    if found.path is None:
        raise DependencyMissing(f"The {binary} binary", found.looked, INSTALL)
    return found.path


def on_path(tool: str) -> Path | None:
    """Locate a tool on PATH (go, kind, kubectl, docker)."""
    hit = shutil.which(tool)
    return Path(hit) if hit else None
