"""Benign variants of the reference controller: legal behaviours the reference does not have.

Mutants prove a suite can fail; variants prove it does not fail a correct controller that
happens to differ from ours. Each variant is one behaviour a real controller has (most come
from Go: controller-runtime, client-go, client_golang), and its class docstring quotes the
contract text that allows it. They are registered in ``strategy.VARIANTS`` and run only with
the hidden ``--variant NAME`` flag; every suite must pass every variant
(``bench/mutant_kill_table.py`` prints the two-sided table, ``tests/mutants`` runs a few).

A variant may replace the reconciler, the audit client and the metrics renderer; anything it
does not replace is the reference's.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta, timezone
from decimal import Decimal
from typing import Any

from prometheus_client import CollectorRegistry

from wetest.domain import durations, timestamps
from wetest.domain import failures as f
from wetest.domain import resources as r
from wetest.domain.audit import EventType
from wetest.domain.phases import Phase
from wetest.kube.errors import NotFound
from wetest.reference.controller.audit import AuditClient
from wetest.reference.controller.health import python_exposition
from wetest.reference.controller.reconciler import Body, Reconciler
from wetest.reference.controller.requests import Request, Result

Renderer = Callable[[CollectorRegistry], tuple[str, bytes]]


# --- metrics ---------------------------------------------------------------------------------


def go_float(value: float) -> str:
    """``strconv.FormatFloat(v, 'g', -1, 64)`` as client_golang writes sample and ``le`` values."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if value == 0:
        return "0"
    sign, digits, exp = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exp, int)
    mantissa = "".join(map(str, digits))
    point = len(mantissa) + exp  # position of the decimal point
    minus = "-" if sign else ""
    if point - 1 < -4 or point - 1 >= 6:  # %e; Go decides with precision 6 for shortest 'g'
        tail = f".{mantissa[1:]}" if len(mantissa) > 1 else ""
        return f"{minus}{mantissa[0]}{tail}e{point - 1:+03d}"
    if point <= 0:
        return f"{minus}0.{'0' * -point}{mantissa}"
    if point >= len(mantissa):
        return f"{minus}{mantissa}{'0' * (point - len(mantissa))}"
    return f"{minus}{mantissa[:point]}.{mantissa[point:]}"


def _escape(text: str) -> str:
    return text.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def go_exposition(registry: CollectorRegistry) -> tuple[str, bytes]:
    """Render the registry in client_golang's text layout.

    Families sorted by name, no ``_created`` samples, a counter's family named with its
    ``_total``, histogram ``_sum`` before ``_count``, numbers in Go's shortest form
    (``le="5"``, ``le="+Inf"``, ``1e+06``).
    """
    lines: list[str] = []
    named = [
        (f"{fam.name}_total" if fam.type == "counter" else fam.name, fam)
        for fam in registry.collect()
    ]
    for name, family in sorted(named, key=lambda pair: pair[0]):
        lines.append(f"# HELP {name} {_escape(family.documentation)}")
        lines.append(f"# TYPE {name} {family.type}")
        order = {"_bucket": 0, "_sum": 1, "_count": 2}
        samples = [s for s in family.samples if not s.name.endswith("_created")]
        samples.sort(key=lambda s: order.get(s.name[len(family.name) :], 0))
        for sample in samples:
            labels = ",".join(
                f'{k}="{go_float(float(v)) if k == "le" else _escape(v)}"'
                for k, v in sample.labels.items()
            )
            rendered = f"{{{labels}}}" if labels else ""
            lines.append(f"{sample.name}{rendered} {go_float(float(sample.value))}")
    return "text/plain; version=0.0.4; charset=utf-8", ("\n".join(lines) + "\n").encode()


class GoExposition:
    """Metrics in client_golang's text layout (``le="5"`` where the reference writes ``5.0``).

    Allowed by DOMAIN §0.6: "Numbers in text formats are compared as numbers: Prometheus label
    values such as `le` and `quantile` (`5`, `5.0` and `5e+00` are the same bucket), sample
    values [...]. Parse Prometheus text with a real exposition parser; never look samples up
    by string." WE-MET-001 fixes names, labels and bucket bounds, not their rendering.
    """


