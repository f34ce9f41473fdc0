"""Prometheus metrics of WE-MET-001, in a registry of their own (one per manager)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

BUCKETS = (5, 10, 20, 40, 80, 160, 320)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.total = Counter(
            "workflowexecution_reconciler_total",
            "Workflow executions that reached a terminal phase.",
            ["outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "workflowexecution_reconciler_duration_seconds",
            "Execution duration by outcome.",
            ["outcome"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.creations = Counter(
            "workflowexecution_reconciler_pipelinerun_creations",
            "PipelineRuns created.",
            registry=self.registry,
        )
        self.api_writes = Counter(
            "workflowexecution_reference_api_writes",
            "API writes by the reference controller.",
            ["what"],
            registry=self.registry,
        )

    def terminal(self, outcome: str, seconds: float) -> None:
        """Count a Completed/Failed transition; pre-execution failures observe 0."""
        self.total.labels(outcome=outcome).inc()
        self.duration.labels(outcome=outcome).observe(max(seconds, 0.0))
