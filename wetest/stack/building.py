"""Build etcd, kube-apiserver and kube-controller-manager from their Go modules, cached.

Why a wrapper module: ``k8s.io/kubernetes`` requires every staging module at ``v0.0.0`` and
maps them with local replaces that only count in the main module, so ``go install`` refuses
it. We generate a wrapper whose replace list mirrors the tag's own go.mod (never hard-coded,
it changes between minors), stamp the version into both version packages (Tekton and
knative refuse an unstamped server), and build CGO-off with the release tags. etcd's server
module has local replaces too, so it gets a small wrapper as well.

Outputs live under ``<cache_dir>/assets/<component>-<version>/bin`` with a ``.complete``
marker; a second install is a no-op. Binaries are never written into the repository.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from wetest import filelocks, progress
from wetest.errors import DependencyMissing, StartupFailed
from wetest.stack import binaries

GO_FIX = "sudo apt-get install -y golang-go (or install Go >= 1.26 from go.dev)"
RELEASE_TAGS = "selinux,notest,grpcnotrace"


@dataclass(frozen=True)
class Component:
    """One Go build: a version, the binaries it produces, and its cache folder."""

    name: str
    version: str
    programs: tuple[str, ...]

    def dir(self, cache_dir: Path) -> Path:
        return cache_dir / "assets" / f"{self.name}-{self.version}"

    def bin_dir(self, cache_dir: Path) -> Path:
        return self.dir(cache_dir) / "bin"

    def complete(self, cache_dir: Path) -> bool:
        marker = self.dir(cache_dir) / ".complete"
        return (
            marker.is_file()
            and marker.read_text().strip() == self.version
            and all((self.bin_dir(cache_dir) / p).is_file() for p in self.programs)
        )


def components(kubernetes_version: str, etcd_version: str) -> tuple[Component, Component]:
    """The two builds wetest needs, at the pinned versions."""
    return (
        Component("etcd", etcd_version, ("etcd",)),
        Component("kubernetes", kubernetes_version, ("kube-apiserver", "kube-controller-manager")),
    )


def go_env() -> dict[str, str]:
    """Explicit Go settings so a user's GOWORK/GOFLAGS cannot hijack the wrapper."""
    env = dict(os.environ)
    env.update(GOWORK="off", GOTOOLCHAIN="local", GOFLAGS="-mod=mod", CGO_ENABLED="0")
    return env


def go_binary() -> Path:
    """Find go on PATH or in /usr/local/go/bin; raise DependencyMissing otherwise."""
    found = binaries.on_path("go") or next(
        (p for p in (Path("/usr/local/go/bin/go"),) if p.is_file()), None
    )
    if found is None:
        raise DependencyMissing("The Go toolchain (go)", ["PATH", "/usr/local/go/bin/go"], GO_FIX)
    return found


def run_go(args: list[str], cwd: Path, log: Path) -> str:
    """Run one go command, appending its output to log; raise StartupFailed on failure."""
    cmd = [str(go_binary()), *args]
    result = subprocess.run(cmd, cwd=cwd, env=go_env(), capture_output=True, text=True, check=False)
    with log.open("a") as out:
        out.write(f"$ {' '.join(cmd)}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        raise StartupFailed(
            f"`go {' '.join(args[:3])}` failed with exit code "
            f"{result.returncode} in {cwd}. Output tail:\n"
            f"{result.stderr[-3000:]}\nSee {log}, fix the cause, then run: "
            "wetest assets install"
        )
    return result.stdout


def _init_wrapper(src: Path, module: str, log: Path) -> None:
    src.mkdir(parents=True, exist_ok=True)
    if not (src / "go.mod").is_file():
        run_go(["mod", "init", module], src, log)
    run_go(["mod", "edit", "-go=1.26.0"], src, log)


def staging_replaces(upstream_gomod: str) -> list[str]:
    """The staging modules a k8s.io/kubernetes tag maps to ./staging/src (generated, not kept)."""
    return re.findall(r"^\s*(k8s\.io/\S+)\s+=>\s+\./staging/src/", upstream_gomod, re.M)


def version_ldflags(version: str) -> str:
    """-X flags for both version packages, as hack/lib/version.sh stamps them."""
    minor = version.lstrip("v").split(".")[1]
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    flags = ["-s", "-w"]
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [
            f"-X {pkg}.gitVersion={version}",
            f"-X {pkg}.gitMajor=1",
            f"-X {pkg}.gitMinor={minor}",
            f"-X {pkg}.gitTreeState=clean",
            f"-X {pkg}.buildDate={stamp}",
        ]
    return " ".join(flags)


