"""The controller-log cut: only records that mention the test's objects, tracebacks kept whole."""

from __future__ import annotations

from wetest.domain import logfilter

LOG = """\
2026-12-06 21:30:00,001 INFO workflowexecution started: health 127.0.0.1:1 metrics 127.0.0.1:2
2026-12-06 21:30:01,000 INFO workflowexecution conflict on test-a-1/we-a (409); re-queued
2026-12-06 21:30:01,100 INFO workflowexecution conflict on test-a-10/we-b (409); re-queued
2026-12-06 21:30:02,000 ERROR workflowexecution reconcile of test-a-1/we-a failed; will retry
Traceback (most recent call last):
  File "reconciler.py", line 1, in reconcile
kubernetes.client.exceptions.ApiException: (409)
2026-12-06 21:30:03,000 INFO workflowexecution created PipelineRun wfe-0123456789abcdef
2026-12-06 21:30:04,000 INFO workflowexecution uid 5f1c-aa of someone else
"""


def test_keeps_only_records_naming_the_tests_objects() -> None:
    kept = logfilter.mentioning(LOG, {"test-a-1", "we-a", "wfe-0123456789abcdef"}).splitlines()
    assert kept == [
        LOG.splitlines()[1],
        *LOG.splitlines()[3:8],
    ]


def test_a_namespace_does_not_match_a_longer_one() -> None:
    kept = logfilter.mentioning(LOG, {"test-a-1"})
    assert "test-a-10" not in kept
    assert "we-b" not in kept


def test_no_keys_keep_nothing() -> None:
    assert logfilter.mentioning(LOG, {""}) == ""


def test_a_uid_is_matched_as_a_whole_word() -> None:
    assert logfilter.mentioning(LOG, {"5f1c-aa"}).splitlines() == [LOG.splitlines()[-1]]
    assert logfilter.mentioning(LOG, {"5f1c"}) == ""
