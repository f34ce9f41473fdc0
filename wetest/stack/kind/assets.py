"""The files the kind path needs: the cluster config, the Tekton release manifest, the CRDs.

Why a module of its own: each file is pinned (the node image by digest, the Tekton release by
version and sha256) and the checks that keep them pinned must be testable without a cluster.
Nothing is downloaded unless the user runs the kind backend without giving a release file, and
then the download is announced in the progress output with where it goes.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

from wetest import progress
from wetest.errors import ConfigError, DependencyMissing, StartupFailed
from wetest.stack import apiaudit

_ROOT = Path(__file__).resolve().parents[3]
DOWNLOAD_TIMEOUT = 120.0


def bundled(name: str) -> Path:
    """Return a top-level folder (infra, fixtures) of a checkout, else the wheel's copy."""
    checkout = _ROOT / name
    return checkout if checkout.is_dir() else _ROOT / "wetest" / "_bundled" / name


def cluster_config(path: Path | None = None) -> Path:
    """infra/kind/cluster.yaml, refused unless every node image is pinned by digest."""
    path = path or bundled("infra") / "kind" / "cluster.yaml"
    nodes = (yaml.safe_load(path.read_text()) or {}).get("nodes") or [{}]
    unpinned = [
        str(n.get("image", "(kind's default)"))
        for n in nodes
        if "@sha256:" not in str(n.get("image", ""))
    ]
    if unpinned:
        raise ConfigError(
            f"{path} has node image(s) not pinned by digest: "
            f"{', '.join(unpinned)}. Edit {path} and pin each image as "
            "kindest/node:<version>@sha256:<digest> from the kind release notes."
        )
    return path


def crd_files() -> list[Path]:
    """Return the WorkflowExecution CRDs shipped in fixtures/crds."""
    return sorted((bundled("fixtures") / "crds").glob("*.yaml"))


@dataclass(frozen=True)
class Release:
    """The pinned Tekton release from infra/tekton/VERSION; sha256 may be empty (unrecorded)."""

    version: str
    url: str
    sha256: str
    pinned_in: Path


def pinned_release(path: Path | None = None) -> Release:
    """Parse ``key=value`` lines of infra/tekton/VERSION (``#`` starts a comment)."""
    path = path or bundled("infra") / "tekton" / "VERSION"
    pairs = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    fields = dict(p.split("=", 1) for p in pairs if "=" in p)
    try:
        return Release(
            fields["version"].strip(),
            fields["url"].strip(),
            fields.get("sha256", "").strip().lower(),
            path,
        )
    except KeyError as exc:
        raise ConfigError(f"{path} lacks the {exc} field. Restore it from git.") from exc


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verify(path: Path, release: Release) -> Path:
    """Check path against the recorded sha256; with none recorded, say how to record it."""
    actual = sha256_of(path)
    if not release.sha256:
        progress.say(
            f"{release.pinned_in} records no sha256 for Tekton {release.version}; "
            f"{path} has sha256={actual}: record it there to pin the release"
        )
    elif actual != release.sha256:
        raise StartupFailed(
            f"The Tekton release manifest {path} has sha256 {actual}, but "
            f"{release.pinned_in} records {release.sha256}. Delete {path} "
            f"and run again, or pass --wetest-tekton-release with a file you "
            "trust."
        )
    return path


def release_manifest(given: str, release: Release, cache_dir: Path) -> Path:
    """Return the release.yaml to apply: the user's, the vendored copy, or the pinned URL's.

    Only the pinned file is checked against the recorded sha256; a user-given file is theirs
    and its sha256 is printed instead.
    """
    if given and "://" not in given:
        return _user_file(Path(given).expanduser())
    if given:
        return _announce_sha(_download(given, cache_dir / "tekton" / "given" / _short(given)))
    vendored = release.pinned_in.parent / "release.yaml"
    if vendored.is_file():
        return verify(vendored, release)
    cached = cache_dir / "tekton" / release.version / "release.yaml"
    return verify(cached if cached.is_file() else _download(release.url, cached), release)