def build_kubernetes(comp: Component, cache_dir: Path) -> None:
    """Wrapper module with generated staging replaces, then one go build for both programs."""
    src, log = comp.dir(cache_dir) / "src", comp.dir(cache_dir) / "build.log"
    _init_wrapper(src, "wetest.invalid/k8sbins", log)
    staging = "v0." + comp.version.lstrip("v").split(".", 1)[1]
    info = json.loads(
        run_go(["mod", "download", "-json", f"k8s.io/kubernetes@{comp.version}"], src, log)
    )
    upstream = Path(info["GoMod"]).read_text()
    edits = [f"-replace={m}={m}@{staging}" for m in staging_replaces(upstream)]
    run_go(
        [
            "mod",
            "edit",
            *edits,
            f"-require=k8s.io/kubernetes@{comp.version}",
            "-tool=k8s.io/kubernetes/cmd/kube-apiserver",
            "-tool=k8s.io/kubernetes/cmd/kube-controller-manager",
        ],
        src,
        log,
    )
    _copy_godebug(src / "go.mod", upstream)
    with progress.step(f"Resolving modules for Kubernetes {comp.version}"):
        run_go(["mod", "tidy"], src, log)
    with progress.step(
        f"Compiling kube-apiserver and kube-controller-manager {comp.version} "
        "(cold: about 4 min on 2 cores)"
    ):
        run_go(
            [
                "build",
                "-p",
                str(os.cpu_count() or 2),
                "-trimpath",
                f"-tags={RELEASE_TAGS}",
                f"-ldflags={version_ldflags(comp.version)}",
                "-o",
                str(comp.bin_dir(cache_dir)) + "/",
                "k8s.io/kubernetes/cmd/kube-apiserver",
                "k8s.io/kubernetes/cmd/kube-controller-manager",
            ],
            src,
            log,
        )


def _copy_godebug(gomod: Path, upstream: str) -> None:
    text = gomod.read_text()
    lines = [ln for ln in upstream.splitlines() if ln.startswith("godebug")]
    if lines and "godebug" not in text:
        gomod.write_text(text + "\n" + "\n".join(lines) + "\n")


def build_etcd(comp: Component, cache_dir: Path) -> None:
    """Wrapper module requiring go.etcd.io/etcd/server/v3 at the pinned tag."""
    src, log = comp.dir(cache_dir) / "src", comp.dir(cache_dir) / "build.log"
    _init_wrapper(src, "wetest.invalid/etcdbin", log)
    run_go(
        [
            "mod",
            "edit",
            f"-require=go.etcd.io/etcd/server/v3@{comp.version}",
            "-tool=go.etcd.io/etcd/server/v3",
        ],
        src,
        log,
    )
    with progress.step(f"Resolving modules for etcd {comp.version}"):
        run_go(["mod", "tidy"], src, log)
    with progress.step(f"Compiling etcd {comp.version} (cold: about 40 s)"):
        run_go(
            [
                "build",
                "-trimpath",
                "-ldflags=-s -w",
                "-o",
                str(comp.bin_dir(cache_dir) / "etcd"),
                "go.etcd.io/etcd/server/v3",
            ],
            src,
            log,
        )


def install(
    cache_dir: Path, kubernetes_version: str, etcd_version: str, force: bool = False
) -> list[Path]:
    """Build what is missing; return the bin directories. A second call is a no-op."""
    out = []
    for comp in components(kubernetes_version, etcd_version):
        if force or not comp.complete(cache_dir):
            comp.bin_dir(cache_dir).mkdir(parents=True, exist_ok=True)
            (build_etcd if comp.name == "etcd" else build_kubernetes)(comp, cache_dir)
            (comp.dir(cache_dir) / ".complete").write_text(comp.version)
        else:
            progress.say(f"{comp.name} {comp.version} already built in {comp.bin_dir(cache_dir)}")
        out.append(comp.bin_dir(cache_dir))
    return out


def envtest_dir(cache_dir: Path, kubernetes_version: str, etcd_version: str) -> Path:
    """One directory with all three binaries (symlinks), usable as KUBEBUILDER_ASSETS."""
    target = cache_dir / "assets" / f"envtest-{kubernetes_version}-etcd-{etcd_version}"
    target.mkdir(parents=True, exist_ok=True)
    for comp in components(kubernetes_version, etcd_version):
        for program in comp.programs:
            link = target / program
            if not link.exists():
                link.symlink_to(comp.bin_dir(cache_dir) / program)
    return target


