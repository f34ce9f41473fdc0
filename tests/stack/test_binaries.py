from __future__ import annotations

from pathlib import Path

import pytest

from wetest.errors import DependencyMissing
from wetest.stack import binaries


def make_exe(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_lookup_order_is_test_asset_then_kubebuilder_then_dir_then_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    places = {k: make_exe(tmp_path / k, "kube-apiserver") for k in ("asset", "kb", "dir")}
    make_exe(cache, "kube-apiserver")
    env = {
        "TEST_ASSET_KUBE_APISERVER": str(places["asset"]),
        "KUBEBUILDER_ASSETS": str(tmp_path / "kb"),
    }
    assert (
        binaries.find("kube-apiserver", str(tmp_path / "dir"), [cache], env).path == places["asset"]
    )
    del env["TEST_ASSET_KUBE_APISERVER"]
    assert binaries.find("kube-apiserver", str(tmp_path / "dir"), [cache], env).path == places["kb"]
    assert binaries.find("kube-apiserver", str(tmp_path / "dir"), [cache], {}).path == places["dir"]
    assert binaries.find("kube-apiserver", "", [cache], {}).path == cache / "kube-apiserver"


def test_missing_binary_names_every_place_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(DependencyMissing) as info:
        binaries.require("kube-apiserver", str(tmp_path), [tmp_path / "cache"], {})
    text = str(info.value)
    assert text.startswith("The kube-apiserver binary was not found.")
    assert "TEST_ASSET_KUBE_APISERVER (unset)" in text
    assert "KUBEBUILDER_ASSETS (unset)" in text
    assert str(tmp_path / "cache" / "kube-apiserver") in text
    assert text.endswith("Run: wetest assets install")
    assert isinstance(info.value, FileNotFoundError)


def test_non_executable_file_is_not_taken(tmp_path: Path) -> None:
    (tmp_path / "etcd").write_text("")
    assert binaries.find("etcd", str(tmp_path), [], {}).path is None
