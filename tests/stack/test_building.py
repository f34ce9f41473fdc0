from __future__ import annotations

from pathlib import Path

from wetest.stack import building

UPSTREAM = """module k8s.io/kubernetes
replace (
\tk8s.io/api => ./staging/src/k8s.io/api
\tk8s.io/cri-streaming => ./staging/src/k8s.io/cri-streaming
)
require github.com/x/y v1.0.0
"""


def test_staging_list_is_generated_from_the_upstream_go_mod() -> None:
    assert building.staging_replaces(UPSTREAM) == ["k8s.io/api", "k8s.io/cri-streaming"]


def test_version_is_stamped_into_both_version_packages() -> None:
    flags = building.version_ldflags("v1.36.3")
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        assert f"-X {pkg}.gitVersion=v1.36.3" in flags
        assert f"-X {pkg}.gitMinor=36" in flags


def test_install_is_a_no_op_when_the_cache_is_complete(tmp_path: Path) -> None:
    for comp in building.components("v9.9.9", "v3.9.9"):
        comp.bin_dir(tmp_path).mkdir(parents=True)
        for program in comp.programs:
            (comp.bin_dir(tmp_path) / program).write_text("")
        (comp.dir(tmp_path) / ".complete").write_text(comp.version)
    dirs = building.install(tmp_path, "v9.9.9", "v3.9.9")  # would fail if it ran go
    assert [d.parent.name for d in dirs] == ["etcd-v3.9.9", "kubernetes-v9.9.9"]
    envtest_dir = building.envtest_dir(tmp_path, "v9.9.9", "v3.9.9")
    assert sorted(p.name for p in envtest_dir.iterdir()) == [
        "etcd",
        "kube-apiserver",
        "kube-controller-manager",
    ]


def test_a_marker_for_another_version_means_rebuild(tmp_path: Path) -> None:
    comp = building.components("v9.9.9", "v3.9.9")[0]
    comp.bin_dir(tmp_path).mkdir(parents=True)
    (comp.bin_dir(tmp_path) / "etcd").write_text("")
    (comp.dir(tmp_path) / ".complete").write_text("v3.0.0")
    assert not comp.complete(tmp_path)
