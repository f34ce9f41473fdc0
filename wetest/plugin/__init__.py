"""The pytest plugin (pytest11 entry point ``wetest``): a thin adapter over the library.

It only registers its sibling modules. It is inert until a test asks for a ``we_`` fixture;
disable it with ``-p no:wetest``, or one of its modules with ``-p no:wetest.plugin.<module>``.

The siblings are registered here, not listed in ``pytest_plugins``: pytest looks each name of
that list up among every installed distribution's entry points first (3 ms a name, 17 names),
in every pytest process: the controller, each xdist worker (twelve at ``wetest run``'s
default, on the path to the first test) and each of the many runs of ``make test``.
"""

from __future__ import annotations

import importlib
import sys

import pytest

MODULES = (
    "wetest.plugin.options",
    "wetest.plugin.markers",
    "wetest.plugin.session",
    "wetest.plugin.waits",
    "wetest.plugin.workers",
    "wetest.plugin.forked_workers",
    "wetest.plugin.timing",
    "wetest.plugin.threadsafe",
    "wetest.plugin.inflight",
    "wetest.plugin.stack",
    "wetest.plugin.locks",
    "wetest.plugin.failfast",
    "wetest.plugin.isolation",
    "wetest.plugin.resources",
    "wetest.plugin.faults",
    "wetest.plugin.evidence",
    "wetest.plugin.clauses",
    "wetest.plugin.interrupt",
    "wetest.plugin.results",
)
"""Registered in this order, right after this package, where ``pytest_plugins`` would be."""

# Their asserts are rewritten as with pytest_plugins: each is marked before any is imported.
pytest.register_assert_rewrite(*MODULES)


@pytest.hookimpl
def pytest_plugin_registered(plugin: object, manager: pytest.PytestPluginManager) -> None:
    if plugin is not sys.modules[__name__]:
        return
    for name in MODULES:
        if manager.get_plugin(name) is None and not manager.is_blocked(name):
            manager.register(importlib.import_module(name), name)
