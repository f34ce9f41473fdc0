"""Command-line flags of the reference controller, each with an environment equivalent.

Precedence: flag > environment variable > default. Names follow the Go controller's flags
(``--metrics-bind-address``, ``--health-probe-bind-address``) so the bundled target and an
alternate controller are started the same way.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from wetest.domain import durations
from wetest.domain import resources as r

ENV = {
    "kubeconfig": "KUBECONFIG",
    "namespaces": "WE_NAMESPACES",
    "ignore_namespaces": "WE_IGNORE_NAMESPACES",
    "execution_namespace": "WE_EXECUTION_NAMESPACE",
    "cooldown": "WE_COOLDOWN",
    "service_account": "WE_SERVICE_ACCOUNT",
    "datastorage_url": "WE_DATASTORAGE_URL",
    "metrics_bind_address": "WE_METRICS_BIND_ADDRESS",
    "health_probe_bind_address": "WE_HEALTH_PROBE_BIND_ADDRESS",
    "spool_dir": "WE_SPOOL_DIR",
    "workers": "WE_WORKERS",
    "log_level": "WE_LOG_LEVEL",
}
DEFAULTS = {
    "kubeconfig": "~/.kube/config",
    "namespaces": "",
    "ignore_namespaces": "",
    "execution_namespace": r.DEFAULT_EXECUTION_NAMESPACE,
    "cooldown": "5m",
    "service_account": r.DEFAULT_SERVICE_ACCOUNT,
    "datastorage_url": r.DEFAULT_DATASTORAGE_URL,
    "metrics_bind_address": ":9090",
    "health_probe_bind_address": ":8081",
    "spool_dir": "",
    "workers": "4",
    "log_level": "info",
}


@dataclass(frozen=True)
class Options:
    kubeconfig: Path
    namespaces: tuple[str, ...]
    ignore_namespaces: tuple[str, ...]
    execution_namespace: str
    cooldown: float
    service_account: str
    datastorage_url: str
    metrics_bind_address: str
    health_probe_bind_address: str
    spool_dir: Path
    workers: int
    log_level: str
    mutant: str
    variant: str = ""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m wetest.reference.controller",
        description="Reference WorkflowExecution controller (WE contract v1.0).",
    )
    for dest, env in ENV.items():
        flag = "--" + dest.replace("_", "-")
        p.add_argument(flag, dest=dest, default=None, help=f"env {env}; default {DEFAULTS[dest]!r}")
    p.add_argument("--mutant", default="", help=argparse.SUPPRESS)
    p.add_argument("--variant", default="", help=argparse.SUPPRESS)
    return p


def parse(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> Options:
    env = os.environ if env is None else env
    ns = parser().parse_args(argv)
    raw = {d: getattr(ns, d) or env.get(e) or DEFAULTS[d] for d, e in ENV.items()}
    spool = raw["spool_dir"] or str(Path.home() / ".cache" / "wetest" / "controller-spool")
    return Options(
        kubeconfig=Path(raw["kubeconfig"]).expanduser(),
        namespaces=_names(raw["namespaces"]),
        ignore_namespaces=_names(raw["ignore_namespaces"]),
        execution_namespace=raw["execution_namespace"],
        cooldown=durations.parse_go_duration(raw["cooldown"]),
        service_account=raw["service_account"],
        datastorage_url=raw["datastorage_url"],
        metrics_bind_address=raw["metrics_bind_address"],
        health_probe_bind_address=raw["health_probe_bind_address"],
        spool_dir=Path(spool).expanduser(),
        workers=int(raw["workers"]),
        log_level=raw["log_level"],
        mutant=ns.mutant,
        variant=ns.variant,
    )


def _names(text: str) -> tuple[str, ...]:
    """A comma-separated namespace list (wetest's WETEST_WATCH/IGNORE_NAMESPACES); "" is none."""
    return tuple(n.strip() for n in text.split(",") if n.strip())
