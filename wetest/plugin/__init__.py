"""The pytest plugin (pytest11 entry point ``wetest``): a thin adapter over the library.

It only registers its sibling modules. It is inert until a test asks for a ``we_`` fixture;
disable it with ``-p no:wetest``.
"""

# Ordered so that every module is registered (and so marked for assertion rewriting) before
# a later one imports it; otherwise pytest warns "Module already imported".
pytest_plugins = [
    "wetest.plugin.options",
    "wetest.plugin.markers",
    "wetest.plugin.session",
    "wetest.plugin.waits",
    "wetest.plugin.workers",
    "wetest.plugin.forked_workers",
    "wetest.plugin.timing",
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
]
