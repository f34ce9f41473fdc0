"""eventually/consistently with callable probes: no API server involved."""

import itertools
import time

import pytest

from wetest.errors import ConfigError, ConsistencyViolated, TerminalStateReached, WaitTimeout
from wetest.waiting import expectations as ex
from wetest.waiting.defaults import activated, resolve_scale
from wetest.waiting.eventually import consistently, eventually


def counter():
    values = itertools.count()
    return lambda: next(values)


def test_eventually_returns_the_matching_state():
    probe = counter()
    state = eventually(probe, ex.satisfies(lambda n: n >= 3, "at least three"), timeout=5, scale=1)
    assert state == 3


def test_timeout_message_names_expectation_time_and_history():
    def probe():
        return {
            "metadata": {"name": "w", "namespace": "ns", "resourceVersion": "4"},
            "status": {"phase": "Running"},
        }

    started = time.monotonic()
    with pytest.raises(WaitTimeout) as caught:
        eventually(
            probe, ex.has_phase("Completed"), timeout=0.6, scale=1, description="the run to finish"
        )
    elapsed = time.monotonic() - started
    assert 0.6 <= elapsed < 2.0
    text = str(caught.value)
    first = text.splitlines()[0]
    assert first.startswith("Timed out after 0.6")
    assert "the run to finish (phase is Completed)" in first
    assert first.endswith(".")
    assert "phase: Running" in text
    assert "rv=4 phase=Running  (seen " in text
    assert isinstance(caught.value, AssertionError)


def test_terminal_state_stops_at_once_with_details():
    def probe():
        return {
            "metadata": {"name": "w"},
            "status": {
                "phase": "Failed",
                "failureDetails": {"reason": "OOMKilled", "message": "container killed"},
            },
        }

    started = time.monotonic()
    with pytest.raises(TerminalStateReached) as caught:
        eventually(probe, ex.has_phase("Completed"), timeout=10, scale=1)
    assert time.monotonic() - started < 2  # the timeout is 10 s
    assert "OOMKilled" in str(caught.value).splitlines()[0]
    assert "container killed" in str(caught.value)


def test_probe_errors_are_observations_and_retried():
    calls = counter()

    def flaky():
        n = calls()
        if n < 2:
            raise ConnectionError("refused")
        return n

    assert eventually(flaky, ex.satisfies(lambda s: s == 2, "two"), timeout=5, scale=1) == 2


def test_probe_error_shown_on_timeout():
    def broken():
        raise ConnectionError("refused")

    with pytest.raises(WaitTimeout, match="probe raised ConnectionError: refused"):
        eventually(broken, ex.exists(), timeout=0.3, scale=1)


def test_consistently_holds_and_returns_last_state():
    started = time.monotonic()
    assert (
        consistently(
            lambda: 1, ex.satisfies(lambda s: s == 1, "one"), duration=0.3, interval=0.05, scale=1
        )
        == 1
    )
    assert time.monotonic() - started >= 0.3


def test_consistently_violation_names_the_state():
    probe = counter()
    with pytest.raises(ConsistencyViolated) as caught:
        consistently(
            probe, ex.satisfies(lambda s: s < 2, "below two"), duration=5, interval=0.01, scale=1
        )
    text = str(caught.value)
    assert text.startswith("Expected below two to hold")
    assert "+0." in text
    assert "\n  2\n" in text + "\n"


@pytest.fixture
def without_plugin_scale():
    """Waits as a script without the plugin makes them (the plugin activates the setting)."""
    with activated():
        yield


def test_scale_multiplies_and_env_is_read_lazily(monkeypatch, without_plugin_scale):
    monkeypatch.setenv("WETEST_TIMEOUT_SCALE", "3")
    assert resolve_scale(None) == 3.0
    assert resolve_scale(0.5) == 0.5
    monkeypatch.setenv("WETEST_TIMEOUT_SCALE", "fast")
    with pytest.raises(ConfigError, match="WETEST_TIMEOUT_SCALE"):
        resolve_scale(None)
    monkeypatch.setenv("WETEST_TIMEOUT_SCALE", "2")
    started = time.monotonic()
    with pytest.raises(WaitTimeout, match=r"timeout 0\.40s"):
        eventually(lambda: 0, ex.satisfies(lambda s: False, "never"), timeout=0.2)
    assert time.monotonic() - started >= 0.4
