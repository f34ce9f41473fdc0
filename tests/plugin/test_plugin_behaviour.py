"""The plugin as users meet it, run in subprocesses with pytester (as pytest-xdist tests itself)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from wetest import eventually
from wetest import expectations as ex
from wetest.config import settings
from wetest.stack import processes

REAL_CACHE = settings.load({}).cache_dir  # read at import, before pytester changes HOME


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_plugin_is_inert_until_a_we_fixture_is_requested(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_PLUGINS"):  # found as installed
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile("def test_plain():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "wetest-results").exists()


def test_bad_configuration_is_a_usage_error_naming_the_source(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WETEST_BACKEND", "dockr")
    pytester.makepyfile("def test_plain():\n    pass\n")
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*'dockr' is not a valid backend (from env WETEST_BACKEND)*"])


def test_help_works_on_a_broken_configuration(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WETEST_BACKEND", "dockr")
    result = pytester.runpytest_subprocess("--help")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*--wetest-backend=BACKEND*"])


def test_unknown_clause_id_fails_collection(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        "import pytest\n"
        "@pytest.mark.we_conformance('lifecycle', 'WE-PR-1')\n"
        "def test_x():\n    pass\n"
    )
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*we_conformance needs clause IDs like WE-PR-001*"])


def test_missing_datastorage_stops_the_session_with_one_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("WETEST_DATASTORAGE_URL", url)
    pytester.makepyfile(
        "import pytest\n"
        "@pytest.mark.we_conformance('audit', 'WE-AUD-023')\n"
        "@pytest.mark.parametrize('i', range(3))\n"
        "def test_needs_stack(we_stack, i):\n    pass\n"
    )
    started = time.monotonic()
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--wetest-results-dir={pytester.path / 'out'}"
    )
    assert time.monotonic() - started < 60  # not the minutes of a run that goes on regardless
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*Data Storage REQUIRED but not available at {url}*"])
    result.stdout.fnmatch_lines(["*infrastructure missing*"])
    records = [
        json.loads(line)
        for line in (pytester.path / "out" / "results.jsonl").read_text().splitlines()
    ]
    assert [r["cause"] for r in records] == ["missing infrastructure"]
    run = json.loads((pytester.path / "out" / "run.json").read_text())
    assert url in run["session_error"]
    assert (pytester.path / "out" / "triage.md").is_file()


def test_killing_pytest_leaves_no_stack_process(tmp_path: Path) -> None:
    (tmp_path / "test_hang.py").write_text(
        "import signal\n"
        "def test_hang(we_stack):\n"
        "    print('SHARED', we_stack.shared, flush=True)\n"
        "    print('PIDS', list(we_stack.endpoints.pids.values()), we_stack.supervisor_pid,\n"
        "          flush=True)\n"
        "    signal.pause()  # until this test's SIGKILL\n"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-s",
            "-p",
            "no:cacheprovider",
            str(tmp_path / "test_hang.py"),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    assert proc.stdout is not None
    shared, pids = _read_pids(proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    eventually(
        lambda: [p for p in pids if processes.pid_alive(p)],
        ex.count_is(0),
        description="every stack process has exited",
        timeout=30,
    )
    eventually(
        shared.exists,
        ex.satisfies(lambda there: not there, "folder removed"),
        description="the orphaned supervisor removes its temporary folder",
        timeout=10,
    )


def _read_pids(proc: subprocess.Popen[str]) -> tuple[Path, list[int]]:
    assert proc.stdout is not None
    shared = Path()
    for line in proc.stdout:
        if "SHARED " in line:
            shared = Path(line.split("SHARED ", 1)[1].strip())
        if "PIDS [" in line:
            head, supervisor = line.split("PIDS ", 1)[1].rsplit("]", 1)
            return shared, [int(p) for p in head.strip(" [").split(",") if p.strip()] + [
                int(supervisor)
            ]
    raise AssertionError("the test never printed its pids")


def test_waiting_for_completed_on_a_failing_run_stops_in_under_two_seconds(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pytester points HOME at a temporary folder; keep using the real build cache
    monkeypatch.setenv("WETEST_CACHE_DIR", str(REAL_CACHE))
    pytester.makepyfile(
        "import pytest\n"
        "from wetest import eventually, expectations as ex\n"
        "from wetest.kube import objects\n"
        "@pytest.mark.we_conformance('lifecycle', 'WE-RUN-022')\n"
        "def test_wait(we_create, we_kube):\n"
        "    we = we_create(parameters={'WETEST_SCENARIO': 'fail reason=oom after=0.2s'})\n"
        "    probe = objects.Probe(we_kube, we_create.ref(we))\n"
        "    eventually(probe, ex.has_phase('Completed'), timeout=60)\n"
    )
    out = pytester.path / "out"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--wetest-results-dir={out}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*the phase is Failed, which can never become Completed*", "*failureDetails*"]
    )
    record = json.loads((out / "results.jsonl").read_text())
    assert record["error_class"] == "wetest.errors.TerminalStateReached"
    call_seconds = float(record["message"].split(" after ")[1].split("s:")[0])
    assert call_seconds < 2.0, record["message"]
    assert (out / record["evidence"]["we.yaml"]).read_text().count("failureDetails") == 1
    events = yaml.safe_load((out / record["evidence"]["events.yaml"]).read_text())
    assert "PipelineRunCreated" in {e["reason"] for e in events}


def test_we_name_differs_between_runs_of_the_same_test(pytester: pytest.Pytester) -> None:
    """A second run against a long-lived stack must not meet the first run's objects."""
    pytester.makepyfile(
        "import pathlib\n"
        "def test_one(we_name):\n"
        "    with pathlib.Path('names.txt').open('a') as f:\n"
        "        f.write(we_name + '\\n')\n"
    )
    for _ in range(2):
        pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    first, second = (pytester.path / "names.txt").read_text().split()
    assert first != second
    for name in (first, second):
        assert len(name) <= 30, name
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name), name
        assert name.startswith("test-one-")


