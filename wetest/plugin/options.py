"""pytest_addoption: one ``--wetest-<key>`` per setting, in group "wetest"."""

from __future__ import annotations

import pytest

from wetest.config import names


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wetest", "WorkflowExecution controller conformance")
    for setting in names.SETTINGS:
        group.addoption(
            setting.option,
            dest=f"wetest_{setting.key}",
            default=None,
            metavar=setting.key.upper(),
            help=f"{setting.meaning} Env {setting.env}; default '{setting.default}'",
        )


def given(config: pytest.Config) -> dict[str, object | None]:
    """The settings given on pytest's command line, keyed by setting key."""
    return {s.key: config.getoption(f"wetest_{s.key}") for s in names.SETTINGS}
