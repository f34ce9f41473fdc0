"""Reading a run directory: run.json, results.jsonl, a cut-off last line, junit.xml fallback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wetest.report import build, results


def test_seed_run_is_read_into_typed_results(seed_run: Path) -> None:
    run = results.read(seed_run)
    assert run.counts() == {"passed": 32, "failed": 5, "error": 6, "skipped": 0}
    assert run.info.target.name == "bundled"
    assert run.info.profiles == ("core", "conditions", "audit", "datastorage")
    assert run.results[32].error_class == "wetest.errors.DependencyMissing"
    assert run.results[32].clauses == ("WE-AUD-023",)
    assert run.warnings == []


def test_partially_written_last_line_is_dropped_with_a_warning(
    seed_builder: Callable[[str], Any],
) -> None:
    run_dir = seed_builder("cut").write(cut_last_line=True)
    run = results.read(run_dir)
    assert len(run.results) == 42
    assert run.warnings == [
        "results.jsonl line 43 was cut off (partially written); it was skipped."
    ]
    paths = build.build(run_dir)
    assert "was cut off" in (run_dir / "triage.md").read_text()
    assert len(paths) == 3


def test_a_bad_line_in_the_middle_costs_only_that_line(make_run: Callable[[str], Any]) -> None:
    run_dir = make_run("bad").write()
    (run_dir / "results.jsonl").write_text(
        '{"nodeid": "a::b", "outcome": "passed"}\n[1]\n{"x": 1}\n'
    )
    run = results.read(run_dir)
    assert [r.nodeid for r in run.results] == ["a::b"]
    assert len(run.warnings) == 2
    assert "line 2 is not a result" in run.warnings[0]


def test_missing_directory_is_a_usage_error_that_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(results.RunDirectoryError) as caught:
        results.read(tmp_path / "nope")
    assert caught.value.exit_code == 2
    assert str(caught.value).startswith(f"The run directory {tmp_path / 'nope'} does not exist.")
    assert str(caught.value).endswith("--wetest-results-dir wrote.")


def test_empty_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(results.RunDirectoryError, match=r"holds none of run\.json"):
        results.read(tmp_path)


def test_unreadable_run_json_becomes_a_warning(make_run: Callable[[str], Any]) -> None:
    builder = make_run("r")
    builder.add("a.py::t")
    run_dir = builder.write()
    (run_dir / "run.json").write_text("{not json")
    run = results.read(run_dir)
    assert run.info.target.name == "unknown"
    assert "run.json could not be read" in run.warnings[0]


JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="3">
<testcase classname="suites.lifecycle.test_a" name="test_ok" time="0.1"/>
<testcase classname="suites.lifecycle.test_a" name="test_bad" time="1.5">
<failure message="wetest.errors.WaitTimeout: Phase Completed not reached in 15s.&#10;more"
 type="wetest.errors.WaitTimeout">traceback</failure></testcase>
<testcase classname="suites.audit.test_b" name="test_skip" time="0">
<skipped message="not today"/></testcase>
</testsuite></testsuites>
"""


def test_junit_is_the_fallback_when_results_jsonl_is_missing(tmp_path: Path) -> None:
    (tmp_path / "junit.xml").write_text(JUNIT)
    run = results.read(tmp_path)
    assert [r.outcome for r in run.results] == ["passed", "failed", "skipped"]
    bad = run.results[1]
    assert bad.nodeid == "suites/lifecycle/test_a.py::test_bad"
    assert bad.error_class == "wetest.errors.WaitTimeout"
    assert bad.message == "wetest.errors.WaitTimeout: Phase Completed not reached in 15s."
    assert any("junit.xml" in w for w in run.warnings)
    build.build(tmp_path)
    text = (tmp_path / "triage.md").read_text()
    assert "### 1 test: an assertion failed in a test that cites no clause" in text
    assert "wait timeout (WaitTimeout) in call: 1" in text


def test_rerun_label_is_kept(make_run: Callable[[str], Any]) -> None:
    builder = make_run("rr")
    builder.add("a.py::t", "failed", rerun={"outcome": "passed", "label": "flaky"})
    run = results.read(builder.write())
    assert run.results[0].rerun == results.Rerun("passed", "flaky")
    assert json.loads((builder.path / "results.jsonl").read_text())["rerun"]["label"] == "flaky"
