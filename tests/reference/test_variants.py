"""Benign variants: registered, each citing the clause that allows it, and each doing what it says.

The suites running against every variant is ``tests/mutants`` and ``bench/mutant_kill_table.py``;
these are the cheap checks of the variants themselves.
"""

from __future__ import annotations

import pytest

from wetest.domain import comparison
from wetest.reference.controller import options, strategy, variants
from wetest.reference.controller.metrics import Metrics
from wetest.reference.controller.reconciler import Reconciler

HISTOGRAM = "workflowexecution_reconciler_duration_seconds"


def test_at_least_eight_variants_each_quoting_the_clause_that_allows_it() -> None:
    assert len(strategy.VARIANTS) >= 8
    for name, variant in strategy.VARIANTS.items():
        doc = variant.behaviour.__doc__ or ""
        assert "Allowed by" in doc, f"{name}: the docstring must quote the clause that allows it"
        assert '"' in doc, f"{name}: quote the clause text, not only its id"


def test_variant_and_mutant_flags_select_the_right_parts() -> None:
    assert strategy.reconciler_class("", "") is Reconciler
    assert strategy.reconciler_class("", "finalizer-patch") is variants.FinalizerPatch
    assert strategy.variant("tick-batched-audit").audit_client is variants.TickBatchedAudit
    assert options.parse(["--variant", "go-metrics"], env={}).variant == "go-metrics"
    with pytest.raises(ValueError, match="Omit --variant"):
        strategy.variant("no-such-variant")
    with pytest.raises(ValueError, match="Give only one of them"):
        strategy.reconciler_class("no-finalizer", "go-metrics")


def test_variants_that_replace_different_parts_run_as_one_controller() -> None:
    both = strategy.variant("go-metrics, typed-client-update,precise-audit-times")
    assert both.render_metrics is variants.go_exposition
    assert both.reconciler is variants.TypedClientUpdate
    assert both.audit_client is variants.PreciseAuditTimes
    assert both.fresh_reads is False
    assert strategy.reconciler_class("", "go-metrics,finalizer-patch") is variants.FinalizerPatch
    with pytest.raises(ValueError, match="'finalizer-patch' and 'typed-client-update' both"):
        strategy.variant("finalizer-patch,typed-client-update")
    with pytest.raises(ValueError, match="Unknown variant 'nope'"):
        strategy.variant("go-metrics,nope")


@pytest.mark.parametrize(
    ("value", "text"),
    [(5.0, "5"), (320.0, "320"), (0.5, "0.5"), (1e6, "1e+06"), (12.3, "12.3"), (1e-05, "1e-05")],
)
def test_go_float_formats_like_strconv(value: float, text: str) -> None:
    assert variants.go_float(value) == text


def test_go_exposition_differs_in_text_and_parses_to_the_same_samples() -> None:
    metrics = Metrics()
    metrics.terminal("Failed", 0.0)
    metrics.terminal("Completed", 12.3)
    _, body = variants.go_exposition(metrics.registry)
    text = body.decode()
    assert 'le="5"}' in text
    assert "_created" not in text
    go = comparison.Samples.parse(text)
    py = comparison.Samples.parse(variants.python_exposition(metrics.registry)[1].decode())
    for outcome in ("Failed", "Completed"):
        assert go.bucket_bounds(HISTOGRAM, outcome=outcome) == py.bucket_bounds(
            HISTOGRAM, outcome=outcome
        )
        assert go.value(f"{HISTOGRAM}_bucket", outcome=outcome, le=5) == py.value(
            f"{HISTOGRAM}_bucket", outcome=outcome, le="5.0"
        )


def test_precise_audit_times_render_the_same_instants() -> None:
    event = {
        "event_timestamp": "2026-01-02T03:04:05.123456Z",
        "event_data": {
            "started_at": "2026-01-02T03:04:05Z",
            "completed_at": "2026-01-02T03:05:00Z",
        },
    }
    out = variants.precise(event)
    assert out["event_timestamp"] == "2026-01-02T03:04:05.123456789Z"
    assert out["event_data"]["started_at"] == "2026-01-02T05:04:05.123456000+02:00"
    for key in ("started_at", "completed_at"):
        assert comparison.same_instant(out["event_data"][key], event["event_data"][key])


def test_typed_round_trip_re_renders_durations_and_drops_nulls() -> None:
    we = {
        "metadata": {"name": "x", "annotations": None},
        "spec": {"executionConfig": {"timeout": "30m"}},
    }
    out = variants.typed_round_trip(we)
    assert out == {"metadata": {"name": "x"}, "spec": {"executionConfig": {"timeout": "30m0s"}}}
    assert variants.go_duration_string("not a duration") == "not a duration"


def test_merge_patch_removes_keys_and_replaces_lists() -> None:
    old = {
        "phase": "Pending",
        "startTime": "t",
        "conditions": [{"type": "A"}],
        "ref": {"a": 1, "b": 2},
    }
    new = {"phase": "Failed", "conditions": [{"type": "B"}], "ref": {"a": 1}}
    assert variants.merge_patch(old, new) == {
        "startTime": None,
        "phase": "Failed",
        "conditions": [{"type": "B"}],
        "ref": {"b": None},
    }
