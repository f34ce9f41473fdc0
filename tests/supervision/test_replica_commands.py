"""The supervisor's ``apiserver-replica`` command refuses what it cannot do, in full sentences.

No cluster: a stack without a started envtest backend (the replica itself is exercised on a
real control plane in tests/reference/test_apiserver_restarts.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from wetest.config import settings
from wetest.errors import ConfigError
from wetest.supervision.lifecycle import Running


@pytest.fixture
def running(tmp_path: Path) -> Running:
    return Running(settings.load({"state_dir": str(tmp_path)}), components=("tekton",))


def test_a_replica_needs_the_envtest_backend(running: Running) -> None:
    with pytest.raises(ConfigError, match=r"needs the envtest backend.*--wetest-backend envtest"):
        running.command("apiserver-replica start")


def test_a_replica_name_must_be_a_short_label(running: Running) -> None:
    with pytest.raises(ConfigError, match=r"'Bad_Name' is not a valid API-server replica name"):
        running.command("apiserver-replica start Bad_Name")