# --- audit -----------------------------------------------------------------------------------

#: The zone of the precise-audit-times variant: a controller running on a host in UTC+2.
LOCAL_ZONE = timezone(timedelta(hours=2))


def nanoseconds(text: str, zone: timezone | None = None, digits: str = "") -> str:
    """Re-render an RFC 3339 instant with nine fractional digits, optionally in ``zone``.

    A rendering that has a fraction keeps it (extended to nanoseconds). A whole-second one
    gets ``digits`` within that same second, as a Go controller prints the in-memory
    ``time.Time`` that ``metav1.Time`` wrote to the status truncated to seconds: equal at the
    coarser precision, the rule of §0.6.
    """
    moment = timestamps.parse(text)
    if moment is None:
        return text
    local = moment.astimezone(zone) if zone else moment
    whole = "." not in text
    fraction = (digits or "0").ljust(9, "0")[:9] if whole else f"{local.microsecond:06d}789"
    offset = local.strftime("%z")
    suffix = "Z" if zone is None else f"{offset[:3]}:{offset[3:]}"
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f".{fraction}" + suffix


class PreciseAuditTimes(AuditClient):
    """Audit payloads with nanosecond times, ``event_data`` times in a local zone (UTC+2).

    Allowed by DOMAIN §0.6: "Timestamps are compared as instants (parsed), never as strings:
    controllers may send local time zones and any fractional precision." and "an audit
    payload or a log built from the same in-memory time may carry sub-second digits".
    ``event_timestamp`` stays UTC as WE-AUD-001 requires ("UTC, RFC 3339 with fractional
    seconds"), with nine digits instead of six.
    """

    def enqueue(self, key: str, event: dict[str, Any]) -> str | None:
        return super().enqueue(key, precise(event))

    def check(self, event: dict[str, Any]) -> str | None:
        return super().check(precise(event))


def precise(event: dict[str, Any]) -> dict[str, Any]:
    """The event as a Go client renders it; the instants stay the same (at coarser precision)."""
    out = copy.deepcopy(event)
    stamp = out["event_timestamp"]
    if "." in stamp and len(stamp) < 30:  # not yet re-rendered (check and enqueue both call)
        out["event_timestamp"] = nanoseconds(stamp)
    sub_second = stamp.partition(".")[2].rstrip("Z")
    data = out.get("event_data") or {}
    for key in ("started_at", "completed_at"):
        if data.get(key) and "+" not in data[key]:
            data[key] = nanoseconds(data[key], LOCAL_ZONE, sub_second)
    return out


class TickBatchedAudit(AuditClient):
    """Audit delivered only on the buffered client's 1 s tick, never at enqueue time.

    Allowed by WE-BUF-003: "A background writer SHOULD send a batch when 1 000 events are
    buffered or every 1 s (partial batch)". The reference wakes its writer at once; a
    Kubernaut-style BufferedAuditStore waits for the tick, so events arrive up to 1 s later.
    """

    def enqueue(self, key: str, event: dict[str, Any]) -> str | None:
        error = self.check(event)
        if error is None:
            self.spool.admit(key, event)
        return error


# --- reconcilers -----------------------------------------------------------------------------


def go_duration_string(text: str) -> str:
    """Go's ``time.Duration.String()`` of a duration string (``30m`` → ``30m0s``), if whole."""
    try:
        seconds = durations.parse_go_duration(text)
    except ValueError:
        return text
    return durations.go_duration(seconds) if seconds == round(seconds) and seconds else text


def typed_round_trip(we: Body) -> Body:
    """The object as a typed Go client would send it back after decoding it.

    ``executionConfig.timeout`` is a ``metav1.Duration``: it is re-rendered by
    ``Duration.String()``; keys holding ``null`` are dropped (``omitempty``).
    """
    body = _drop_nulls(copy.deepcopy(we))
    config = (body.get("spec") or {}).get("executionConfig") or {}
    if isinstance(config.get("timeout"), str):
        config["timeout"] = go_duration_string(config["timeout"])
    return body


