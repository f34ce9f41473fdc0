"""Evidence on failure: the plugin's side of ``wetest.evidence.collect``.

The library gathers and writes what the failed test touched; this module only says which test
that is (its namespace, the WEs ``we_create`` made, the stack and client it used) and attaches
the texts three ways: as report sections named "Captured stdout wetest ..." (so the terminal
shows them and JUnit puts them in system-out), as Allure attachments when allure-pytest is
active, and as files under ``<results_dir>/evidence/<test>/`` listed in results.jsonl.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from wetest.errors import DependencyDied, InfrastructureError, cause_of
from wetest.plugin import markers, session
from wetest.plugin.resources import created_objects
from wetest.plugin.stack import HANDLE_KEY

if TYPE_CHECKING:  # loaded when a test fails: a passing worker never pays for them
    from kubernetes import client

    from wetest.evidence import collect


def evidence_dir(item: pytest.Item) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)[-120:]
    return session.get(item.config).results_dir.resolve() / "evidence" / safe


def subject(item: pytest.Item) -> collect.Subject:
    """The test as the collector sees it: its namespace and the WEs it created."""
    from wetest.evidence import collect

    namespace = getattr(item, "funcargs", {}).get("we_namespace")
    return collect.Subject(
        namespace=namespace if isinstance(namespace, str) else "",
        workflow_executions=created_objects(item),
        execution_namespace=session.get(item.config).execution_namespace,
    )


def gather(item: pytest.Item, exc: BaseException | None) -> dict[str, str]:
    """Collect evidence texts keyed by file name (only what this test touched)."""
    from wetest.evidence import collect

    funcargs: dict[str, Any] = getattr(item, "funcargs", {})
    api: client.ApiClient | None = funcargs.get("we_kube")
    if isinstance(exc, DependencyDied):  # a dead cluster answers no read: each would hang
        api = None
    return collect.gather(item.config.stash.get(HANDLE_KEY, None), api, subject(item), exc)


def write(item: pytest.Item, texts: dict[str, str]) -> dict[str, str]:
    """Write evidence files; return their paths relative to the results dir."""
    from wetest.evidence import collect

    root = session.get(item.config).results_dir.resolve()
    return collect.write(texts, evidence_dir(item), root)


def _attach_allure(item: pytest.Item, texts: dict[str, str]) -> None:
    manager = item.config.pluginmanager
    # registered by its entry point name, or by module name when loaded with -p (wetest run)
    if not (manager.hasplugin("allure_pytest") or manager.hasplugin("allure_pytest.plugin")):
        return
    import allure

    for name, text in texts.items():
        allure.attach(text, name=name, attachment_type=allure.attachment_type.TEXT)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, Any]:
    report: pytest.TestReport = yield
    exc = call.excinfo.value if call.excinfo else None
    info: dict[str, Any] = {"evidence": {}}
    if report.failed:
        item.wetest_failed = True  # type: ignore[attr-defined]
        info.update(
            error_class=_qualname(exc),
            cause=str(cause_of(exc)) if exc else None,
            message=str(exc).splitlines()[0] if exc and str(exc) else None,
        )
        if report.when in ("setup", "call") and _uses_wetest(item):
            texts = gather(item, exc)
            info["evidence"] = write(item, texts)
            for name, text in texts.items():
                if name != "timeline.json":
                    report.sections.append((f"Captured stdout wetest {name}", text[-8000:]))
            _attach_allure(item, texts)
        if isinstance(exc, InfrastructureError):
            item.session.shouldfail = f"wetest: infrastructure missing: {str(exc)[:300]}"
    area, clauses = markers.clauses_of(item)
    info.update(
        area=area, clauses=clauses, profile=markers.profile_of(clauses), we=_uses_wetest(item)
    )
    report.user_properties.append(("wetest", json.dumps(info)))
    return report


def _uses_wetest(item: pytest.Item) -> bool:
    return any(name.startswith("we_") for name in getattr(item, "fixturenames", ()))


def _qualname(exc: BaseException | None) -> str | None:
    if exc is None:
        return None
    cls = type(exc)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )
