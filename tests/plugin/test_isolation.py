"""Isolated instances, the plugin's side (wetest.plugin.isolation): who gets one, and when.

Running a test on an instance needs a stack; the suites' disruptive and ``we_cooldown`` tests
do that in every conformance run (run.json ``isolation``, results.jsonl ``isolation``).
"""

from __future__ import annotations

import dataclasses
import fcntl
from pathlib import Path

import pytest

from wetest.config import settings
from wetest.plugin import isolation, locks, session
from wetest.targets import bundled

TESTS = (
    "import pytest\n"
    "@pytest.mark.we_disruptive('controller')\n"
    "def test_restart(we_target): pass\n"
    "@pytest.mark.we_disruptive('datastorage', 'controller')\n"
    "def test_outage(we_datastorage, we_target): pass\n"
    "@pytest.mark.we_disruptive('apiserver')\n"
    "def test_apiserver(we_create): pass\n"
    "def test_execution(we_create): pass\n"
    "@pytest.mark.we_long\n"
    "@pytest.mark.we_cooldown('2s')\n"
    "def test_cooldown(we_create, we_cooldown):\n"
    "    assert we_cooldown == '10s'  # no instance without a stack: the run's cooldown\n"
)


def collected(pytester: pytest.Pytester, *args: str) -> list[str]:
    pytester.makepyfile(TESTS)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--collect-only", "-q", "--wetest-in-flight", "1", *args
    )
    return [line.split("::")[-1] for line in result.outlines if "::" in line]


def test_tests_planned_on_instances_start_first(pytester: pytest.Pytester) -> None:
    """One test at a time, only the cooldown test gets an instance: nothing overlaps a restart."""
    assert collected(pytester) == [
        "test_cooldown",
        "test_execution",
        "test_restart",
        "test_outage",
        "test_apiserver",
    ]


def test_with_workers_disruptive_tests_want_an_instance(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(TESTS)
    items, _ = pytester.inline_genitems("-p", "no:cacheprovider", "--wetest-in-flight", "1")
    by_name = {item.name: item for item in items}
    assert not isolation.wanted(by_name["test_restart"])  # one test at a time: nothing beside
    by_name["test_restart"].config.workerinput = {"workercount": 6}  # type: ignore[attr-defined]
    assert isolation.wanted(by_name["test_restart"])
    assert isolation.wanted(by_name["test_outage"])
    assert isolation.wanted(by_name["test_cooldown"])
    assert isolation.wanted(by_name["test_apiserver"])  # on a kube-apiserver replica (envtest)
    assert not isolation.wanted(by_name["test_execution"])
    by_name["test_apiserver"].config.stash[session.SETTINGS_KEY] = dataclasses.replace(
        session.get(by_name["test_apiserver"].config), backend="existing"
    )
    assert not isolation.wanted(
        by_name["test_apiserver"]
    )  # no replicas on a cluster we did not start


def test_without_a_scopable_target_disruptive_tests_keep_the_locks_schedule(
    pytester: pytest.Pytester,
) -> None:
    assert collected(pytester, "--wetest-target=command:my-controller --cooldown {cooldown}") == [
        "test_cooldown",
        "test_execution",
        "test_restart",
        "test_outage",
        "test_apiserver",
    ]


def test_the_cooldown_fixture_is_the_runs_without_an_instance(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain(we_cooldown):\n    assert we_cooldown == '10s'\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=1)


def test_a_malformed_cooldown_marker_fails_collection(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.we_cooldown(2)\ndef test_x(we_create): pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--collect-only", "-q")
    assert result.ret != 0
    assert 'we_cooldown takes one Go duration, such as @pytest.mark.we_cooldown("2s")' in (
        result.stderr.str()
    )


def test_scopable_targets() -> None:
    def of(target: str) -> bool:
        return isolation.scopable(settings.load({"target": target}))

    assert of("bundled")
    assert of("command:ctl --watch={watch_namespaces} --ignore={ignore_namespaces}")
    assert not of("command:ctl --watch={watch_namespaces}")
    assert not of("deployed:ns/ctl")
    assert "{watch_namespaces}" in bundled.COMMAND


def test_an_isolated_test_locks_only_what_it_uses_of_the_main_stack(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(TESTS)
    items, _ = pytester.inline_genitems("-p", "no:cacheprovider")
    by_name = {item.name: item for item in items}
    outage = by_name["test_outage"]
    unlocked = frozenset({"controller"})
    shared = locks.modes(outage, unlocked)
    assert {c for c, _ in shared} == {"apiserver", "datastorage", "postgres"}
    assert all(mode == fcntl.LOCK_SH for _, mode in shared)
    assert ("controller", fcntl.LOCK_EX) in locks.modes(outage)


def test_tekton_is_private_on_the_stand_in_tier_only(pytester: pytest.Pytester) -> None:
    """Real Tekton's controller cannot be scoped to a slot's PipelineRuns: it keeps the locks."""
    pytester.makepyfile(
        "import pytest\n@pytest.mark.we_disruptive('tekton')\ndef test_pause(we_create): pass\n"
    )
    items, _ = pytester.inline_genitems("-p", "no:cacheprovider")
    pause = items[0]
    pause.config.workerinput = {"workercount": 6}  # type: ignore[attr-defined]
    assert isolation.wanted(pause)
    pause.config.stash[session.SETTINGS_KEY] = dataclasses.replace(
        session.get(pause.config), tekton="real"
    )
    assert not isolation.wanted(pause)


def test_an_instance_with_its_own_tekton_and_postgres_unlocks_them() -> None:
    def unlocked(tekton: bool = False, postgres: bool = False) -> frozenset[str]:
        found = isolation.Isolated(
            None,  # type: ignore[arg-type]
            None,
            0,
            "ns",
            None,  # type: ignore[arg-type]
            Path(),
            "10s",
            False,
            postgres=postgres,
            tekton=tekton,
        )
        return found.unlocked

    assert unlocked() == {"controller"}
    assert unlocked(tekton=True) == {"controller", "tekton"}
    assert unlocked(postgres=True) == {"controller", "datastorage", "postgres"}


@pytest.mark.parametrize(
    ("args", "forecast"),
    [
        ((), True),  # test_apiserver will run on a replica: the supervisor spawns one ahead
        (("--wetest-in-flight", "1"), False),  # one at a time: it keeps the locks instead
        (("-k", "not test_apiserver"), False),  # deselected: nothing to spawn
    ],
)
def test_a_collected_test_that_will_want_a_replica_forecasts_it(
    pytester: pytest.Pytester, tmp_path: Path, args: tuple[str, ...], forecast: bool
) -> None:
    from wetest.supervision import forecast as forecasts

    stack_dir = tmp_path / "stack"  # no stack there yet: the forecast is for its start
    pytester.makepyfile(TESTS)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--collect-only", "-q", f"--wetest-stack-dir={stack_dir}", *args
    )
    result.assert_outcomes()
    assert forecasts.take(stack_dir) is forecast