def _drop_nulls(value: Body) -> Body:
    return {k: _dropped(v) for k, v in value.items() if v is not None}


def _dropped(value: Any) -> Any:
    if isinstance(value, dict):
        return _drop_nulls(value)
    if isinstance(value, list):
        return [_dropped(v) for v in value]
    return value


class TypedClientUpdate(Reconciler):
    """The finalizer is added by writing the whole typed object back (client-go ``Update``).

    A typed client re-renders ``executionConfig.timeout: 30m`` as ``30m0s`` and drops nulls.
    Allowed by WE-FIN-001 ("the controller MUST have added its finalizer to the WE with a
    metadata update (not a status write)"), §1.2 (``executionConfig.timeout`` is a "string (Go
    duration, e.g. `30m`)" that v1.0 ignores) and §0.6 ("durations in JSON" are "compared as
    numbers").
    """

    def add_finalizer(self, we: Body) -> Body:
        body = typed_round_trip(we)
        body["metadata"]["finalizers"] = [*(we["metadata"].get("finalizers") or []), r.FINALIZER]
        return self.kube.update_we(body)


class FinalizerPatch(Reconciler):
    """The finalizer is added with a JSON merge patch (resourceVersion precondition included).

    Allowed by WE-FIN-001: "the controller MUST have added its finalizer to the WE with a
    metadata update (not a status write)": a patch of ``metadata.finalizers`` on the main
    resource is such an update (controller-runtime's ``client.MergeFrom`` does this).
    """

    def add_finalizer(self, we: Body) -> Body:
        meta = we["metadata"]
        patch = {
            "metadata": {
                "finalizers": [*(meta.get("finalizers") or []), r.FINALIZER],
                "resourceVersion": meta["resourceVersion"],
            }
        }
        return self.kube.patch_we(meta["namespace"], meta["name"], patch)


class FinalizerThenRequeue(Reconciler):
    """Adding the finalizer ends the reconcile; the next one (requeued at once) does the rest.

    Allowed by WE-FIN-001: "Kubernaut adds it as the very first action of the first reconcile
    and requeues immediately." The reference goes on in the same reconcile.
    """

    def reconcile(self, request: Request) -> Result:
        try:
            we = self.kube.get_we(request.namespace, request.name)
        except NotFound:
            return Result()
        meta = we["metadata"]
        if not meta.get("deletionTimestamp") and r.FINALIZER not in (meta.get("finalizers") or []):
            self.add_finalizer(we)
            return Result(requeue=True)
        return super().reconcile(request)


def merge_patch(old: Body, new: Body) -> Body:
    """RFC 7396 merge patch turning ``old`` into ``new`` (lists replaced, removed keys null)."""
    patch: Body = {k: None for k in old if k not in new}
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, dict) and isinstance(before, dict):
            sub = merge_patch(before, value)
            if sub:
                patch[key] = sub
        elif key not in old or value != before:
            patch[key] = value
    return patch


class StatusMergePatch(Reconciler):
    """Status written with a merge patch of the status subresource instead of a PUT.

    Still one write per transition and conflict-safe: the patch carries the resourceVersion
    the reconcile read, so a concurrent change answers 409 exactly like an update. Allowed by
    WE-CRD-002 ("controllers write status only through it" — the subresource, any verb),
    WE-STAT-001 ("it re-reads the latest object and re-applies its change (or requeues)") and
    WE-STAT-002 ("one successful status write").
    """

    def write_status(self, we: Body, status: Body) -> Body:
        meta = we["metadata"]
        patch = merge_patch(we.get("status") or {}, status)
        body = {"metadata": {"resourceVersion": meta["resourceVersion"]}, "status": patch}
        written = self.kube.patch_we_status(meta["namespace"], meta["name"], body)
        with self._lock:  # progress coalescing counts this write like the reference's PUT
            self._last_write[str(meta.get("uid", ""))] = time.monotonic()
        return written


