"""One failed test's evidence, read lazily from its run directory: what analyzers look at.

Every file is optional (an old run, the ``existing`` backend without API-call evidence, a test
that failed in setup before any object existed), so every accessor returns an empty value when
its file is absent or unreadable, never raises. Files are parsed on first use, so an analyzer
that decides from the test's message alone costs no YAML parsing.

The controller log is cut to lines that name the test's own objects (WorkflowExecution and
PipelineRun names, uids, ``namespace/name``) even when the collector already filtered it: a
controller serves every test at once, and a line about another test's object proves nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from wetest.report.results import RunInfo, TestResult

LOG_TAIL = 2000
TAIL_BYTES = 512 * 1024
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's loader when PyYAML was built with it: parsing we.yaml is most of an analysis."""
_STATUS_JSON = re.compile(r'\{"kind":"Status".*?"message":"((?:[^"\\]|\\.)*)".*\}')
LINE_LIMIT = 300
_LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d)(?:[.,](\d+))?")

_WAITED_WE = re.compile(
    r"\bon workflowexecutions\.kubernaut\.ai [a-z0-9.-]+/([a-z0-9.-]+?)\.?(?:\s|$)"
)
"""The WE named by a wait's timeout message: ``... on workflowexecutions.kubernaut.ai ns/name.``"""


@dataclass(frozen=True)
class ApiCall:
    """One line of api-calls.jsonl: who asked the API server what, and what it answered."""

    time: str
    actor: str
    verb: str
    resource: str
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    code: int = 0
    reason: str = ""
    message: str = ""
    user: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.code < 300

    @property
    def is_write(self) -> bool:
        return self.verb in ("create", "update", "patch", "delete")

    def describe(self) -> str:
        """``12:00:01.123 controller update workflowexecutions/status ns/name -> 409 Conflict``."""
        sub = f"/{self.subresource}" if self.subresource else ""
        reason = f" {self.reason}" if self.reason else ""
        text = f"{self.time} {self.actor} {self.verb} {self.resource}{sub} "
        text += f"{self.namespace}/{self.name} -> {self.code}{reason}"
        return text + (f": {self.message}" if self.message else "")


@dataclass(frozen=True)
class Component:
    """A stack process as stack.json records it at collection time."""

    alive: bool = True
    exit_code: int | None = None
    log_tail: tuple[str, ...] = ()


@dataclass(frozen=True)
class StackState:
    """stack.json: API-call evidence availability, each component, controller, DataStorage."""

    api_call_evidence: str = ""
    components: dict[str, Component] = field(default_factory=dict)
    controller: Component | None = None
    datastorage_url: str = ""
    datastorage_reachable: bool | None = None
    datastorage_detail: str = ""


