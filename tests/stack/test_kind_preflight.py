"""The kind backend's fail-fast path, for real: no kind/kubectl/docker, or no Docker daemon.

These run the real ``KindBackend.start()`` with a PATH that lacks the tools, and (where the
docker CLI is installed, as on wetest's own machines) the real ``docker`` against a socket where
no daemon listens. Each must raise DependencyMissing in under 5 s, naming what is missing and
the install command, without downloading anything or touching a cluster.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from wetest.errors import DependencyMissing
from wetest.stack.kind import backend as kind

from .test_kind_backend import install_standins

FAST_FAIL = 5.0


def start_failing(tmp_path: Path) -> tuple[DependencyMissing, float]:
    backend = kind.KindBackend(
        kind.KindOptions(state_dir=tmp_path / "state", cache_dir=tmp_path / "cache")
    )
    started = time.monotonic()
    with pytest.raises(DependencyMissing) as caught:
        backend.start()
    return caught.value, time.monotonic() - started


def test_no_tools_on_path_names_each_with_its_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))

    error, took = start_failing(tmp_path)

    message = str(error)
    assert took < FAST_FAIL
    assert message.startswith("docker and kind and kubectl (needed by --wetest-backend kind)")
    assert f"PATH ({empty})" in message
    assert "go install sigs.k8s.io/kind@v0.32.0" in message
    assert "docs.docker.com/engine/install" in message
    assert "dl.k8s.io/release/v1.36.3/bin/linux/amd64/kubectl" in message
    assert error.exit_code == 3
    assert not (tmp_path / "cache").exists(), "the fail-fast path must never download"


def test_only_kind_missing_names_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    standins = install_standins(tmp_path, monkeypatch, ("docker", "kubectl"))

    error, took = start_failing(tmp_path)

    assert took < FAST_FAIL
    assert str(error).startswith("kind (needed by --wetest-backend kind) was not found.")
    assert str(error).endswith("Run: go install sigs.k8s.io/kind@v0.32.0")
    assert standins.calls() == [["docker", "info", "--format", "{{.ServerVersion}}"]]


def test_real_docker_without_a_daemon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real docker CLI where installed; the stand-in's daemon-down answer otherwise."""
    standins = install_standins(tmp_path, monkeypatch, ("kind", "kubectl"))
    real = shutil.which("docker", path="/usr/local/bin:/usr/bin:/bin")
    if real:
        (standins.bin / "docker").symlink_to(real)
        monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-daemon.sock")
    else:
        install_standins(tmp_path, monkeypatch, ("docker", "kind", "kubectl")).fail("daemon-down")

    error, took = start_failing(tmp_path)

    assert took < FAST_FAIL
    assert "a Docker daemon that answers" in str(error)
    assert "Cannot connect to the Docker daemon" in str(error)
    assert "sudo systemctl start docker" in str(error)
    assert all(call[0] != "kind" for call in standins.calls())


def test_a_daemon_that_hangs_fails_within_the_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_standins(tmp_path, monkeypatch).fail("daemon-hangs")

    error, took = start_failing(tmp_path)

    assert took < FAST_FAIL
    assert "no answer within 3s" in str(error)