class ConditionsReordered(Reconciler):
    """Conditions written sorted by type, descending, not in the order they were first set.

    Allowed by WE-COND-001: "Conditions are keyed by type (at most one entry per type)" and the
    §1.3 schema, "standard `metav1.Condition` list": nothing fixes their order, and
    ``meta.SetStatusCondition`` users sort or rebuild the list freely.
    """

    def write_status(self, we: Body, status: Body) -> Body:
        ordered = sorted(status.get("conditions") or [], key=lambda c: c["type"], reverse=True)
        return super().write_status(we, {**status, "conditions": ordered})


class ClearRefOnExternalDeletion(Reconciler):
    """``pipelineRunRef`` is cleared when the PipelineRun was deleted externally.

    Allowed by WE-RUN-024: "Keeping or clearing `pipelineRunRef` are both acceptable
    (Kubernaut keeps it)." The audit event, built from the written status, then has no
    ``pipelinerun_name`` (an optional key, §0.6: "Optional keys may be absent or `null`").
    """

    def commit(self, we: Body, status: Body, event_type: EventType) -> None:
        details = status.get("failureDetails") or {}
        external = details.get("message") == f.EXTERNAL_DELETION_MESSAGE
        if status.get("phase") == Phase.FAILED and external:
            status = {k: v for k, v in status.items() if k != "pipelineRunRef"}
        super().commit(we, status, event_type)


class ExtraStatusFields(Reconciler):
    """Status writes carry fields of a newer API version (``executionRef``, ``message``).

    Allowed by the structural schema of §1.3, read as WE-CRD-010 reads it for the spec:
    "Unknown spec fields are pruned by the API server (structural schema); they are not an
    error with the default field validation." The status schema has no
    ``x-kubernetes-preserve-unknown-fields`` either, so a controller built against a newer
    WorkflowExecution type (K26 adds ``executionRef``) writes fields that are dropped.
    """

    def write_status(self, we: Body, status: Body) -> Body:
        ref = status.get("pipelineRunRef") or {}
        extra = {"message": f"phase {status.get('phase', '')}", "executionRef": dict(ref)}
        return super().write_status(we, {**status, **extra})


class FreshReads:
    """Reads every WorkflowExecution and PipelineRun from the API server, never from a cache.

    Allowed by WE-STAT-001, the one clause on reads: a controller "re-reads the latest object
    and re-applies its change (or requeues)" after a 409; where it reads otherwise is its own
    choice. The reference reads from its watch-fed caches, as a controller-runtime controller's
    cached client does (and re-reads from the API server after a 409); a controller built on
    client-go without an informer, or on controller-runtime's APIReader, reads like this.
    """


@dataclass(frozen=True)
class Variant:
    """One benign variant: which parts of the reference it replaces.

    ``behaviour`` is the class whose docstring quotes the clause that allows it.
    """

    behaviour: type
    reconciler: type[Reconciler] = Reconciler
    audit_client: type[AuditClient] = AuditClient
    render_metrics: Renderer = python_exposition
    fresh_reads: bool = False
    """Read every WorkflowExecution and PipelineRun from the API server, not the caches."""


ALL: dict[str, Variant] = {
    "go-metrics": Variant(GoExposition, render_metrics=go_exposition),
    "precise-audit-times": Variant(PreciseAuditTimes, audit_client=PreciseAuditTimes),
    "tick-batched-audit": Variant(TickBatchedAudit, audit_client=TickBatchedAudit),
    "typed-client-update": Variant(TypedClientUpdate, TypedClientUpdate),
    "finalizer-patch": Variant(FinalizerPatch, FinalizerPatch),
    "finalizer-then-requeue": Variant(FinalizerThenRequeue, FinalizerThenRequeue),
    "status-merge-patch": Variant(StatusMergePatch, StatusMergePatch),
    "conditions-reordered": Variant(ConditionsReordered, ConditionsReordered),
    "clear-ref-on-external-deletion": Variant(
        ClearRefOnExternalDeletion, ClearRefOnExternalDeletion
    ),
    "extra-status-fields": Variant(ExtraStatusFields, ExtraStatusFields),
    "fresh-reads": Variant(FreshReads, fresh_reads=True),
}
