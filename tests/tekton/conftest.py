"""Fixtures for the real Tekton tier's tests: its binaries and the loopback registry.

The real tier's binaries are built here when missing, as the tier's own tests do
(``wetest assets install --tekton real`` builds the same; scripts/test.sh starts that build in
the background and the build lock makes this wait for it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from wetest.config import settings
from wetest.stack import building, ports, processes
from wetest.stack.tekton.real import tier


def real_tier_binaries(s: settings.Settings) -> dict[str, Path]:
    building.install_real_tekton(s.cache_dir, s.tekton_version)
    return tier.binary_paths(s)


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A loopback registry (in memory) for this session: ``127.0.0.1:<port>``."""
    binary = real_tier_binaries(settings.load({}))["registry"]
    port = ports.reserve()
    log = tmp_path_factory.mktemp("registry") / "registry.log"
    proc = processes.ManagedProcess("registry", [str(binary), f"-port={port}"], log).start()
    address = f"127.0.0.1:{port}"
    proc.wait_ready(lambda: httpx.get(f"http://{address}/v2/", timeout=1).status_code == 200, 30)
    yield address
    proc.stop()
