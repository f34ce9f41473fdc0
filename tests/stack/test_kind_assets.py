"""Pinned inputs of the kind path: the node image digest and the Tekton release sha256."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from wetest.errors import ConfigError, DependencyMissing, StartupFailed
from wetest.stack.kind import assets as kind_assets

MANIFEST = b"apiVersion: v1\nkind: Namespace\nmetadata: {name: tekton-pipelines}\n"
DIGEST = hashlib.sha256(MANIFEST).hexdigest()


def test_the_shipped_cluster_config_pins_the_node_image_by_digest() -> None:
    path = kind_assets.cluster_config()
    assert path.name == "cluster.yaml"
    assert "kindest/node:v1.36.1@sha256:" in path.read_text()


def test_an_unpinned_node_image_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "cluster.yaml"
    config.write_text(
        "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n"
        "- role: control-plane\n  image: kindest/node:v1.36.1\n"
    )
    with pytest.raises(ConfigError, match=r"not pinned by digest: kindest/node:v1\.36\.1"):
        kind_assets.cluster_config(config)


def test_the_pinned_release_is_tekton_v1_15_0() -> None:
    pinned = kind_assets.pinned_release()
    assert pinned.version == "v1.15.0"
    assert pinned.url == (
        "https://infra.tekton.dev/tekton-releases/pipeline/previous/v1.15.0/release.yaml"
    )


def release_at(tmp_path: Path, sha256: str) -> kind_assets.Release:
    source = tmp_path / "upstream" / "release.yaml"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(MANIFEST)
    return kind_assets.Release("v1.15.0", source.as_uri(), sha256, tmp_path / "pin" / "VERSION")


def test_the_pinned_url_is_downloaded_once_and_verified(tmp_path: Path) -> None:
    pinned = release_at(tmp_path, DIGEST)
    first = kind_assets.release_manifest("", pinned, tmp_path / "cache")
    Path(pinned.url.removeprefix("file://")).unlink()
    again = kind_assets.release_manifest("", pinned, tmp_path / "cache")
    assert first == again == tmp_path / "cache" / "tekton" / "v1.15.0" / "release.yaml"
    assert first.read_bytes() == MANIFEST


def test_a_file_with_another_sha256_is_refused(tmp_path: Path) -> None:
    pinned = release_at(tmp_path, "0" * 64)
    with pytest.raises(StartupFailed, match=f"has sha256 {DIGEST}, but .* records 0000"):
        kind_assets.release_manifest("", pinned, tmp_path / "cache")


def test_a_vendored_copy_wins_over_the_download(tmp_path: Path) -> None:
    pinned = release_at(tmp_path, DIGEST)
    pinned.pinned_in.parent.mkdir(parents=True)
    (pinned.pinned_in.parent / "release.yaml").write_bytes(MANIFEST)
    got = kind_assets.release_manifest("", pinned, tmp_path / "cache")
    assert got == pinned.pinned_in.parent / "release.yaml"
    assert not (tmp_path / "cache").exists()


def test_an_unreachable_release_says_how_to_give_a_file(tmp_path: Path) -> None:
    pinned = kind_assets.Release(
        "v1.15.0", (tmp_path / "nowhere.yaml").as_uri(), "", tmp_path / "VERSION"
    )
    with pytest.raises(DependencyMissing, match=r"--wetest-tekton-release /path/to/release\.yaml"):
        kind_assets.release_manifest("", pinned, tmp_path / "cache")
    assert not list((tmp_path / "cache").rglob("*.yaml"))


def test_a_user_path_is_used_as_given(tmp_path: Path) -> None:
    given = tmp_path / "mine.yaml"
    given.write_bytes(MANIFEST)
    pinned = release_at(tmp_path, "0" * 64)
    assert kind_assets.release_manifest(str(given), pinned, tmp_path / "cache") == given


def test_a_missing_user_path_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        kind_assets.release_manifest(
            str(tmp_path / "no.yaml"), release_at(tmp_path, ""), tmp_path / "cache"
        )
