"""The bundled reference controller, run exactly as an alternate controller would be.

It is a ``command:`` target whose command is ``python -m wetest.reference.controller``: the
bundled case is not special, which keeps the conformance seam honest.
"""

from __future__ import annotations

import shlex
import sys

from wetest.targets.base import ProcessTarget

COMMAND = (
    f"{shlex.quote(sys.executable)} -m wetest.reference.controller --kubeconfig {{kubeconfig}} "
    "--execution-namespace {execution_namespace} --cooldown {cooldown} "
    "--datastorage-url {datastorage_url} --metrics-bind-address 127.0.0.1:{metrics_port} "
    "--health-probe-bind-address 127.0.0.1:{health_port} --spool-dir {spool_dir} "
    "--namespaces={watch_namespaces} --ignore-namespaces={ignore_namespaces}"
)


def create(cooldown: str) -> ProcessTarget:
    """The reference controller with the suites' cooldown (ENV-004)."""
    return ProcessTarget("bundled", COMMAND, cooldown)
