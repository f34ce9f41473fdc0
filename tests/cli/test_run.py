"""`wetest run` with DataStorage unreachable: the seed's category 1, produced automatically."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_datastorage_fails_fast_and_is_triaged_as_datastorage_unavailable(
    tmp_path: Path,
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    env = dict(os.environ, WETEST_DATASTORAGE_URL=url)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "wetest", "run", "-n", "0", "--results-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert time.monotonic() - started < 30
    assert result.returncode == 3
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(
        f"wetest: infrastructure missing: Data Storage REQUIRED but not available at {url}"
    )
    assert "Run: wetest up" in last
    triage = (tmp_path / "triage.md").read_text()
    assert ": DataStorage was not available to the controller or the harness" in triage
    assert "**Kind:** environment/infrastructure (expected, not a code defect)" in triage
    conformance = (tmp_path / "conformance.yaml").read_text()
    assert "session stopped" in conformance
    records = [json.loads(x) for x in (tmp_path / "results.jsonl").read_text().splitlines()]
    failed = [r for r in records if r["outcome"] != "passed"]
    assert {r["cause"] for r in failed} == {"missing infrastructure"}
    assert {r["root_cause"]["cause"] for r in failed} == {"DataStorage unavailable"}
