from __future__ import annotations

from pathlib import Path

import pytest

from wetest.config import names, settings, sources
from wetest.errors import ConfigError


def write_pyproject(folder: Path, body: str) -> Path:
    path = folder / "pyproject.toml"
    path.write_text(f"[tool.wetest]\n{body}\n")
    return path


def test_naming_rule_is_mechanical_for_every_setting() -> None:
    for s in names.SETTINGS:
        assert s.env == "WETEST_" + s.key.upper()
        assert s.option == "--wetest-" + s.key.replace("_", "-")


def test_default_when_nothing_is_given(tmp_path: Path) -> None:
    resolved = sources.resolve({}, env={}, cwd=tmp_path)
    assert resolved["backend"] == sources.Resolved("envtest", "default")


def test_file_beats_default(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, 'backend = "existing"')
    resolved = sources.resolve({}, env={}, cwd=tmp_path / "sub" if False else tmp_path)
    assert resolved["backend"] == sources.Resolved("existing", f"file {path}")


def test_file_is_found_walking_up(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "timeout_scale = 2.5")
    deeper = tmp_path / "a" / "b"
    deeper.mkdir(parents=True)
    assert sources.resolve({}, env={}, cwd=deeper)["timeout_scale"].value == "2.5"


def test_env_beats_file_and_option_beats_env(tmp_path: Path) -> None:
    write_pyproject(tmp_path, 'backend = "existing"')
    env = {"WETEST_BACKEND": "kind"}
    assert sources.resolve({}, env=env, cwd=tmp_path)["backend"].source == "env WETEST_BACKEND"
    got = sources.resolve({"backend": "envtest"}, env=env, cwd=tmp_path)["backend"]
    assert got == sources.Resolved("envtest", "option --wetest-backend")


def test_ecosystem_variables_rank_below_wetest_ones(tmp_path: Path) -> None:
    env = {"KUBECONFIG": "/k1"}
    assert sources.resolve({}, env=env, cwd=tmp_path)["kubeconfig"].source == "env KUBECONFIG"
    env["WETEST_KUBECONFIG"] = "/k2"
    assert sources.resolve({}, env=env, cwd=tmp_path)["kubeconfig"].value == "/k2"


def test_use_existing_cluster_is_an_alias_that_wetest_backend_overrides(tmp_path: Path) -> None:
    env = {"USE_EXISTING_CLUSTER": "true"}
    assert sources.resolve({}, env=env, cwd=tmp_path)["backend"].value == "existing"
    env["WETEST_BACKEND"] = "envtest"
    assert sources.resolve({}, env=env, cwd=tmp_path)["backend"].value == "envtest"


def test_invalid_choice_names_the_value_its_source_and_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        sources.resolve({}, env={"WETEST_BACKEND": "dockr"}, cwd=tmp_path)
    assert str(info.value) == (
        "'dockr' is not a valid backend (from env WETEST_BACKEND). "
        "Valid values: envtest, kind, existing."
    )


def test_unknown_file_key_is_an_error(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "bakend = 1")
    with pytest.raises(ConfigError, match="Unknown key"):
        sources.resolve({}, env={}, cwd=tmp_path)


def test_bad_float_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="positive number"):
        sources.resolve({"timeout_scale": "fast"}, env={}, cwd=tmp_path)


def test_settings_are_typed(tmp_path: Path) -> None:
    resolved = sources.resolve(
        {"keep_failed": "yes", "profile": "core, audit"}, env={}, cwd=tmp_path
    )
    s = settings.from_resolved(resolved)
    assert s.keep_failed is True
    assert s.profile == ("core", "audit")
    assert s.source_of("keep_failed") == "option --wetest-keep-failed"
