"""Fixtures for the real Tekton tier's tests: the loopback OCI registry the bundles go to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from wetest.config import settings
from wetest.errors import DependencyMissing
from wetest.stack import ports, processes


def registry_binary(s: settings.Settings) -> Path:
    """go-containerregistry's ``registry``, built by ``wetest assets install --tekton real``."""
    path = s.cache_dir / "assets" / f"tekton-{s.tekton_version}" / "bin" / "registry"
    if not path.is_file():
        raise DependencyMissing(
            "The real Tekton tier's registry binary",
            [str(path)],
            "wetest assets install --tekton real",
        )
    return path


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A loopback registry (in memory) for this session: ``127.0.0.1:<port>``."""
    port = ports.reserve()
    log = tmp_path_factory.mktemp("registry") / "registry.log"
    proc = processes.ManagedProcess(
        "registry", [str(registry_binary(settings.load({}))), f"-port={port}"], log
    ).start()
    address = f"127.0.0.1:{port}"
    proc.wait_ready(lambda: httpx.get(f"http://{address}/v2/", timeout=1).status_code == 200, 30)
    yield address
    proc.stop()
