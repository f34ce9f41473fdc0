"""Schemathesis against the service's own OpenAPI document: zero 5xx, every response as
documented, schema-valid requests accepted and schema-violating ones rejected.

Runs the schemathesis CLI (a subprocess, so hypothesis settings and warnings stay out of this
pytest session) with a fixed seed, so a failure reproduces. Two flags are explained in
``schemathesis_hooks.py`` and here: ``--generation-allow-x00 false`` because PostgreSQL text
and jsonb cannot hold NUL (the service answers 400 for it, tested in test_validation.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def schemathesis_argv(url: str, report: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{url}/api/v1/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        "60",
        "--seed",
        "20251215",
        "--generation-database",
        "none",
        "--generation-allow-x00",
        "false",
        "--no-color",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
    ]


def test_openapi_fuzz_finds_no_server_error_and_no_mismatch(ds_url, tmp_path):
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        schemathesis_argv(ds_url, tmp_path / "junit.xml"),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "passed" in done.stdout
