"""Prometheus metrics of the service (DS-HLT-004), in a registry of its own.

A private registry keeps the output to what this service measures (no process collectors from
whatever else is imported) and lets tests create several apps in one process.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


def _registry() -> CollectorRegistry:
    return CollectorRegistry(auto_describe=True)


@dataclass
class Metrics:
    """Counters and histograms the routes update."""

    registry: CollectorRegistry = field(default_factory=_registry)

    def __post_init__(self) -> None:
        self.requests = Counter(
            "datastorage_http_requests_total",
            "HTTP requests by route and status.",
            ["route", "status"],
            registry=self.registry,
        )
        self.events = Counter(
            "datastorage_audit_events_written_total",
            "Audit events committed.",
            ["endpoint"],
            registry=self.registry,
        )
        self.write_seconds = Histogram(
            "datastorage_audit_write_duration_seconds",
            "Time to validate and commit one write request.",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.rejected = Counter(
            "datastorage_audit_validation_failures_total",
            "Write requests refused with 4xx.",
            ["endpoint"],
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
