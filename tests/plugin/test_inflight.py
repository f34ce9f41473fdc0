"""Several tests in flight per process (``wetest.plugin.inflight``, ``wetest.plugin.threadsafe``).

The tests meet at a ``threading.Barrier``: it opens only when both are running at once, so a
run that keeps one test at a time fails them (the barrier's timeout) instead of passing by
chance. No stack is started: what is checked is pytest's own per-test state under lanes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

MEET = (
    "import logging, threading\n"
    "import pytest\n"
    "BOTH = threading.Barrier(2, timeout=20)\n"
    "@pytest.fixture\n"
    "def own(request, we_settings):\n"
    "    yield request.node.name\n"
    "    print(f'teardown of {request.node.name}')\n"
)


def _sections(stdout: str, title: str) -> dict[str, str]:
    """Each passed test's captured section of that title (from ``-rP``), by test name."""
    found: dict[str, str] = {}
    for name, body in re.findall(
        r"_{3,} (test_\w+) _{3,}\n(.*?)(?=\n_{3,} |\n={3,})", stdout, re.S
    ):
        part = re.search(rf"-+ {title} -+\n(.*?)(?=\n-+ |\Z)", body, re.S)
        found[name] = part.group(1).strip() if part else ""
    return found


def test_two_tests_in_flight_run_at_once_each_with_its_own_fixtures_output_and_logs(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        MEET + "def check(own, name):\n"
        "    assert own == name  # a function fixture is the test's own, not the other's\n"
        "    print(f'out of {name}')\n"
        "    logging.getLogger('t').warning('log of %s', name)\n"
        "    BOTH.wait()\n"
        "def test_a(own): check(own, 'test_a')\n"
        "def test_b(own): check(own, 'test_b')\n"
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-rP", "--wetest-in-flight", "2"
    )
    result.assert_outcomes(passed=2)
    out = _sections(result.stdout.str(), "Captured stdout call")
    assert out == {"test_a": "out of test_a", "test_b": "out of test_b"}
    logs = _sections(result.stdout.str(), "Captured log call")
    assert {name: text.split()[-3:] for name, text in logs.items()} == {
        "test_a": ["log", "of", "test_a"],
        "test_b": ["log", "of", "test_b"],
    }
    teardown = _sections(result.stdout.str(), "Captured stdout teardown")
    assert teardown == {"test_a": "teardown of test_a", "test_b": "teardown of test_b"}


