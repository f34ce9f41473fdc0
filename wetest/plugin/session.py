"""Resolve settings once per session (into config.stash) and print them in the header."""

from __future__ import annotations

import pytest

from wetest.config import settings
from wetest.errors import ConfigError
from wetest.plugin import options

SETTINGS_KEY = pytest.StashKey[settings.Settings]()


def pytest_configure(config: pytest.Config) -> None:
    """Validate configuration early (UsageError names the value and its source)."""
    try:
        config.stash[SETTINGS_KEY] = settings.load(options.given(config))
    except ConfigError as exc:
        if config.option.help or getattr(config.option, "version", False):
            return  # --help must work on a broken configuration
        raise pytest.UsageError(str(exc)) from exc


def get(config: pytest.Config) -> settings.Settings:
    return config.stash[SETTINGS_KEY]


def pytest_report_header(config: pytest.Config) -> str | None:
    if SETTINGS_KEY not in config.stash:
        return None
    s = get(config)
    shown = ("backend", "tekton", "target", "datastorage_url", "timeout_scale")
    parts = [f"{k}={getattr(s, k) or '(bundled)'} ({s.source_of(k)})" for k in shown]
    return "wetest: " + ", ".join(parts)
