"""`wetest compare`: regressions, fixes and unchanged counts between two runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wetest import cli
from wetest.report import build, compare


@pytest.fixture
def two_runs(seed_builder: Callable[[str], Any]) -> tuple[Path, Path]:
    """A is the seed; B fixes the conflicts and breaks WE-PR-001 in one test."""
    before = seed_builder("a").write()
    after = seed_builder("b")
    for record in after.results:
        if "test_conflict_" in record["nodeid"]:
            record.update(outcome="passed", error_class=None, message=None)
    after.results[0].update(outcome="failed", error_class="AssertionError", message="bad name")
    after.info["target"]["version"] = "0.2.0"
    return before, after.write()


def test_regressions_fixes_and_unchanged_counts(two_runs: tuple[Path, Path]) -> None:
    build.build(two_runs[0])  # A from conformance.yaml, B computed from its files
    result = compare.compare(*two_runs)
    assert result.regressions == ["WE-PR-001"]
    assert result.fixes == ["WE-COND-031", "WE-STAT-001"]
    assert result.changed == {}
    assert sum(result.unchanged.values()) == 140 - 3
    assert result.unchanged["failed"] == 1  # WE-AUD-023, still missing DataStorage
    assert result.notes == ["The implementations differ: bundled 0.1.0 in A, bundled 0.2.0 in B."]


def test_cli_json_output_and_exit_zero_with_regressions(
    two_runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["compare", str(two_runs[0]), str(two_runs[1]), "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["regressions"] == ["WE-PR-001"]
    assert data["fixes"] == ["WE-COND-031", "WE-STAT-001"]


def test_cli_text_output(two_runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["compare", str(two_runs[0]), str(two_runs[1])]) == 0
    out = capsys.readouterr().out
    assert "regressions (1): WE-PR-001" in out
    assert "fixes (2): WE-COND-031, WE-STAT-001" in out


def test_unreadable_input_exits_2_with_a_sentence(
    seed_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["compare", str(seed_run), str(tmp_path / "missing")])
    assert code == 2
    err = capsys.readouterr().err
    assert f"The run directory {tmp_path / 'missing'} does not exist." in err


def test_a_corrupt_conformance_yaml_exits_2(
    seed_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (seed_run / "conformance.yaml").write_text("clauses: [unclosed")
    assert cli.main(["compare", str(seed_run), str(seed_run)]) == 2
    assert "could not be read" in capsys.readouterr().err
