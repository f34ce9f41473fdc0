"""we_tekton(*tiers): a test for one Tekton tier is deselected on the other and listed."""

from __future__ import annotations

import json

import pytest

from wetest.report import results

TESTS = """
import pytest

@pytest.mark.we_tekton("stand-in")
def test_stand_in_only():
    pass

@pytest.mark.we_tekton("real")
def test_real_only():
    pass

def test_both():
    pass
"""


@pytest.mark.parametrize(
    ("tier", "runs", "excluded"),
    [("stand-in", 2, "test_real_only"), ("real", 2, "test_stand_in_only")],
)
def test_the_other_tiers_tests_are_deselected_and_listed_with_the_reason(
    pytester: pytest.Pytester, tier: str, runs: int, excluded: str
) -> None:
    pytester.makepyfile(TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--wetest-tekton={tier}")
    result.assert_outcomes(passed=runs, deselected=1)  # deselected: never a skip
    listed = json.loads((pytester.path / "wetest-results" / "exclusions.json").read_text())
    assert [e["test"].split("::")[1] for e in listed] == [excluded]
    assert f"this run uses {tier} (--wetest-tekton" in listed[0]["reason"]


def test_an_unknown_tier_fails_collection(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.we_tekton('reel')\ndef test_x():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*we_tekton needs tiers among stand-in, real*"])


def test_run_json_exclusions_reach_the_report() -> None:
    info = results.info_from(
        {"tekton": "real", "exclusions": [{"test": "t.py::x", "reason": "stand-in only"}]}
    )
    assert info.tekton == "real"
    assert info.exclusions == ({"test": "t.py::x", "reason": "stand-in only"},)
