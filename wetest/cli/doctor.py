"""`wetest doctor`: every dependency, where it was looked for, its version, the one fix.

Runs the same lookups as the stack and the plugin, so a green doctor means the stack can
start; exit 3 when something the configured backend needs is missing.
"""

from __future__ import annotations

import argparse
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from wetest.cli import common
from wetest.config.settings import Settings
from wetest.stack import binaries, building, kind_preflight

POSTGRES_FIX = "sudo apt-get install -y postgresql"


@dataclass
class Check:
    """One dependency: found or not, where looked, version, fix, and whether it is needed."""

    name: str
    found: str
    looked: str
    version: str
    fix: str
    required: bool


def _version(path: Path, flag: str = "--version") -> str:
    try:
        out = subprocess.run(
            [str(path), flag], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else "unknown"


def control_plane(s: Settings) -> list[Check]:
    cache = (
        []
        if s.no_cache
        else building.cache_bin_dirs(s.cache_dir, s.kubernetes_version, s.etcd_version)
    )
    out = []
    for name in binaries.CONTROL_PLANE:
        hit = binaries.find(name, s.assets_dir, cache)
        out.append(
            Check(
                name,
                str(hit.path or ""),
                "; ".join(hit.looked),
                _version(hit.path) if hit.path else "",
                binaries.INSTALL,
                s.backend == "envtest",
            )
        )
    return out


def real_tekton(s: Settings) -> list[Check]:
    """The real Tekton tier's binaries (build cache only); required with --wetest-tekton real."""
    dirs = building.real_tekton_bin_dirs(s.cache_dir, s.tekton_version)
    out = []
    for tool in building.real_tekton_builds(s.tekton_version):
        comp = tool.component
        for program in comp.programs:
            hit = binaries.find(program, "", dirs, env={})
            out.append(
                Check(
                    f"{comp.name} {program}" if program != comp.name else program,
                    str(hit.path or ""),
                    "; ".join(hit.looked),
                    comp.version if hit.path else "",
                    "wetest assets install --tekton real",
                    s.tekton == "real",
                )
            )
    return out


def tools(s: Settings) -> list[Check]:
    kind = s.backend == "kind"
    fixes = kind_preflight.INSTALL  # one wording for doctor and `wetest up --backend kind`
    specs = [
        ("go", "version", building.GO_FIX, s.backend == "envtest" or s.tekton == "real"),
        ("kind", "version", fixes["kind"], kind),
        ("docker", "--version", fixes["docker"], kind),
        ("kubectl", "version --client", fixes["kubectl"], kind),
    ]
    out = []
    for name, flag, fix, required in specs:
        path = binaries.on_path(name)
        version = _version(path, flag.split()[0]) if path else ""
        out.append(Check(name, str(path or ""), "PATH", version, fix, required))
    return out


def docker_daemon() -> Check:
    """The kind backend needs a Docker daemon that answers, not only the docker CLI."""
    problem = kind_preflight.daemon_problem()
    found = "" if problem else "answers"
    return Check("docker daemon", found, "`docker info`", found, kind_preflight.START_DAEMON, True)


def postgres(s: Settings) -> Check:
    hits = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    path = binaries.on_path("initdb") or (hits[-1] if hits else None)
    needed = not s.datastorage_url and not s.postgres_dsn and s.postgres == "local"
    return Check(
        "postgres",
        str(path or ""),
        "PATH, /usr/lib/postgresql/*/bin",
        _version(path) if path else "",
        POSTGRES_FIX,
        needed,
    )


def add_parser(
    subs: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    sub = subs.add_parser("doctor", help="Check every dependency and print the fix")
    sub.add_argument("--json", action="store_true", help="Machine-readable output")
    return sub


def run(args: argparse.Namespace) -> int:
    s = common.load(args)
    checks = [*control_plane(s), *real_tekton(s), *tools(s), postgres(s)]
    if s.backend == "kind":
        checks.append(docker_daemon())
    missing = [c for c in checks if c.required and not c.found]
    if args.json:
        common.emit(
            {"backend": s.backend, "ok": not missing, "checks": [asdict(c) for c in checks]}, True
        )
    else:
        for c in checks:
            mark = "ok     " if c.found else ("MISSING" if c.required else "absent ")
            detail = (
                f"{c.found} ({c.version})" if c.found else f"looked in {c.looked}; fix: {c.fix}"
            )
            print(f"{mark} {c.name:24} {detail}")
    return 3 if missing else 0
