"""The wait tally behind bench/suite_profile.py: seconds inside waits, by what they watched."""

import time

from wetest.kube import objects
from wetest.waiting import expectations as ex
from wetest.waiting import timing
from wetest.waiting.eventually import consistently, eventually


def after(seconds: float):
    started = time.monotonic()
    return lambda: time.monotonic() - started >= seconds


def test_waits_add_their_seconds_to_the_active_tally_by_wait_and_subject():
    tally = timing.Tally()
    token = timing.activate(tally)
    try:
        eventually(after(0.2), ex.satisfies(bool, "done"), timeout=10, scale=1)
        consistently(lambda: 1, ex.satisfies(lambda v: v == 1, "one"), duration=0.2, scale=1)
    finally:
        timing.deactivate(token)
    assert set(tally.seconds) == {"eventually polled", "consistently polled"}
    assert tally.seconds["eventually polled"] >= 0.2
    assert tally.seconds["consistently polled"] >= 0.2


def test_a_wait_outside_a_test_records_nothing_and_returns_its_state():
    assert eventually(lambda: 3, ex.satisfies(lambda v: v == 3, "three"), timeout=5) == 3


def test_a_watched_probe_is_named_by_its_resource():
    ref = objects.ObjectRef.workflow_execution("ns", "we")
    assert timing.subject(objects.Probe(None, ref)) == "workflowexecutions"  # type: ignore[arg-type]
    assert timing.subject(lambda: None) == "polled"
