"""Every setting takes effect through every surface: option, env var and ``[tool.wetest]``.

Cheap by design: each case resolves one non-default value through one surface and checks the
typed value every consumer reads (``Settings``), then the plumbing of each front end (pytest's
``--wetest-*`` options, `wetest config`, the supervisor's hand-over) once for all settings, and
``timeout_scale`` where it is used: the budget of ``eventually`` under the plugin.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from wetest.cli import common
from wetest.cli import config as config_cmd
from wetest.config import names, settings, sources
from wetest.errors import ConfigError

SURFACES = ("option", "env", "file")
NOT_IN_FILE = {"config": "names the file itself: only --wetest-config or WETEST_CONFIG"}
"""Listed exclusions: a setting that has no meaning on a surface, and why."""

SPECIAL: dict[str, tuple[str, Any]] = {
    "datastorage_url": ("http://127.0.0.1:18100/", "http://127.0.0.1:18100"),
    "profile": ("core, audit", ("core", "audit")),
    "target": ('command:"./my-controller"', 'command:"./my-controller"'),
}
"""Raw value and typed value where the generic rule (by kind) does not apply."""


def sample(setting: names.Setting) -> tuple[str, Any]:
    """A valid non-default raw value for a setting, and the typed value Settings must hold."""
    if setting.key in SPECIAL:
        return SPECIAL[setting.key]
    if setting.kind == "choice":
        raw = next(c for c in reversed(setting.choices) if c != setting.default)
        return raw, raw
    if setting.kind == "bool":
        flipped = not sources.as_bool(setting.default)
        return ("true" if flipped else "false"), flipped
    if setting.kind == "float":
        return "2.5", 2.5
    if setting.kind == "int":
        return "7", 7
    if setting.kind == "path":
        return f"/tmp/wetest-sample/{setting.key}", Path(f"/tmp/wetest-sample/{setting.key}")
    return f"sample-{setting.key}", f"sample-{setting.key}"


def _typed(value: Any, expected: Any) -> Any:
    """Path settings that Settings keeps as text compare as text."""
    return str(expected) if isinstance(expected, Path) and isinstance(value, str) else expected


CASES = [
    pytest.param(s, surface, id=f"{s.key}-{surface}")
    for s in names.SETTINGS
    if s.key != "config"
    for surface in SURFACES
]


@pytest.mark.parametrize(("setting", "surface"), CASES)
def test_each_setting_takes_effect_through_each_surface(
    setting: names.Setting, surface: str, tmp_path: Path
) -> None:
    raw, expected = sample(setting)
    options: dict[str, object | None] = {}
    env: dict[str, str] = {}
    if surface == "option":
        options[setting.key] = raw
    elif surface == "env":
        env[setting.env] = raw
    else:
        (tmp_path / "pyproject.toml").write_text(f"[tool.wetest]\n{setting.key} = {raw!r}\n")
    resolved = sources.resolve(options, env=env, cwd=tmp_path)
    value = getattr(settings.from_resolved(resolved), setting.key)
    assert value == _typed(value, expected)
    label = {"option": setting.option, "env": setting.env, "file": "file "}[surface]
    assert label in resolved[setting.key].source


@pytest.mark.parametrize("surface", ["option", "env"])
def test_config_chooses_the_file_through_option_and_env(surface: str, tmp_path: Path) -> None:
    chosen = tmp_path / "elsewhere.toml"
    chosen.write_text("[tool.wetest]\ntimeout_scale = 4\n")
    options = {"config": str(chosen)} if surface == "option" else {}
    env = {"WETEST_CONFIG": str(chosen)} if surface == "env" else {}
    loaded = settings.from_resolved(sources.resolve(options, env=env, cwd=tmp_path))
    assert loaded.timeout_scale == 4.0
    assert loaded.source_of("timeout_scale") == f"file {chosen}"


def test_config_inside_the_file_is_refused_not_ignored(tmp_path: Path) -> None:
    assert set(NOT_IN_FILE) == {"config"}
    (tmp_path / "pyproject.toml").write_text('[tool.wetest]\nconfig = "other.toml"\n')
    with pytest.raises(ConfigError, match="--wetest-config or WETEST_CONFIG"):
        sources.resolve({}, env={}, cwd=tmp_path)


def test_every_setting_is_a_typed_field_of_settings() -> None:
    fields = set(settings.Settings.__dataclass_fields__) - {"sources"}
    assert {s.key for s in names.SETTINGS} - {"config"} == fields


def _all_options(results_dir: Path | None = None) -> list[str]:
    """Every setting on the command line (a run writes its results_dir: keep that in tmp)."""
    argv = []
    for s in names.SETTINGS:
        if s.key != "config":
            value = str(results_dir) if results_dir and s.key == "results_dir" else sample(s)[0]
            argv += [s.option, value]
    return argv


def test_the_cli_passes_every_option_to_the_resolver(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    parser = argparse.ArgumentParser()
    subs = parser.add_subparsers(dest="command")
    common.add_setting_options(config_cmd.add_parser(subs))
    assert config_cmd.run(parser.parse_args(["config", "--json", *_all_options()])) == 0
    shown = json.loads(capsys.readouterr().out)
    for s in names.SETTINGS:
        if s.key != "config":
            assert shown[s.key] == {"value": sample(s)[0], "source": f"option {s.option}"}


def test_pytest_passes_every_option_to_the_resolver(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        "import json\n"
        "def test_dump(we_settings):\n"
        "    found = {k: r.source for k, r in we_settings.sources.items()}\n"
        "    print('SOURCES=' + json.dumps(found))\n"
    )
    options = _all_options(pytester.path / "results")
    result = pytester.runpytest_inprocess("-s", "-p", "no:cacheprovider", *options)
    result.assert_outcomes(passed=1)
    found = json.loads(result.stdout.str().split("SOURCES=", 1)[1].splitlines()[0])
    for s in names.SETTINGS:
        if s.key != "config":
            assert found[s.key] == f"option {s.option}"


WAIT_TEST = """
import pytest
from wetest import WaitTimeout, eventually, consistently, expectations as ex

