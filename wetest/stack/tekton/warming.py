"""Warm kube-apiserver's write path for PipelineRuns and TaskRuns before a test needs it.

The first write of a PipelineRun or TaskRun to a fresh API server takes about two seconds
(measured on v1.36: a dry-run POST, 2.0 s the first time, 3 ms after; Tekton's schemas are
large), while lists and watches are fast from the start. Left alone, the first test that
creates a WorkflowExecution pays it inside its waits, and a test that must end within two
seconds of a failure (the terminal early stop) fails on a correct controller. Dry-run creates
pay it during the stack start instead, beside the controller's start, persisting nothing.
"""

from __future__ import annotations

import time

from kubernetes import client

from wetest.kube import objects


def warm_tekton_writes(api: client.ApiClient, namespace: str) -> float:
    """Dry-run create one PipelineRun and one TaskRun in namespace; return the seconds taken.

    Both: warming PipelineRuns alone left the stand-in's first TaskRun create at two seconds
    in one run out of three; with both, six runs out of six stopped within 0.3 s.
    """
    started = time.monotonic()
    for plural, kind, ref in (
        ("pipelineruns", "PipelineRun", {"pipelineRef": {"name": "wetest-warm"}}),
        ("taskruns", "TaskRun", {"taskRef": {"name": "wetest-warm"}}),
    ):
        body = {
            "apiVersion": "tekton.dev/v1",
            "kind": kind,
            "metadata": {"generateName": "wetest-warm-"},
            "spec": ref,
        }
        path = objects.ObjectRef("tekton.dev", "v1", plural, namespace).path()
        objects.call(api, "POST", path, body=body, query=objects.DRY_RUN)
    return time.monotonic() - started
