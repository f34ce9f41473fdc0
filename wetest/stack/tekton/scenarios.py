"""The scenario language of the Tekton stand-in (see docs/tekton-scenarios.md).

A scenario is one line: a verb, then ``key=value`` options::

    succeed [after=DUR] [tasks=N]
    fail [reason=task|oom|timeout|image-pull|forbidden] [after=DUR] [tasks=N] [at=I]
    cancel [after=DUR] [tasks=N]
    run-forever [tasks=N]

``DUR`` is a Go duration (``500ms``, ``2s``, ``1m30s``). ``at=I`` makes task ``I`` of ``N`` fail
(default: the last); the tasks after it never run and are listed in ``skippedTasks``.

A PipelineRun's scenario comes from its annotation ``wetest.kubernaut.ai/scenario``, else from
its param ``WETEST_SCENARIO`` (which a WorkflowExecution sets through ``spec.parameters``),
else the driver's default (``succeed``).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from wetest.domain import durations

ANNOTATION = "wetest.kubernaut.ai/scenario"
PARAM = "WETEST_SCENARIO"
VERBS = ("succeed", "fail", "cancel", "run-forever")
FAIL_REASONS = ("task", "oom", "timeout", "image-pull", "forbidden")


@dataclass(frozen=True)
class Scenario:
    verb: str = "succeed"
    after: float | None = None  # None: the driver's default delay
    tasks: int = 1
    reason: str = "task"
    at: int = 0  # the failing task (1-based); 0: the last

    @property
    def failing(self) -> int:
        return self.at or self.tasks

    @property
    def finishes(self) -> bool:
        return self.verb != "run-forever"


def parse(text: str) -> Scenario:
    """Parse one scenario line; ValueError names the bad part and the accepted forms."""
    words = shlex.split(text)
    if not words or words[0] not in VERBS:
        raise ValueError(f"scenario {text!r}: start with one of {', '.join(VERBS)}")
    opts: dict[str, Any] = {"verb": words[0]}
    for word in words[1:]:
        key, sep, value = word.partition("=")
        if not sep:
            raise ValueError(f"scenario {text!r}: {word!r} is not key=value")
        opts.update(_option(text, key, value))
    scenario = Scenario(**opts)
    if scenario.at > scenario.tasks:
        raise ValueError(f"scenario {text!r}: at={scenario.at} is past tasks={scenario.tasks}")
    return scenario


def _option(text: str, key: str, value: str) -> dict[str, Any]:
    if key == "after":
        return {"after": durations.parse_go_duration(value)}
    if key == "tasks" and value.isdigit() and int(value) >= 1:
        return {"tasks": int(value)}
    if key == "at" and value.isdigit() and int(value) >= 1:
        return {"at": int(value)}
    if key == "reason" and value in FAIL_REASONS:
        return {"reason": value}
    raise ValueError(
        f"scenario {text!r}: bad option {key}={value} "
        f"(after=DUR, tasks=N>=1, at=I>=1, reason={'|'.join(FAIL_REASONS)})"
    )


def of(pr: dict[str, Any], default: str = "succeed") -> Scenario:
    """The scenario of a PipelineRun: annotation, else the WETEST_SCENARIO param, else default."""
    annotations = (pr.get("metadata") or {}).get("annotations") or {}
    if annotations.get(ANNOTATION):
        return parse(annotations[ANNOTATION])
    for param in (pr.get("spec") or {}).get("params") or []:
        if param.get("name") == PARAM and isinstance(param.get("value"), str):
            return parse(param["value"])
    return parse(default)