@pytest.mark.parametrize(
    ("args", "extra", "said"),
    [
        (["--wetest-in-flight", "1"], "", "*one test at a time per process*in_flight 1*"),
        ([], "def test_theirs(): pass\n", "*one test at a time: 1 of the tests (*test_theirs*"),
    ],
    ids=["in-flight-1", "a-test-without-wetest-fixtures"],
)
def test_one_test_at_a_time_when_asked_or_when_a_test_needs_it(
    pytester: pytest.Pytester, args: list[str], extra: str, said: str
) -> None:
    pytester.makepyfile(
        MEET.replace("timeout=20", "timeout=1")
        + "def test_a(we_settings): BOTH.wait()\ndef test_b(we_settings): BOTH.wait()\n"
        + extra
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    assert result.parseoutcomes()["failed"] == 2
    result.stdout.fnmatch_lines(["*BrokenBarrierError*"])
    result.stdout.fnmatch_lines([said])


def test_a_debugger_gets_one_test_at_a_time(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--co", "--pdb")
    result.stdout.fnmatch_lines(
        ["*wetest: one test at a time under --pdb (in_flight 16, default)*"]
    )


def test_a_session_fixture_asked_for_at_once_is_made_once_and_torn_down_at_the_end(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    made = tmp_path / "made"
    pytester.makepyfile(
        MEET + "@pytest.fixture(scope='session')\n"
        "def shared():\n"
        f"    with open({str(made)!r}, 'a') as f: f.write('made\\n')\n"
        "    yield object()\n"
        f"    with open({str(made)!r}, 'a') as f: f.write('gone\\n')\n"
        "SEEN = []\n"
        "def meet(shared):\n"
        "    SEEN.append(shared)\n"
        "    BOTH.wait()\n"
        "    assert SEEN[0] is SEEN[-1]\n"
        "def test_a(shared, we_settings): meet(shared)\n"
        "def test_b(shared, we_settings): meet(shared)\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--wetest-in-flight", "2")
    result.assert_outcomes(passed=2)
    assert made.read_text().split() == ["made", "gone"]


def test_a_failed_assertion_is_explained_while_other_tests_come_and_go(
    pytester: pytest.Pytester,
) -> None:
    """pytest's assertion explanation hook is per process; lanes make it per thread."""
    pytester.makepyfile(
        MEET + "def test_a(we_settings):\n"
        "    BOTH.wait()\n"
        "    BOTH.wait()  # test_b has ended its protocol (and reset the hook) by now\n"
        "    assert [1, 2, 3] == [1, 2, 4]\n"
        "def test_b(we_settings):\n"
        "    BOTH.wait()\n"
        "def test_c(we_settings):\n"
        "    BOTH.wait()\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--wetest-in-flight", "2")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*At index 2 diff: 3 != 4*"])


def test_each_xdist_worker_keeps_its_share_in_flight(pytester: pytest.Pytester) -> None:
    """Four in flight over two workers: two lanes each, so each worker's pair meets."""
    pytester.makepyfile(
        MEET
        + "".join(f"def test_{n}(own): assert own == 'test_{n}'; BOTH.wait()\n" for n in "abcd")
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", "--wetest-in-flight", "4"
    )
    result.assert_outcomes(passed=4)


def test_a_stopping_run_ends_with_the_tests_in_flight(pytester: pytest.Pytester) -> None:
    """With -x, the test in flight beside the failed one ends; no other test starts."""
    pytester.makeconftest(
        "import threading\n"
        "FAILED = threading.Event()\n"
        "def pytest_runtest_logreport(report):\n"
        "    if report.failed:\n"
        "        FAILED.set()\n"
    )
    pytester.makepyfile(
        MEET + "from conftest import FAILED\n"
        "def test_fails(we_settings):\n"
        "    BOTH.wait()\n"
        "    assert False\n"
        "def test_beside(we_settings):\n"
        "    BOTH.wait()\n"
        "    assert FAILED.wait(timeout=20)\n"
        + "".join(f"def test_{n}(we_settings): pass\n" for n in range(20))
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-x", "--wetest-in-flight", "2"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*stopping after 1 failures*"])


def test_a_stopping_run_keeps_the_session_fixtures_of_the_tests_in_flight(
    pytester: pytest.Pytester,
) -> None:
    """pytest tears everything down after a test when the session is to stop (its #11706);
    with a test beside it still setting up, that finished the session's fixtures under it:
    the kill table's runs stopped by a missing dependency reported the tests in flight as
    "The fixture value for "we_stack" is not available" (triaged as contract deviations)."""
    pytester.makeconftest(
        "import threading\n"
        "TORN = threading.Event()\n"
        "def pytest_runtest_logreport(report):\n"
        "    if report.when == 'teardown' and report.nodeid.endswith('test_fails'):\n"
        "        TORN.set()\n"
    )
    pytester.makepyfile(
        MEET + "from conftest import TORN\n"
        "@pytest.fixture(scope='session')\n"
        "def shared():\n"
        "    yield 'shared'\n"
        "@pytest.fixture\n"
        "def late(request, shared):\n"
        "    BOTH.wait()\n"
        "    assert TORN.wait(timeout=20)\n"
        "    return request.getfixturevalue('shared')\n"
        "def test_fails(shared, we_settings):\n"
        "    BOTH.wait()\n"
        "    assert False\n"
        "def test_beside(shared, late, we_settings):\n"
        "    assert late == 'shared'\n"
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-x", "--wetest-in-flight", "2"
    )
    result.assert_outcomes(failed=1, passed=1)


def test_in_flight_must_be_a_positive_whole_number(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--wetest-in-flight", "0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*'0' is not a positive whole number for in_flight*"])
