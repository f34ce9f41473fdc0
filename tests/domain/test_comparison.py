"""The comparison rules of DOMAIN §0.6: each false alarm of issue 14 is a case here."""

from __future__ import annotations

import math

import pytest

from wetest.domain import comparison as cmp

GO_EXPOSITION = """\
# HELP workflowexecution_reconciler_duration_seconds Execution duration by outcome.
# TYPE workflowexecution_reconciler_duration_seconds histogram
workflowexecution_reconciler_duration_seconds_bucket{outcome="Failed",le="5"} 2
workflowexecution_reconciler_duration_seconds_bucket{outcome="Failed",le="10"} 2
workflowexecution_reconciler_duration_seconds_bucket{outcome="Failed",le="+Inf"} 2
workflowexecution_reconciler_duration_seconds_sum{outcome="Failed"} 0
workflowexecution_reconciler_duration_seconds_count{outcome="Failed"} 2
"""
PY_EXPOSITION = GO_EXPOSITION.replace('le="5"', 'le="5.0"').replace('le="10"', 'le="1e+01"')


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("2026-01-02T03:04:05Z", "2026-01-02T03:04:05.987654Z"),  # status vs audit payload
        ("2026-01-02T03:04:05Z", "2026-01-02T05:04:05.123456789+02:00"),  # local zone, ns
        ("2026-01-02T03:04:05.5Z", "2026-01-02T03:04:05.51Z"),  # coarser side: tenths
    ],
)
def test_renderings_of_one_instant_are_equal(a: str, b: str) -> None:
    assert cmp.same_instant(a, b)
    assert cmp.same_instant(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("2026-01-02T03:04:05Z", "2026-01-02T03:04:06.000001Z"),
        ("2026-01-02T03:04:05.5Z", "2026-01-02T03:04:05.61Z"),
        ("2026-01-02T03:04:05Z", "2026-01-02T03:04:05+01:00"),
    ],
)
def test_different_instants_are_not_equal(a: str, b: str) -> None:
    assert not cmp.same_instant(a, b)


def test_before_after_allows_one_second_of_slack() -> None:
    assert cmp.not_before("2026-01-02T03:04:05Z", "2026-01-02T03:04:05.900Z")
    assert not cmp.not_before("2026-01-02T03:04:03Z", "2026-01-02T03:04:05Z")


def test_an_instant_without_a_zone_is_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match="Z or an offset"):
        cmp.instant("2026-01-02T03:04:05")


def test_go_and_python_expositions_answer_the_same_lookups() -> None:
    name = "workflowexecution_reconciler_duration_seconds"
    for text in (GO_EXPOSITION, PY_EXPOSITION):
        samples = cmp.Samples.parse(text)
        assert samples.value(f"{name}_bucket", outcome="Failed", le=5) == 2
        assert samples.value(f"{name}_bucket", outcome="Failed", le="5.0") == 2
        assert samples.value(f"{name}_bucket", outcome="Failed", le="+Inf") == 2
        assert samples.bucket_bounds(name, outcome="Failed") == {5.0, 10.0, math.inf}
        assert samples.label_values(f"{name}_count", "outcome") == {"Failed"}


def test_a_missing_sample_reads_zero_and_labels_must_match_exactly() -> None:
    samples = cmp.Samples.parse(GO_EXPOSITION)
    assert samples.value("workflowexecution_reconciler_duration_seconds_count") == 0.0


def test_durations_compare_as_durations() -> None:
    assert cmp.same_duration("30m", "30m0s")
    assert cmp.same_duration("1h0m0s", "60m")
    assert not cmp.same_duration("30m", "30s")
    assert not cmp.same_duration("", "0s")


def test_json_as_data_with_durations_and_allowed_extra_keys() -> None:
    expected = {"timeout": "30m", "n": 1}
    assert cmp.same_data(expected, {"n": 1.0, "timeout": "30m0s"}, duration_keys={"timeout"})
    assert not cmp.same_data(expected, {"n": 1, "timeout": "30m0s"})
    extra = {"n": 1, "timeout": "30m", "serviceAccountName": ""}
    assert not cmp.same_data(expected, extra)
    assert cmp.same_data(expected, extra, extra_keys=True)
    assert cmp.data_differences({"a": [1, 2]}, {"a": [1, 3]}) == ["a[1]: expected 2, got 3"]


def test_messages_only_as_far_as_the_clause_fixes_them() -> None:
    template = "Failed to record audit event: <error>"
    wrapped = (
        "Failed to record audit event: mandatory audit write failed per ADR-032: "
        "audit buffer full: event dropped"
    )
    assert cmp.message_matches(wrapped, template, error="audit buffer full")
    assert not cmp.message_matches("audit buffer full", template, error="audit buffer full")
    assert cmp.message_matches(
        "PipelineRun was deleted externally", "PipelineRun was deleted externally"
    )
    assert not cmp.message_matches(
        "PipelineRun was deleted externally.", "PipelineRun was deleted externally"
    )
    created = "PipelineRun <name> created in <ns> namespace"
    assert cmp.message_matches(
        "PipelineRun wfe-1 created in ns namespace", created, name="wfe-1", ns="ns"
    )
    adopted = "PipelineRun wfe-1 already exists (race condition)"
    assert not cmp.message_matches(adopted, created, name="wfe-1", ns="ns")
    with pytest.raises(ValueError, match="pass them by name"):
        cmp.message_matches("x", "a <b>")
