"""What each root-cause analyzer costs per failed test, on a real run or ~100 synthetic failures.

Each analyzer is timed around its call, so the cost of parsing an evidence file lands on the
first analyzer that reads it (files are parsed lazily, once per test). The synthetic run gives
every failed test the full evidence set of the shared interface at realistic sizes: 300 API
calls, an 80-line controller log, we.yaml, pipelinerun.yaml, audit.json, events.yaml,
stack.json, and a 2000-line run-wide controller log; a quarter of the tests end at each of the
conflict, audit-delivery and contract-deviation analyzers and at unknown, so every analyzer runs.

The machine is shared, so the analysis runs ``--repeat`` times and each analyzer's best total
is printed (the least disturbed measurement).

    .venv/bin/python bench/analyzer_cost.py [--failures 100] [--repeat 5] [RUN_DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import yaml

from wetest.report import analysis, build, results, triage


def synthesize(root: Path, failures: int) -> Path:
    """A run directory with ``failures`` failed tests, each with a full evidence folder."""
    (root / "logs").mkdir(parents=True)
    lines = [
        f"2026-12-06 10:00:{i % 60:02d},000 INFO wetest.reference.controller.manager "
        f"reconcile ns-{i % failures}/we-{i % failures} phase=Running"
        for i in range(2000)
    ]
    (root / "logs" / "controller.log").write_text("\n".join(lines) + "\n")
    records = []
    for i in range(failures):
        folder = root / "evidence" / f"test_{i}"
        folder.mkdir(parents=True)
        files = _files(i)
        for name, text in files.items():
            (folder / name).write_text(text)
        records.append({
            "nodeid": f"suites/area/test_x.py::test_{i}", "outcome": "failed",
            "error_class": ("wetest.errors.WaitTimeout", "Weird")[i % 4 == 3],
            "clauses": ["WE-STAT-002"],
            "message": "Phase Completed not reached in 15s.",
            "longrepr": "E   wetest.errors.WaitTimeout: Phase Completed not reached in 15s.",
            "start": "2026-12-06T10:00:00+00:00", "stop": "2026-12-06T10:00:20+00:00",
            "evidence": {n: f"evidence/test_{i}/{n}" for n in files},
        })  # fmt: skip
    (root / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (root / "run.json").write_text(json.dumps({"api_call_evidence": "available"}))
    return root


def _files(i: int) -> dict[str, str]:
    ns, name, case = f"ns-{i}", f"we-{i}", i % 4  # 0 conflict, 1 audit, 2 contract, 3 unknown
    we = {"metadata": {"name": name, "namespace": ns, "uid": f"uid-{i:08d}",
                       "labels": {"kubernaut.ai/correlation-id": name}},
          "status": {"phase": "Running", "startTime": "2026-12-06T10:00:02Z",
                     "pipelineRunRef": {"name": f"wfe-{i:016x}"},
                     "conditions": [{"type": "AuditRecorded"}] if case else []}}  # fmt: skip
    calls = [
        {"time": f"2026-12-06T10:00:{k // 20:02d}.{k:06d}Z", "actor": "controller",
         "user": "wetest-controller", "user_agent": "ctrl", "verb": ("get", "update")[k % 2],
         "resource": "workflowexecutions", "subresource": "status" if k % 2 else "",
         "namespace": ns, "name": name, "code": 409 if k % 10 == 3 and not case else 200,
         "reason": "", "message": ""}
        for k in range(300)
    ]  # fmt: skip
    log = [f"2026-12-06 10:00:{k % 60:02d},000 INFO reconcile {ns}/{name}" for k in range(80)]
    audit = [{"event_type": "workflow.started", "correlation_id": name}] * (2 if case == 1 else 1)
    ds = {"url": "http://127.0.0.1:18100", "reachable": True, "detail": ""}
    ctrl: dict[str, object] = {"alive": True, "exit_code": None, "log_tail": []}
    stack = {"api_call_evidence": "available", "components": {}, "controller": ctrl,
             "datastorage": ds}  # fmt: skip
    return {
        "we.yaml": yaml.safe_dump(we),
        "pipelinerun.yaml": yaml.safe_dump({"metadata": {"name": f"wfe-{i:016x}"}}),
        "api-calls.jsonl": "".join(json.dumps(c) + "\n" for c in calls),
        "controller.log": "\n".join(log) + "\n",
        "audit.json": json.dumps(audit),
        "events.yaml": yaml.safe_dump([{"reason": "PipelineRunCreated"}] * 5),
        "stack.json": json.dumps(stack),
        "wait-history.txt": "10:00:01 phase=Pending\n10:00:02 phase=Running\n",
    }


def best(run: results.Run, repeat: int) -> tuple[analysis.Costs, float]:
    """Each analyzer's least total over ``repeat`` analyses, and the least model build time."""
    costs, model_seconds = analysis.Costs(), float("inf")
    for _ in range(repeat):
        once = analysis.Costs()
        started = time.perf_counter()
        triage.build(run, costs=once)
        model_seconds = min(model_seconds, time.perf_counter() - started)
        for name, seconds in once.seconds.items():
            if seconds < costs.seconds.get(name, float("inf")):
                costs.seconds[name], costs.calls[name] = seconds, once.calls[name]
    return costs, model_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", nargs="?", type=Path)
    parser.add_argument("--failures", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wetest-analyzer-cost-") as tmp:
        run_dir = args.run_dir or synthesize(Path(tmp) / "run", args.failures)
        run = results.read(run_dir)
        failed = sum(r.failed for r in run.results)
        costs, model_seconds = best(run, args.repeat)
        started = time.perf_counter()
        build.build(run_dir)
        build_seconds = time.perf_counter() - started
    print(f"{failed} failed tests in {run_dir if args.run_dir else 'a synthetic run'}")
    print(f"{'analyzer':<40} {'calls':>6} {'total ms':>9} {'µs/call':>8}")
    for name, seconds in costs.seconds.items():
        per_call = 1e6 * seconds / costs.calls[name]
        print(f"{name:<40} {costs.calls[name]:>6} {1e3 * seconds:>9.1f} {per_call:>8.0f}")
    total = sum(costs.seconds.values())
    per_test = 1e6 * total / max(failed, 1)
    print(f"{'all analyzers, per failed test':<40} {'':>6} {1e3 * total:>9.1f} {per_test:>8.0f}")
    print(f"triage model (analysis, excerpts, timelines): {model_seconds:.2f} s")
    print(
        f"whole report build (md, html, conformance, results.jsonl, Allure): {build_seconds:.2f} s"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
