"""The kind backend against recording stand-ins for kind, kubectl and docker.

The stand-ins (tests/stack/standins) log every argv; these tests assert the exact command
sequence for create, Tekton install and readiness, image load, teardown, and log export when a
step fails. Polls run with interval 0, so nothing here sleeps.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import yaml

from wetest.config import settings as settings_mod
from wetest.config import sources
from wetest.errors import StartupFailed
from wetest.stack import apiaudit
from wetest.stack.kind import assets as kind_assets
from wetest.stack.kind import backend as kind
from wetest.stack.kind import tekton_release

STANDINS = Path(__file__).parent / "standins"
NAME = "wetest-t"
# "never ready" waits must see two polls even when a stand-in call takes 0.5 s on a loaded CI
FAST = tekton_release.Waits(crds=5, deployments=1.5, admission=1.5, interval=0)


@dataclass
class Standins:
    """The temporary PATH, the call log and the state folder of the stand-ins."""

    bin: Path
    log: Path
    state: Path
    monkeypatch: pytest.MonkeyPatch

    def fail(self, *modes: str) -> None:
        self.monkeypatch.setenv("WETEST_STANDIN_FAIL", ",".join(modes))

    def calls(self) -> list[list[str]]:
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        return [[json.loads(x)["tool"], *json.loads(x)["argv"]] for x in lines]

    def entries(self) -> list[dict[str, object]]:
        return [json.loads(x) for x in self.log.read_text().splitlines()]


def install_standins(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tools: tuple[str, ...] = ("docker", "kind", "kubectl"),
) -> Standins:
    """Put wrappers for the chosen stand-ins alone on PATH (the real tools stay hidden)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in tools:
        wrapper = bin_dir / tool
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{STANDINS / tool}" "$@"\n')
        wrapper.chmod(0o755)
    found = Standins(bin_dir, tmp_path / "calls.jsonl", tmp_path / "standin-state", monkeypatch)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("WETEST_STANDIN_LOG", str(found.log))
    monkeypatch.setenv("WETEST_STANDIN_STATE", str(found.state))
    monkeypatch.delenv("WETEST_STANDIN_FAIL", raising=False)
    return found


@pytest.fixture
def standins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Standins:
    return install_standins(tmp_path, monkeypatch)


@pytest.fixture
def options(tmp_path: Path) -> kind.KindOptions:
    manifest = tmp_path / "release.yaml"
    manifest.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: tekton-pipelines}\n")
    return kind.KindOptions(
        state_dir=tmp_path / "state",
        cache_dir=tmp_path / "cache",
        cluster_name=NAME,
        tekton_release=str(manifest),
        waits=FAST,
    )


def k(options: kind.KindOptions, *args: str) -> list[str]:
    return ["kubectl", "--kubeconfig", str(options.kubeconfig), *args]


def create_sequence(options: kind.KindOptions) -> list[list[str]]:
    return [
        ["docker", "info", "--format", "{{.ServerVersion}}"],
        ["kind", "get", "clusters"],
        [
            "kind",
            "create",
            "cluster",
            "--name",
            NAME,
            "--config",
            str(options.generated_config),
            "--kubeconfig",
            str(options.kubeconfig),
            "--wait=120s",
        ],
    ]


def tekton_sequence(options: kind.KindOptions, deploy_polls: int, dry_runs: int) -> list[list[str]]:
    crds = [f"crd/{n}" for n in tekton_release.CRDS]
    return [
        k(options, "apply", "-f", options.tekton_release),
        k(options, "wait", "--for=condition=Established", "--timeout=5s", *crds),
        *[
            k(
                options,
                "-n",
                "tekton-pipelines",
                "get",
                "deployment",
                "tekton-pipelines-controller",
                "tekton-pipelines-webhook",
                "-o",
                "json",
            )
        ]
        * deploy_polls,
        *[k(options, "create", "--dry-run=server", "-f", "-")] * dry_runs,
    ]


def crd_sequence(options: kind.KindOptions) -> list[list[str]]:
    out = []
    for crd in kind_assets.crd_files():
        out += [
            k(options, "apply", "-f", str(crd)),
            k(options, "wait", "--for=condition=Established", "--timeout=5s", "-f", str(crd)),
        ]
    return out


def delete(options: kind.KindOptions) -> list[str]:
    return ["kind", "delete", "cluster", "--name", NAME, "--kubeconfig", str(options.kubeconfig)]


def export_logs(options: kind.KindOptions) -> list[str]:
    return ["kind", "export", "logs", str(options.failure_logs / f"kind-{NAME}"), "--name", NAME]


