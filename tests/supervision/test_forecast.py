"""The replica forecast: pytest tells the starting supervisor what its tests will want."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

from wetest.config import settings
from wetest.stack.backends.envtest import EnvtestBackend
from wetest.supervision import forecast
from wetest.supervision.lifecycle import Running


def test_a_forecast_is_read_once(tmp_path: Path) -> None:
    forecast.write(tmp_path, replica=True)
    assert forecast.take(tmp_path) is True
    assert forecast.take(tmp_path) is False  # for one start only: a later `wetest up` spawns none


def test_no_forecast_or_a_broken_one_asks_for_nothing(tmp_path: Path) -> None:
    assert forecast.take(tmp_path) is False
    (tmp_path / forecast.FILE).write_text("{not json")
    assert forecast.take(tmp_path) is False
    forecast.write(tmp_path, replica=False)
    assert forecast.take(tmp_path) is False


def test_only_the_first_test_takes_the_replica_ahead(tmp_path: Path) -> None:
    first = forecast.take_ahead(tmp_path)
    assert first is not None
    assert forecast.take_ahead(tmp_path) is None
    forecast.release(first)
    again = forecast.take_ahead(tmp_path)  # the first stopped it: a later one spawns it anew
    assert again is not None
    forecast.release(again)


class RecordingStack:
    """What Running._replica_ahead touches of a Stack: its backend, settings and replica()."""

    def __init__(self, state_dir: Path, backend: object) -> None:
        self.settings = settings.load({"state_dir": str(state_dir)})
        self.backend = backend
        self.calls: list[tuple[str, str]] = []

    def replica(self, action: str, name: str) -> Any:
        self.calls.append((action, name))
        return types.SimpleNamespace(pid=1), 0.0


def running_on(stack: RecordingStack) -> Running:
    run = Running.__new__(Running)
    run.stack = stack  # type: ignore[assignment]
    run._ahead = False
    return run


def test_the_supervisor_spawns_the_forecast_replica_without_awaiting_it(tmp_path: Path) -> None:
    stack = RecordingStack(tmp_path, EnvtestBackend.__new__(EnvtestBackend))
    forecast.write(tmp_path, replica=True)
    running_on(stack)._replica_ahead()
    assert stack.calls == [("spawn", forecast.AHEAD)]
    assert not (tmp_path / forecast.FILE).exists()


def test_no_forecast_or_no_envtest_spawns_nothing(tmp_path: Path) -> None:
    stack = RecordingStack(tmp_path, EnvtestBackend.__new__(EnvtestBackend))
    running_on(stack)._replica_ahead()
    other = RecordingStack(tmp_path, object())  # kind, existing: their API servers are theirs
    forecast.write(tmp_path, replica=True)
    running_on(other)._replica_ahead()
    assert stack.calls == other.calls == []


def test_a_forecast_taken_as_the_first_server_starts_is_still_recorded_after(
    tmp_path: Path,
) -> None:
    """The backend asks first (``EnvtestBackend.ahead``) and spawns it; the supervisor then
    records it in the stack's endpoints (``replica("spawn")`` returns the running one)."""
    stack = RecordingStack(tmp_path, EnvtestBackend.__new__(EnvtestBackend))
    forecast.write(tmp_path, replica=True)
    run = running_on(stack)
    assert run._forecast_ahead() == (forecast.AHEAD,)
    assert not (tmp_path / forecast.FILE).exists()
    run._replica_ahead()
    assert stack.calls == [("spawn", forecast.AHEAD)]
