"""How suites compare values a controller renders (DOMAIN §0.6), written once.

Two correct controllers render the same value differently: a Go controller writes
``metav1.Time`` with whole seconds and its audit payloads with nanoseconds, client_golang
writes the bucket bound ``le="5"`` where the Python client writes ``le="5.0"``, and a typed Go
client re-renders the duration ``30m`` as ``30m0s`` when it writes a whole object back. A suite
that compares these as strings fails a correct controller, so every suite compares them here:

- instants at the coarser precision of the two renderings, in any time zone
  (``same_instant``), and before/after with one second of slack (``not_before``);
- Prometheus text parsed with ``prometheus_client``'s exposition parser; samples looked up by
  parsed labels, ``le``/``quantile`` compared as numbers (``Samples``);
- JSON as data: key order never matters, extra keys only where the caller allows them, Go
  durations as durations (``same_data``, ``same_duration``);
- messages only as far as the contract fixes them: the fixed prefix, then each substituted
  value by substring (``message_matches``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from wetest.domain import durations

#: "Before/after" comparisons allow this much (status times have second precision, §0.6).
SLACK = timedelta(seconds=1)
#: Prometheus labels whose values are numbers (§0.6): ``5``, ``5.0`` and ``5e+00`` are one bucket.
NUMERIC_LABELS = frozenset({"le", "quantile"})

_FRACTION = re.compile(r"T\d{2}:\d{2}:\d{2}(?:\.(\d+))?")
_PLACEHOLDER = re.compile(r"<[^<>]+>")


# --- instants ------------------------------------------------------------------------------


def fraction_digits(text: str) -> int:
    """How many fractional-second digits an RFC 3339 rendering carries (0 for whole seconds)."""
    found = _FRACTION.search(text)
    if not found:
        raise ValueError(
            f"{text!r} is not an RFC 3339 date-time; expected e.g. 2026-01-02T03:04:05Z"
        )
    return len(found.group(1) or "")


def instant(text: str) -> datetime:
    """Parse an RFC 3339 date-time in any zone and with any precision (nanoseconds included).

    Digits beyond microseconds are dropped: Python's datetime has no finer resolution, and no
    contract clause compares below a microsecond.
    """
    cleaned = re.sub(r"(\.\d{6})\d+", r"\1", text.strip().replace("z", "Z").replace("Z", "+00:00"))
    moment = datetime.fromisoformat(cleaned)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone; RFC 3339 requires Z or an offset")
    return moment.astimezone(UTC)


def _truncated(moment: datetime, digits: int) -> datetime:
    step = 10 ** (6 - min(digits, 6))
    return moment.replace(microsecond=moment.microsecond - moment.microsecond % step)


def same_instant(a: str, b: str) -> bool:
    """Two renderings of one instant: equal at the coarser precision of the two (§0.6)."""
    digits = min(fraction_digits(a), fraction_digits(b))
    return _truncated(instant(a), digits) == _truncated(instant(b), digits)


def not_before(later: str, earlier: str, slack: timedelta = SLACK) -> bool:
    """``later`` is at or after ``earlier``, allowing ``slack`` for second-precision renderings."""
    return instant(later) >= instant(earlier) - slack


# --- durations and JSON data ---------------------------------------------------------------


def same_duration(a: str, b: str) -> bool:
    """Go durations as durations: ``30m`` == ``30m0s`` == ``1800s``; empty equals only empty."""
    if not a or not b:
        return a == b
    return math.isclose(durations.parse_go_duration(a), durations.parse_go_duration(b))


def same_data(
    expected: Any,
    actual: Any,
    *,
    extra_keys: bool = False,
    duration_keys: Collection[str] = (),
) -> bool:
    """JSON values as data: key order never matters; numbers by value (``1`` == ``1.0``).

    ``extra_keys`` lets ``actual`` objects carry keys ``expected`` does not name (where the
    contract allows them, e.g. defaults a typed client fills in); a key named in
    ``duration_keys`` holds a Go duration and is compared with ``same_duration``.
    """
    return not data_differences(
        expected, actual, extra_keys=extra_keys, duration_keys=duration_keys
    )


def data_differences(
    expected: Any,
    actual: Any,
    *,
    extra_keys: bool = False,
    duration_keys: Collection[str] = (),
    path: str = "",
) -> list[str]:
    """Each difference as ``path: expected X, got Y`` (empty when ``same_data`` holds)."""
    here = path or "(root)"
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        out: list[str] = []
        for key in expected:
            sub = f"{path}.{key}" if path else str(key)
            if key not in actual:
                out.append(f"{sub}: missing (expected {expected[key]!r})")
            elif key in duration_keys and isinstance(expected[key], str):
                if not isinstance(actual[key], str) or not same_duration(
                    expected[key], actual[key]
                ):
                    out.append(f"{sub}: expected duration {expected[key]!r}, got {actual[key]!r}")
            else:
                out += data_differences(
                    expected[key], actual[key], extra_keys=extra_keys,
                    duration_keys=duration_keys, path=sub,
                )  # fmt: skip
        if not extra_keys:
            out += [f"{path}.{k}: unexpected key" if path else f"{k}: unexpected key"
                    for k in actual if k not in expected]  # fmt: skip
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{here}: expected {len(expected)} items, got {len(actual)}: {actual!r}"]
        return [
            d
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in data_differences(
                e, a, extra_keys=extra_keys, duration_keys=duration_keys, path=f"{path}[{i}]"
            )
        ]
    if _number(expected) and _number(actual):
        return (
            []
            if math.isclose(expected, actual)
            else [f"{here}: expected {expected!r}, got {actual!r}"]
        )
    return [] if expected == actual else [f"{here}: expected {expected!r}, got {actual!r}"]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# --- messages ------------------------------------------------------------------------------


def message_matches(actual: str, template: str, **values: str) -> bool:
    """A message as far as the clause fixes it (§0.6).

    A template without ``<placeholders>`` is the full text and compared exactly. Otherwise the
    text before the first placeholder is a fixed prefix, the other fixed pieces of the template
    must follow in order (they tell e.g. ``created in`` from ``already exists`` apart), and
    each value substituted for a placeholder (``values`` by placeholder name, without the angle
    brackets) must occur in the message: real controllers wrap errors
    (``...: mandatory audit write failed per ADR-032: audit buffer full: ...``).
    """
    holes = [m.group(0)[1:-1] for m in _PLACEHOLDER.finditer(template)]
    if not holes:
        return actual == template
    missing = [h for h in holes if h not in values]
    if missing:
        raise ValueError(
            f"no value for placeholder(s) {missing} of {template!r}; pass them by name"
        )
    prefix, *pieces = _PLACEHOLDER.split(template)
    if not actual.startswith(prefix) or not all(values[h] in actual for h in holes):
        return False
    at = len(prefix)
    for piece in (p for p in pieces if p):
        at = actual.find(piece, at)
        if at < 0:
            return False
        at += len(piece)
    return True


# --- Prometheus text -----------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    name: str
    labels: Mapping[str, str]
    value: float

    def record(self) -> dict[str, Any]:
        """A JSON-friendly rendering (samples show up in wait histories)."""
        return {"name": self.name, "labels": dict(self.labels), "value": self.value}


def label_equal(key: str, a: str, b: str) -> bool:
    """One label value: numbers for ``le``/``quantile`` (``+Inf`` included), else strings."""
    if key in NUMERIC_LABELS:
        try:
            return float(a) == float(b)
        except ValueError:
            return a == b
    return a == b


def labels_match(labels: Mapping[str, str], want: Mapping[str, str | float]) -> bool:
    """Exactly the labels ``want`` names, each equal by ``label_equal`` (numbers as numbers)."""
    if set(labels) != set(want):
        return False
    return all(label_equal(k, labels[k], _label_text(v)) for k, v in want.items())


def _label_text(value: str | float) -> str:
    return value if isinstance(value, str) else repr(float(value))


class Samples:
    """Parsed Prometheus text exposition; look samples up by parsed labels, never by string."""

    def __init__(self, samples: Iterable[Sample]) -> None:
        self.samples = list(samples)

    @classmethod
    def parse(cls, text: str) -> Samples:
        """Parse with ``prometheus_client``'s parser (any valid layout, Go or Python style)."""
        return cls(
            Sample(s.name, dict(s.labels), float(s.value))
            for family in text_string_to_metric_families(text)
            for s in family.samples
        )

    @classmethod
    def parse_records(cls, records: Iterable[Mapping[str, Any]]) -> Samples:
        """Back from ``records()`` (suites keep scrapes as JSON-friendly records)."""
        return cls(Sample(r["name"], dict(r["labels"]), float(r["value"])) for r in records)

    def __iter__(self) -> Iterator[Sample]:
        return iter(self.samples)

    def records(self) -> list[dict[str, Any]]:
        return [s.record() for s in self.samples]

    def value(self, name: str, **labels: str | float) -> float:
        """The value of the sample with exactly these labels (0.0 when it is not exposed yet)."""
        found = [s.value for s in self.samples if s.name == name and labels_match(s.labels, labels)]
        return found[0] if found else 0.0

    def label_values(self, name: str, label: str, **where: str | float) -> set[str]:
        """The values of ``label`` on ``name`` samples whose other labels include ``where``."""
        return {
            s.labels[label]
            for s in self.samples
            if s.name == name
            and label in s.labels
            and all(
                k in s.labels and label_equal(k, s.labels[k], _label_text(v))
                for k, v in where.items()
            )
        }

    def bucket_bounds(self, histogram: str, **where: str | float) -> set[float]:
        """The ``le`` bounds of ``<histogram>_bucket`` as numbers (``+Inf`` is ``math.inf``)."""
        return {float(le) for le in self.label_values(f"{histogram}_bucket", "le", **where)}