def test_create_install_wait_and_teardown_in_order(
    standins: Standins, options: kind.KindOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WETEST_STANDIN_WEBHOOK_AFTER", "2")
    monkeypatch.setenv("WETEST_STANDIN_ADMISSION_AFTER", "1")
    backend = kind.KindBackend(options)

    endpoints = backend.start()

    assert standins.calls() == (
        create_sequence(options) + tekton_sequence(options, 3, 2) + crd_sequence(options)
    )
    assert endpoints.backend == "kind"
    assert endpoints.kubeconfig == str(options.kubeconfig)
    assert endpoints.apiserver == "https://127.0.0.1:40123"
    assert "kind: TaskRun" in str(standins.entries()[-len(crd_sequence(options)) - 1]["stdin"])
    backend.stop()
    backend.stop()
    assert standins.calls()[-1] == delete(options)
    assert standins.calls().count(delete(options)) == 1


def test_the_cluster_is_created_with_the_audit_log_of_apiaudit(
    standins: Standins, options: kind.KindOptions
) -> None:
    backend = kind.KindBackend(options)
    endpoints = backend.start()
    backend.stop()

    create = next(c for c in standins.calls() if c[:3] == ["kind", "create", "cluster"])
    config = yaml.safe_load(Path(create[create.index("--config") + 1]).read_text())
    node = config["nodes"][0]
    assert (
        node["image"]
        == yaml.safe_load(kind_assets.cluster_config().read_text())["nodes"][0]["image"]
    )
    assert {"hostPath": str(options.audit_dir.resolve()), "containerPath": "/etc/wetest-audit"} in (
        node["extraMounts"]
    )
    patches = [yaml.safe_load(p) for p in config["kubeadmConfigPatches"]]
    by_version = {p["apiVersion"]: p["apiServer"] for p in patches}
    wanted = {
        "audit-policy-file": "/etc/wetest-audit/audit-policy.yaml",
        "audit-log-path": "/etc/wetest-audit/audit.log",
        "audit-log-format": "json",
        "audit-log-mode": "blocking",
    }
    v1beta3 = by_version["kubeadm.k8s.io/v1beta3"]
    v1beta4 = by_version["kubeadm.k8s.io/v1beta4"]
    assert wanted.items() <= v1beta3["extraArgs"].items()
    assert wanted.items() <= {a["name"]: a["value"] for a in v1beta4["extraArgs"]}.items()
    for api_server in (v1beta3, v1beta4):
        (volume,) = api_server["extraVolumes"]
        assert volume["hostPath"] == volume["mountPath"] == "/etc/wetest-audit"
        assert volume["readOnly"] is False
    assert (options.audit_dir / "audit-policy.yaml").read_text() == apiaudit.POLICY
    assert endpoints.audit_log == str(options.audit_dir / "audit.log")
    assert endpoints.api_call_evidence == "available"


def test_without_audit_log_the_pinned_config_is_used_as_is(
    standins: Standins, options: kind.KindOptions
) -> None:
    backend = kind.KindBackend(replace(options, audit_log=False))
    endpoints = backend.start()
    backend.stop()

    create = next(c for c in standins.calls() if c[:3] == ["kind", "create", "cluster"])
    assert create[create.index("--config") + 1] == str(kind_assets.cluster_config())
    assert endpoints.audit_log == ""
    assert endpoints.api_call_evidence.startswith("unavailable: ")


def test_the_fixture_crds_are_applied(options: kind.KindOptions) -> None:
    assert [p.name for p in kind_assets.crd_files()] == ["workflowexecutions.kubernaut.ai.yaml"]


def test_a_kept_cluster_is_not_deleted(standins: Standins, options: kind.KindOptions) -> None:
    backend = kind.KindBackend(replace(options, keep=True))
    backend.start()
    backend.stop()
    assert all(call[:2] != ["kind", "delete"] for call in standins.calls())


def test_an_existing_cluster_is_reused_and_never_deleted(
    standins: Standins, options: kind.KindOptions
) -> None:
    (standins.state / "clusters").mkdir(parents=True)
    (standins.state / "clusters" / NAME).touch()
    backend = kind.KindBackend(replace(options, reuse=True))

    endpoints = backend.start()
    backend.stop()

    assert endpoints.api_call_evidence.startswith("unavailable: reused kind cluster")
    assert standins.calls()[:3] == [
        ["docker", "info", "--format", "{{.ServerVersion}}"],
        ["kind", "get", "clusters"],
        ["kind", "export", "kubeconfig", "--name", NAME, "--kubeconfig", str(options.kubeconfig)],
    ]
    assert standins.calls()[3:] == tekton_sequence(options, 1, 1) + crd_sequence(options)


def test_an_existing_cluster_is_refused_without_reuse(
    standins: Standins, options: kind.KindOptions
) -> None:
    (standins.state / "clusters").mkdir(parents=True)
    (standins.state / "clusters" / NAME).touch()

    with pytest.raises(StartupFailed, match="--wetest-kind-reuse") as caught:
        kind.KindBackend(options).start()

    assert f"kind delete cluster --name {NAME}" in str(caught.value)
    assert standins.calls() == create_sequence(options)[:2]


def test_a_failed_create_is_cleaned_up_without_log_export(
    standins: Standins, options: kind.KindOptions
) -> None:
    standins.fail("kind-create")

    with pytest.raises(StartupFailed, match="failed to pull image") as caught:
        kind.KindBackend(options).start()

    assert "--retain" in str(caught.value)
    assert standins.calls() == [*create_sequence(options), delete(options)]


@pytest.mark.parametrize(
    ("mode", "polls", "dry_runs", "evidence"),
    [
        ("tekton-apply", 0, 0, "error validating data"),
        ("crds-never", 0, 0, "Established=False (Installing"),
        (
            "webhook-never",
            -1,
            0,
            "tekton-pipelines-webhook: 0/1 available, Available=False (MinimumReplicasUnavailable",
        ),
        ("admission-never", 1, -1, "failed calling webhook"),
    ],
)
def test_a_failed_tekton_step_exports_logs_then_deletes(
    standins: Standins,
    options: kind.KindOptions,
    mode: str,
    polls: int,
    dry_runs: int,
    evidence: str,
) -> None:
    standins.fail(mode)

    with pytest.raises(StartupFailed) as caught:
        kind.KindBackend(options).start()

    calls = standins.calls()
    assert evidence in str(caught.value)
    assert calls[:4] == create_sequence(options) + tekton_sequence(options, 0, 0)[:1]
    assert calls[-2:] == [export_logs(options), delete(options)]
    assert any(str(options.failure_logs) in note for note in caught.value.__notes__)
    assert_polled(calls[4:-2], options, mode, polls, dry_runs)


def assert_polled(
    calls: list[list[str]], options: kind.KindOptions, mode: str, polls: int, dry_runs: int
) -> None:
    """The waits between apply and export: counted exactly, or 'more than once' when -1."""
    get_deploy = tekton_sequence(options, 1, 0)[2]
    dry_run = tekton_sequence(options, 0, 1)[2]
    for probe, expected in ((get_deploy, polls), (dry_run, dry_runs)):
        seen = calls.count(probe)
        assert seen > 1 if expected == -1 else seen == expected, (mode, probe, seen)
    if mode == "crds-never":
        assert calls[-1][3:5] == ["get", "crd"]


def test_the_webhook_timeout_names_the_last_observed_status(
    standins: Standins, options: kind.KindOptions
) -> None:
    standins.fail("webhook-never")
    with pytest.raises(StartupFailed) as caught:
        kind.KindBackend(options).start()
    message = str(caught.value)
    assert message.startswith("Tekton's Deployments in tekton-pipelines were not available")
    assert "tekton-pipelines-controller: 1/1 available" in message
    assert "describe deployment" in message


def test_load_image_runs_kind_load(standins: Standins, options: kind.KindOptions) -> None:
    kind.KindBackend(options).load_image("example.com/we-controller:dev")
    assert standins.calls() == [
        ["kind", "load", "docker-image", "example.com/we-controller:dev", "--name", NAME]
    ]


def test_load_image_failure_says_how_to_fix(standins: Standins, options: kind.KindOptions) -> None:
    standins.fail("kind-load")
    with pytest.raises(StartupFailed, match="not present locally") as caught:
        kind.KindBackend(options).load_image("we:dev")
    assert "docker image inspect we:dev" in str(caught.value)


def test_export_logs_returns_the_files(
    standins: Standins, options: kind.KindOptions, tmp_path: Path
) -> None:
    files = kind.KindBackend(options).export_logs(tmp_path / "evidence")
    assert standins.calls() == [
        ["kind", "export", "logs", str(tmp_path / "evidence" / f"kind-{NAME}"), "--name", NAME]
    ]
    assert [f.name for f in files] == ["docker-info.txt", "kubelet.log"]


def test_host_address_is_the_kind_network_gateway(
    standins: Standins, options: kind.KindOptions
) -> None:
    assert kind.KindBackend(options).host_address() == "172.18.0.1"


def test_create_maps_settings(tmp_path: Path) -> None:
    resolved = sources.resolve(
        {
            "kind_cluster_name": "mine",
            "kind_reuse": True,
            "kind_keep": "true",
            "tekton_release": "/r.yaml",
            "timeout_scale": "2",
            "state_dir": str(tmp_path),
        },
        env={},
        cwd=tmp_path,
    )
    backend = kind.create(settings_mod.from_resolved(resolved))
    got = backend.options
    assert (got.cluster_name, got.reuse, got.keep, got.tekton_release) == (
        "mine",
        True,
        True,
        "/r.yaml",
    )
    assert got.waits == tekton_release.Waits().scaled(2.0)
    assert got.node_wait == 240.0
    assert got.kubeconfig == tmp_path / "kind" / "mine" / "kubeconfig"