def _user_file(path: Path) -> Path:
    if not path.is_file():
        raise ConfigError(
            f"The Tekton release file {path} (--wetest-tekton-release) does not "
            "exist. Pass the path of a Tekton release.yaml."
        )
    return _announce_sha(path)


def _announce_sha(path: Path) -> Path:
    progress.say(f"Tekton release manifest {path} has sha256={sha256_of(path)}")
    return path


def _short(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:16] + ".yaml"


def _download(url: str, into: Path) -> Path:
    """Fetch url into the cache, announced, written atomically so a partial file never stays."""
    progress.say(
        f"downloading the Tekton release {url} into {into} (pass "
        "--wetest-tekton-release with a local file to avoid this)"
    )
    into.parent.mkdir(parents=True, exist_ok=True)
    partial = into.with_suffix(".partial")
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as answer:
            partial.write_bytes(answer.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DependencyMissing(
            f"The Tekton release manifest ({exc})",
            [url],
            f"download {url} yourself and pass --wetest-tekton-release /path/to/release.yaml",
        ) from exc
    return partial.replace(into)


NODE_AUDIT_DIR = "/etc/wetest-audit"  # inside the node container and the kube-apiserver Pod


def audited_config(base: Path, into: Path, audit_dir: Path) -> Path:
    """Write base's cluster config plus kube-apiserver's audit log into ``into``; return it.

    The policy (``apiaudit.POLICY``) is written to audit_dir on the host, which is mounted into
    the control-plane node at NODE_AUDIT_DIR (``extraMounts``) and from there into the
    kube-apiserver static Pod (kubeadm ``extraVolumes``), so the log kube-apiserver writes
    there is readable from the host at ``audit_dir/audit.log``. kubeadm's v1beta3 takes
    ``extraArgs`` as a map and v1beta4 (Kubernetes 1.31+) as a list of name/value pairs; kind
    applies a patch only to the API version it names, so both are given and the one that
    matches the node's kubeadm is used.
    """
    audit_dir.mkdir(parents=True, exist_ok=True)
    apiaudit.write_policy(audit_dir)
    doc = yaml.safe_load(base.read_text()) or {}
    nodes = doc.get("nodes") or [{"role": "control-plane"}]
    for node in nodes:
        if node.get("role", "control-plane") == "control-plane":
            node.setdefault("extraMounts", []).append(
                {"hostPath": str(audit_dir.resolve()), "containerPath": NODE_AUDIT_DIR}
            )
    doc["nodes"] = nodes
    doc.setdefault("kubeadmConfigPatches", []).extend(
        yaml.safe_dump(patch, sort_keys=False) for patch in kubeadm_audit_patches()
    )
    into.parent.mkdir(parents=True, exist_ok=True)
    into.write_text(
        f"# Generated by wetest from {base}: the same cluster plus kube-apiserver's audit log.\n"
        + yaml.safe_dump(doc, sort_keys=False)
    )
    return into


def audit_flag_values() -> dict[str, str]:
    """kube-apiserver's audit flags (as for envtest) with the node's paths, name -> value."""
    flags = apiaudit.apiserver_flags(
        Path(NODE_AUDIT_DIR) / "audit-policy.yaml", Path(NODE_AUDIT_DIR) / "audit.log"
    )
    return dict(flag.removeprefix("--").split("=", 1) for flag in flags)


def kubeadm_audit_patches() -> list[dict[str, object]]:
    """ClusterConfiguration patches for kubeadm v1beta3 and v1beta4 (see audited_config)."""
    volume = {
        "name": "wetest-audit",
        "hostPath": NODE_AUDIT_DIR,
        "mountPath": NODE_AUDIT_DIR,
        "readOnly": False,
        "pathType": "DirectoryOrCreate",
    }
    values = audit_flag_values()
    return [
        {
            "apiVersion": "kubeadm.k8s.io/v1beta3",
            "kind": "ClusterConfiguration",
            "apiServer": {"extraArgs": values, "extraVolumes": [volume]},
        },
        {
            "apiVersion": "kubeadm.k8s.io/v1beta4",
            "kind": "ClusterConfiguration",
            "apiServer": {
                "extraArgs": [{"name": k, "value": v} for k, v in values.items()],
                "extraVolumes": [volume],
            },
        },
    ]
