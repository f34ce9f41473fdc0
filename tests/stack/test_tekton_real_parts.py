"""The real Tekton tier's parts that need no running stack: builds, manifests, KWOK stages."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
import yaml
from cryptography import x509

from wetest.config import settings
from wetest.errors import ConfigError, DependencyMissing
from wetest.stack import building, certs
from wetest.stack.tekton.real import kwok, manifests, tier


def test_real_tier_builds_pin_tekton_and_kwok_and_share_the_registry_with_tekton() -> None:
    tekton, kwok_build = building.real_tekton_builds("v1.15.0")
    assert tekton.component.programs == ("controller", "webhook", "resolvers", "registry")
    assert building.REGISTRY_PACKAGE in tekton.packages
    assert kwok_build.component.version == building.KWOK_VERSION == "v0.8.0"


def test_real_tier_install_is_a_no_op_when_the_cache_is_complete(tmp_path: Path) -> None:
    for tool in building.real_tekton_builds("v9.9.9"):
        comp = tool.component
        comp.bin_dir(tmp_path).mkdir(parents=True)
        for program in comp.programs:
            (comp.bin_dir(tmp_path) / program).write_text("")
        (comp.dir(tmp_path) / ".complete").write_text(comp.version)
    dirs = building.install_real_tekton(tmp_path, "v9.9.9")  # would fail if it ran go
    assert [d.parent.name for d in dirs] == ["tekton-v9.9.9", "kwok-v0.8.0"]


def test_a_missing_binary_names_the_install_command(tmp_path: Path) -> None:
    s = settings.load({"cache_dir": str(tmp_path), "tekton": "real"})
    with pytest.raises(DependencyMissing, match="wetest assets install --tekton real"):
        tier.binary_paths(s)


def test_webhook_certificate_covers_loopback_and_outlives_knatives_renewal_window() -> None:
    ca = certs.TinyCA("test-ca")
    secret = manifests.webhook_secret(ca)
    assert set(secret["data"]) == {"server-key.pem", "server-cert.pem", "ca-cert.pem"}
    cert = x509.load_pem_x509_certificate(base64.b64decode(secret["data"]["server-cert.pem"]))
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "127.0.0.1" in [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)]
    assert "tekton-pipelines-webhook.tekton-pipelines.svc" in sans.get_values_for_type(x509.DNSName)
    # knative replaces a certificate expiring within a day, which would drop the loopback name
    assert cert.not_valid_after_utc - dt.datetime.now(dt.UTC) > dt.timedelta(days=2)


def test_webhook_configurations_call_loopback_by_url_with_our_ca() -> None:
    mutating, validating = manifests.webhook_configurations(18443, b"CA")
    for doc, path in ((mutating, "/defaulting"), (validating, "/resource-validation")):
        hook = doc["webhooks"][0]
        assert hook["clientConfig"] == {
            "url": f"https://127.0.0.1:18443{path}",
            "caBundle": base64.b64encode(b"CA").decode(),
        }
        assert hook["failurePolicy"] == "Fail"
        resources = {r for rule in hook["rules"] for r in rule["resources"]}
        assert {"pipelineruns", "taskruns", "pipelineruns/status"} <= resources


def test_apply_refuses_a_kind_it_has_no_path_for() -> None:
    with pytest.raises(ValueError, match=r"add it to manifests\._KINDS"):
        manifests.path_of({"kind": "Deployment", "metadata": {"name": "x"}})


def test_every_stage_is_a_kwok_stage_with_a_template_that_parses_as_yaml() -> None:
    stages = kwok.stages()
    names = [s["metadata"]["name"] for s in stages]
    assert names == [
        "wetest-node-initialize",
        "wetest-pod-image-pull",
        "wetest-pod-ready",
        "wetest-pod-end",
        "wetest-pod-delete",
    ]
    for stage in stages:
        assert stage["kind"] == "Stage"
        yaml.safe_load_all(yaml.safe_dump(stage))  # the config file KWOK reads


def test_outcomes_are_played_from_interface_two_annotations() -> None:
    by_name = {s["metadata"]["name"]: s["spec"] for s in kwok.stages()}
    end = by_name["wetest-pod-end"]
    outcome = '.metadata.annotations["wetest.kubernaut.ai/outcome"]'
    assert {"key": outcome, "operator": "NotIn", "values": ["run-forever", "image-pull"]} in end[
        "selector"
    ]["matchExpressions"]
    assert end["delay"]["durationFrom"]["expressionFrom"] == (
        '.metadata.annotations["wetest.kubernaut.ai/after"]'
    )
    template = end["next"]["statusTemplate"]
    for key in ("exit-code", "reason", "termination-message", "outcome"):
        assert f'"wetest.kubernaut.ai/{key}"' in template


def test_binding_policy_binds_only_unbound_tekton_pods_to_the_fake_node() -> None:
    policy, binding = kwok.binding_policy()
    assert binding["spec"]["policyName"] == policy["metadata"]["name"]
    condition = policy["spec"]["matchConditions"][0]["expression"]
    assert "'tekton-pipelines'" in condition
    assert "nodeName" in condition
    assert kwok.NODE in policy["spec"]["mutations"][0]["applyConfiguration"]["expression"]
    assert kwok.node()["metadata"]["annotations"] == {"kwok.x-k8s.io/node": "fake"}


def test_tekton_setting_defaults_to_the_stand_in_and_takes_env_and_option() -> None:
    assert settings.load({}).tekton == "stand-in"
    assert (
        settings.from_resolved(settings.sources.resolve({}, env={"WETEST_TEKTON": "real"})).tekton
        == "real"
    )
    assert settings.load({"tekton": "real"}).source_of("tekton") == "option --wetest-tekton"
    with pytest.raises(ConfigError, match="'reel' is not a valid tekton"):
        settings.load({"tekton": "reel"})


def test_doctor_requires_the_real_tier_only_when_it_is_selected(tmp_path: Path) -> None:
    from wetest.cli import doctor

    stand_in = doctor.real_tekton(settings.load({"cache_dir": str(tmp_path)}))
    real = doctor.real_tekton(settings.load({"cache_dir": str(tmp_path), "tekton": "real"}))
    assert [c.name for c in real] == [
        "tekton controller", "tekton webhook", "tekton resolvers", "tekton registry", "kwok",
    ]  # fmt: skip
    assert not any(c.required for c in stand_in)
    assert all(c.required and not c.found for c in real)
    assert {c.fix for c in real} == {"wetest assets install --tekton real"}


def test_backend_kind_always_runs_real_tekton() -> None:
    assert settings.load({"backend": "kind"}).tekton_tier == "real"
    assert settings.load({}).tekton_tier == "stand-in"
    assert settings.load({"tekton": "real"}).tekton_tier == "real"
