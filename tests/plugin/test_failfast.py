"""A dead core component stops the run: what the state file says decides, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from wetest.plugin import failfast
from wetest.stack import state


def test_only_a_core_component_that_died_on_its_own_stops_the_run(tmp_path: Path) -> None:
    assert failfast.dead_core(tmp_path) == ""  # no stack recorded here
    state.write(tmp_path, state.StackState(status="ready", exited={"datastorage": 1}))
    assert failfast.dead_core(tmp_path) == ""  # its own analyzer names it; tests fail fast

    state.write(tmp_path, state.StackState(status="ready", exited={"etcd": -9, "postgres": 0}))
    error = failfast.dead_core(tmp_path)

    assert error.startswith("The stack's etcd (exit code -9) died mid-run")
    assert "postgres" not in error
    assert error.endswith("`wetest doctor` checks the stack.")


def test_a_stack_test_after_etcd_died_errors_at_once_and_stops_the_session(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    """With the state of a stack whose etcd died: the first stack test errors, none runs on."""
    shared = tmp_path / "stack"
    shared.mkdir()
    state.write(shared, state.StackState(status="ready", exited={"etcd": -9}))
    pytester.makepyfile(
        "import pytest\n"
        "@pytest.mark.we_uses('apiserver')\n"
        "def test_one(): pass\n"
        "@pytest.mark.we_uses('apiserver')\n"
        "def test_two(): pass\n"
        "def test_plain(): pass\n"
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", f"--wetest-stack-dir={shared}")
    result.assert_outcomes(errors=1)  # test_two and test_plain never ran: the session stopped
    result.stdout.fnmatch_lines(["*! The stack's etcd (exit code -9) died mid-run*"])
