"""results.jsonl carries each test's phases and timing (bench/suite_profile.py reads them)."""

import json

import pytest


def test_results_record_phases_scheduling_marks_and_wait_seconds(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import time
        import pytest
        from wetest import eventually
        from wetest import expectations as ex

        @pytest.mark.we_long
        @pytest.mark.we_conformance("lifecycle", "WE-PR-001")
        def test_waits():
            started = time.monotonic()
            done = lambda: time.monotonic() - started >= 0.2
            eventually(done, ex.satisfies(bool, "0.2 s passed"), timeout=10)
        """
    )
    out = pytester.path / "out"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--wetest-results-dir={out}")
    result.assert_outcomes(passed=1)
    record = json.loads((out / "results.jsonl").read_text())
    assert set(record["phases"]) == {"setup", "call", "teardown"}
    assert record["timing"]["marks"] == ["we_long"]
    assert record["timing"]["waits"]["eventually polled"] >= 0.2