NEVER = ex.satisfies(lambda s: False, "never")


def test_budget_is_scaled():
    with pytest.raises(WaitTimeout, match=r"\\(timeout 0\\.03s\\)"):
        eventually(lambda: 0, NEVER, timeout=0.01, interval=0.005)


@pytest.mark.we_wait(timeout=0.02, scale=2)
def test_marker_sets_the_default_timeout_and_stretches_the_scale():
    with pytest.raises(WaitTimeout, match=r"\\(timeout 0\\.12s\\)"):
        eventually(lambda: 0, NEVER, interval=0.005)


@pytest.mark.we_wait(duration=0.01)
def test_marker_sets_the_consistently_duration():
    assert consistently(lambda: 1, ex.satisfies(bool, "truthy"), interval=0.005) == 1
"""


@pytest.mark.parametrize("surface", SURFACES)
def test_timeout_scale_reaches_eventually_through_each_surface(
    surface: str, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point of use: the plugin activates the setting for every wait of every test."""
    monkeypatch.delenv("WETEST_TIMEOUT_SCALE", raising=False)
    pytester.makepyfile(WAIT_TEST)
    args = ["-p", "no:cacheprovider"]
    if surface == "option":
        args += ["--wetest-timeout-scale", "3"]
    elif surface == "env":
        monkeypatch.setenv("WETEST_TIMEOUT_SCALE", "3")
    else:
        pytester.makepyprojecttoml("[tool.wetest]\ntimeout_scale = 3\n")
    pytester.runpytest_inprocess(*args).assert_outcomes(passed=3)


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("we_wait(timeout='soon')", "is not a number of seconds"),
        ("we_wait(tiemout=3)", "Unknown wait timing(s) tiemout"),
        ("we_wait(3)", "keyword arguments only"),
        ("we_wait(scale=0)", "scale must be positive"),
    ],
)
def test_a_bad_we_wait_marker_fails_collection(
    marker: str, message: str, pytester: pytest.Pytester
) -> None:
    pytester.makepyfile(f"import pytest\n@pytest.mark.{marker}\ndef test_x():\n    pass\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in "\n".join(result.errlines + result.outlines)