KWOK_VERSION = "v0.8.0"
TEKTON_MODULE = "github.com/tektoncd/pipeline"
REGISTRY_PACKAGE = "github.com/google/go-containerregistry/cmd/registry"


@dataclass(frozen=True)
class ToolBuild:
    """A wrapper module requiring one module at a pinned tag and building some of its commands.

    The packages may come from the module's dependencies too (go-containerregistry's registry
    builds at the version Tekton itself requires, so it shares Tekton's module graph and cache).
    """

    component: Component
    module: str
    packages: tuple[str, ...]
    cold: str  # how long a cold build took here, for the progress line


def real_tekton_builds(tekton_version: str) -> tuple[ToolBuild, ToolBuild]:
    """The real Tekton tier's builds: Tekton's three commands + the registry, and KWOK."""
    tekton = ToolBuild(
        Component("tekton", tekton_version, ("controller", "webhook", "resolvers", "registry")),
        TEKTON_MODULE,
        (
            f"{TEKTON_MODULE}/cmd/controller",
            f"{TEKTON_MODULE}/cmd/webhook",
            f"{TEKTON_MODULE}/cmd/resolvers",
            REGISTRY_PACKAGE,
        ),
        "measured 20 min on 2 shared, busy cores",
    )
    kwok = ToolBuild(
        Component("kwok", KWOK_VERSION, ("kwok",)),
        "sigs.k8s.io/kwok",
        ("sigs.k8s.io/kwok/cmd/kwok",),
        "measured 9 min on 2 shared, busy cores",
    )
    return tekton, kwok


def build_tools(tool: ToolBuild, cache_dir: Path) -> None:
    """Wrapper module with one ``require`` and ``tool`` lines, tidy, then one go build.

    Why not ``go install pkg@version``: the module proxy here refuses the version list that
    command reads for its deprecation check (CONTROL-PLANE.md §5.5); exact versions are served.
    """
    comp = tool.component
    src, log = comp.dir(cache_dir) / "src", comp.dir(cache_dir) / "build.log"
    _init_wrapper(src, f"wetest.invalid/{comp.name}bins", log)
    run_go(
        [
            "mod",
            "edit",
            f"-require={tool.module}@{comp.version}",
            *(f"-tool={p}" for p in tool.packages),
        ],
        src,
        log,
    )
    with progress.step(f"Resolving modules for {comp.name} {comp.version}"):
        run_go(["mod", "tidy"], src, log)
    with progress.step(f"Compiling {', '.join(comp.programs)} {comp.version} (cold: {tool.cold})"):
        run_go(
            [
                "build",
                "-p",
                str(os.cpu_count() or 2),
                "-trimpath",
                "-ldflags=-s -w",
                "-o",
                str(comp.bin_dir(cache_dir)) + "/",
                *tool.packages,
            ],
            src,
            log,
        )


def install_real_tekton(cache_dir: Path, tekton_version: str, force: bool = False) -> list[Path]:
    """Build the real Tekton tier (Tekton, registry, KWOK) when missing; return bin dirs.

    Each build holds a lock on its cache folder, so a second install (scripts/test.sh builds
    in the background while a test asks for the tier) waits for the first instead of racing it.
    """
    out = []
    for tool in real_tekton_builds(tekton_version):
        comp = tool.component
        comp.bin_dir(cache_dir).mkdir(parents=True, exist_ok=True)
        with filelocks.exclusive(comp.dir(cache_dir) / ".build.lock"):
            if force or not comp.complete(cache_dir):
                build_tools(tool, cache_dir)
                (comp.dir(cache_dir) / ".complete").write_text(comp.version)
            else:
                progress.say(
                    f"{comp.name} {comp.version} already built in {comp.bin_dir(cache_dir)}"
                )
        out.append(comp.bin_dir(cache_dir))
    return out


def real_tekton_bin_dirs(cache_dir: Path, tekton_version: str) -> list[Path]:
    """Where the real tier's binaries are cached (searched by ``binaries.find``)."""
    return [t.component.bin_dir(cache_dir) for t in real_tekton_builds(tekton_version)]


def cache_bin_dirs(cache_dir: Path, kubernetes_version: str, etcd_version: str) -> list[Path]:
    """The cache folders binaries.find() searches last."""
    return [c.bin_dir(cache_dir) for c in components(kubernetes_version, etcd_version)]