class Evidence:
    """The evidence of one failed test; see the module docstring for the rules."""

    def __init__(self, run_dir: Path, result: TestResult, info: RunInfo) -> None:
        self.run_dir = run_dir
        self.result = result
        self.info = info

    # --- raw files ---------------------------------------------------------------------------

    def text(self, name: str) -> str:
        """An evidence file's text, or '' when absent, unreadable or outside the run dir."""
        relative = self.result.evidence.get(name)
        return _read(self.run_dir, relative) if relative else ""

    def source(self, name: str) -> str:
        """The run-relative path of an evidence file, for citing it in the report."""
        return self.result.evidence.get(name, "") if self.text(name) else ""

    @property
    def message(self) -> str:
        return self.result.message or ""

    @property
    def longrepr(self) -> str:
        return self.result.longrepr or ""

    @property
    def disrupts_on_purpose(self) -> bool:
        """Whether the test stops DataStorage or the controller itself (a resilience test).

        Their absence while it ran is then the test's premise, not an explanation.
        """
        return self.result.area == "resilience"

    @property
    def error_name(self) -> str:
        """``wetest.errors.WaitTimeout`` → ``WaitTimeout``."""
        return (self.result.error_class or "").rpartition(".")[2]

    # --- parsed files ------------------------------------------------------------------------

    @functools.cached_property
    def api_calls(self) -> list[ApiCall] | None:
        """The API calls on the test's objects; None when the run recorded none at all."""
        text = self.text("api-calls.jsonl")
        if not text:
            return None
        lines = [line for line in text.splitlines() if line.strip()]
        whole = _json("[" + ",".join(lines) + "]")  # one parse; a bad line falls back per line
        raws = whole if isinstance(whole, list) else [_json(line) for line in lines]
        return [call for call in (_api_call(raw) for raw in raws) if call]

    @functools.cached_property
    def stack(self) -> StackState | None:
        raw = _json(self.text("stack.json"))
        return _stack_state(raw) if isinstance(raw, dict) else None

    @property
    def api_call_evidence(self) -> str:
        """``available``, ``unavailable: <why>``, or '' when the run predates the field."""
        if self.api_calls is not None:
            return "available"
        if self.stack and self.stack.api_call_evidence:
            return self.stack.api_call_evidence
        return self.info.api_call_evidence

    @functools.cached_property
    def wes(self) -> list[dict[str, Any]]:
        return _yaml_docs(self.text("we.yaml"))

    @functools.cached_property
    def pipelineruns(self) -> list[dict[str, Any]]:
        return _yaml_docs(self.text("pipelinerun.yaml"))

    def pipelinerun_of(self, we: dict[str, Any]) -> dict[str, Any] | None:
        """The PipelineRun the WE's status names (``pipelineRunRef``), if the evidence has it."""
        ref = ((we.get("status") or {}).get("pipelineRunRef") or {}).get("name")
        return next((pr for pr in self.pipelineruns if _meta(pr, "name") == ref), None)

    @functools.cached_property
    def audit(self) -> list[dict[str, Any]]:
        raw = _json(self.text("audit.json"))
        return [e for e in raw if isinstance(e, dict)] if isinstance(raw, list) else []

    @functools.cached_property
    def events(self) -> list[dict[str, Any]]:
        try:
            raw = yaml.load(self.text("events.yaml") or "[]", Loader=_LOADER)
        except yaml.YAMLError:
            return []
        return [e for e in raw if isinstance(e, dict)] if isinstance(raw, list) else []

    @property
    def wait_history(self) -> str:
        return self.text("wait-history.txt")

    @functools.cached_property
    def waited_we(self) -> str:
        """The WE whose wait timed out (the wait history's first line names its probe), or ""."""
        found = _WAITED_WE.search(self.wait_history.split("\n", 1)[0])
        return found.group(1) if found else ""

    # --- the test's objects ------------------------------------------------------------------

    @functools.cached_property
    def we_names(self) -> set[str]:
        return {_meta(w, "name") for w in self.wes} - {""}

    @functools.cached_property
    def identifiers(self) -> set[str]:
        """Names, uids and ``namespace/name`` of the test's WEs and PipelineRuns."""
        found: set[str] = set()
        for obj in [*self.wes, *self.pipelineruns]:
            name, namespace, uid = _meta(obj, "name"), _meta(obj, "namespace"), _meta(obj, "uid")
            found |= {name, uid, f"{namespace}/{name}" if namespace and name else ""}
            ref = ((obj.get("status") or {}).get("pipelineRunRef") or {}).get("name")
            found.add(str(ref or ""))
        return {f for f in found if len(f) >= 3}

    def mentions_test(self, line: str) -> bool:
        return any(_names(line, ident) for ident in self.identifiers)

    @functools.cached_property
    def controller_log(self) -> list[str]:
        """The evidence controller.log, only lines naming the test's objects (none if unknown)."""
        if not self.identifiers:
            return []
        return [
            line for line in self.text("controller.log").splitlines() if self.mentions_test(line)
        ]

    def component_log(self, name: str) -> list[str]:
        """The last lines of ``logs/<name>.log`` (the run-wide copy kept at session end)."""
        return list(_component_log(self.run_dir, name))

    def component_log_in_window(
        self, name: str, wanted: Callable[[str], bool], slack: float = 2.0
    ) -> list[str]:
        """Lines of a component log that ``wanted`` keeps, stamped inside the test's run time.

        The filter is applied first, once per build: parsing every line's time stamp would cost
        more than all other analyzers together on a long log.
        """
        start, stop = instant(self.result.start), instant(self.result.stop)
        if start is None or stop is None:
            return []
        low, high = start - slack, stop + slack
        kept = []
        for line in _matching(self.run_dir, name, wanted):
            at = log_time(line)
            if at is not None and low <= at <= high:
                kept.append(line)
        return kept


def _names(line: str, ident: str) -> bool:
    """Whole-token match, so ``we-1`` does not match inside ``we-12``."""
    start = line.find(ident)
    while start >= 0:
        end = start + len(ident)
        before = line[start - 1] if start else " "
        after = line[end] if end < len(line) else " "
        if not (before.isalnum() or before in "-.") and not (after.isalnum() or after in "-"):
            return True
        start = line.find(ident, start + 1)
    return False