def test_long_waits_are_scheduled_first_and_disruptive_tests_last(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        "import pytest\n"
        "@pytest.mark.we_disruptive\n"
        "def test_restart(): pass\n"
        "def test_a(): pass\n"
        "@pytest.mark.we_long\n"
        "def test_cooldown(): pass\n"
        "def test_b(): pass\n"
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--collect-only", "-q", "--wetest-in-flight", "1"
    )
    names = [line.split("::")[-1] for line in result.outlines if "::" in line]
    assert names == ["test_cooldown", "test_a", "test_b", "test_restart"]


def test_a_failed_tests_evidence_has_its_api_calls_stack_state_and_only_its_log_lines(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """envtest: the harness's create is actor harness, the controller's status write controller.

    A first test runs a WE to completion and passes; the second fails after its WE completed.
    The failure's controller.log and api-calls.jsonl must not name the first test's objects.
    """
    monkeypatch.setenv("WETEST_CACHE_DIR", str(REAL_CACHE))
    monkeypatch.setenv("WE_LOG_LEVEL", "debug")  # urllib3 logs each request's URL: both tests'
    pytester.makepyfile(
        "import json, pathlib\n"
        "import pytest\n"
        "from wetest import eventually, expectations as ex\n"
        "from wetest.kube import objects\n"
        "@pytest.mark.we_conformance('lifecycle', 'WE-RUN-022')\n"
        "def test_a_passes(we_create, we_kube, we_namespace):\n"
        "    we = we_create()\n"
        "    eventually(objects.Probe(we_kube, we_create.ref(we)), ex.has_phase('Completed'),"
        " timeout=60)\n"
        "    pathlib.Path('other.json').write_text(json.dumps("
        "[we_namespace, we['metadata']['name'], we['metadata']['uid']]))\n"
        "@pytest.mark.we_conformance('lifecycle', 'WE-RUN-022')\n"
        "def test_b_fails(we_create, we_kube):\n"
        "    we = we_create()\n"
        "    eventually(objects.Probe(we_kube, we_create.ref(we)), ex.has_phase('Completed'),"
        " timeout=60)\n"
        "    assert False, 'deliberately'\n"
    )
    out = pytester.path / "out"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--wetest-results-dir={out}")
    result.assert_outcomes(passed=1, failed=1)
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    # the two tests run side by side (tests in flight): either may be recorded last
    (record,) = [r for r in records if r["nodeid"].endswith("::test_b_fails")]
    evidence = record["evidence"]
    calls = [json.loads(x) for x in (out / evidence["api-calls.jsonl"]).read_text().splitlines()]
    we_calls = [c for c in calls if c["resource"] == "workflowexecutions"]
    assert {"harness"} == {c["actor"] for c in we_calls if c["verb"] == "create"}
    status_writes = [
        c for c in we_calls if c["subresource"] == "status" and c["verb"] in ("update", "patch")
    ]
    assert status_writes, calls
    assert {c["actor"] for c in status_writes} == {"controller"}
    assert {c["user"] for c in status_writes} == {"wetest:controller-under-test"}
    assert any(c["resource"] == "pipelineruns" and c["actor"] == "tekton" for c in calls), calls
    assert [c["time"] for c in calls] == sorted(c["time"] for c in calls)
    stack = json.loads((out / evidence["stack.json"]).read_text())
    assert stack["api_call_evidence"] == "available"
    assert stack["controller"]["alive"] is True
    assert stack["components"]["kube-apiserver"] == {
        "alive": True,
        "exit_code": None,
        "log_tail": stack["components"]["kube-apiserver"]["log_tail"],
    }
    assert stack["datastorage"]["reachable"] is True
    other = json.loads((pytester.path / "other.json").read_text())
    own_namespace = status_writes[0]["namespace"]
    assert own_namespace in (out / evidence["controller.log"]).read_text()
    texts = [(out / evidence[name]).read_text() for name in ("api-calls.jsonl", "controller.log")]
    for text in texts:
        for key in other:
            assert key not in text
    run = json.loads((out / "run.json").read_text())
    assert run["api_call_evidence"] == "available"