def condense(line: str) -> str:
    """A log line with an API Status body cut to its message, and at most LINE_LIMIT long.

    ``conflict on ns/we (409 Conflict: {"kind":"Status",...,"message":"Operation cannot be
    fulfilled ...",...}); re-queued`` → ``conflict on ns/we (409 Conflict: Operation cannot be
    fulfilled ...); re-queued``.
    """
    match = _STATUS_JSON.search(line)
    if match:
        message = match.group(1).replace('\\"', '"')
        line = line[: match.start()] + message + line[match.end() :]
    return line if len(line) <= LINE_LIMIT else line[: LINE_LIMIT - 1] + "…"


def run_outcome(pr: dict[str, Any]) -> str:
    """The WE phase a PipelineRun's ``Succeeded`` condition ends in; "" while it runs."""
    for cond in (pr.get("status") or {}).get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == "Succeeded":
            return {"True": "Completed", "False": "Failed"}.get(str(cond.get("status")), "")
    return ""


def log_time(line: str) -> float | None:
    """The POSIX time of a log line stamped like Python logging's asctime (UTC assumed)."""
    match = _LOG_TIME.match(line)
    if match is None:
        return None
    stamp = dt.datetime.fromisoformat(match.group(1).replace(" ", "T")).replace(tzinfo=dt.UTC)
    fraction = float("0." + match.group(2)) if match.group(2) else 0.0
    return stamp.timestamp() + fraction


def instant(text: str) -> float | None:
    try:
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)).timestamp()


@functools.lru_cache(maxsize=16)
def _component_log(run_dir: Path, name: str) -> tuple[str, ...]:
    """The last LOG_TAIL lines of ``logs/<name>.log``, read once per report build."""
    path = run_dir / "logs" / f"{name}.log"
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - TAIL_BYTES))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ()
    return tuple(text.splitlines()[-LOG_TAIL:])


@functools.lru_cache(maxsize=32)
def _matching(run_dir: Path, name: str, wanted: Callable[[str], bool]) -> tuple[str, ...]:
    """The lines of a run-wide log that ``wanted`` keeps, searched once per report build."""
    return tuple(line for line in _component_log(run_dir, name) if wanted(line))


def clear_cache() -> None:
    """Forget component logs read earlier (a rebuilt report must see the files as they are)."""
    _component_log.cache_clear()
    _matching.cache_clear()


def _read(run_dir: Path, relative: str) -> str:
    path = (run_dir / relative).resolve()
    if not path.is_relative_to(run_dir.resolve()) or not path.is_file():
        return ""
    try:
        return path.read_text("utf-8", errors="replace")
    except OSError:
        return ""


def _json(text: str) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _yaml_docs(text: str) -> list[dict[str, Any]]:
    try:
        docs = yaml.load_all(text, Loader=_LOADER) if text else []
        return [d for d in docs if isinstance(d, dict)]
    except yaml.YAMLError:
        return []


def _meta(obj: dict[str, Any], key: str) -> str:
    return str((obj.get("metadata") or {}).get(key) or "")


def _api_call(raw: Any) -> ApiCall | None:
    if not isinstance(raw, dict):
        return None
    try:
        code = int(raw.get("code") or 0)
    except (TypeError, ValueError):
        code = 0
    return ApiCall(
        time=str(raw.get("time") or ""),
        actor=str(raw.get("actor") or "other"),
        verb=str(raw.get("verb") or ""),
        resource=str(raw.get("resource") or ""),
        subresource=str(raw.get("subresource") or ""),
        namespace=str(raw.get("namespace") or ""),
        name=str(raw.get("name") or ""),
        code=code,
        reason=str(raw.get("reason") or ""),
        message=str(raw.get("message") or ""),
        user=str(raw.get("user") or ""),
    )


def _component(raw: Any) -> Component:
    if not isinstance(raw, dict):
        return Component()
    code = raw.get("exit_code")
    tail = raw.get("log_tail") or []
    return Component(
        alive=bool(raw.get("alive", True)),
        exit_code=int(code) if isinstance(code, int) else None,
        log_tail=tuple(str(line) for line in tail) if isinstance(tail, list) else (),
    )


def _stack_state(raw: dict[str, Any]) -> StackState:
    components = raw.get("components") or {}
    ds = raw.get("datastorage") or {}
    reachable = ds.get("reachable") if isinstance(ds, dict) else None
    return StackState(
        api_call_evidence=str(raw.get("api_call_evidence") or ""),
        components={str(k): _component(v) for k, v in components.items()}
        if isinstance(components, dict)
        else {},
        controller=_component(raw["controller"])
        if isinstance(raw.get("controller"), dict)
        else None,
        datastorage_url=str(ds.get("url") or "") if isinstance(ds, dict) else "",
        datastorage_reachable=reachable if isinstance(reachable, bool) else None,
        datastorage_detail=str(ds.get("detail") or "") if isinstance(ds, dict) else "",
    )
