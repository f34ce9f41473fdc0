"""Repository-only pytest configuration: nothing a suite needs may live here.

An installed wheel has no root conftest, so suites get everything from the ``wetest`` plugin.
"""

pytest_plugins = ("pytester",)

collect_ignore = ["bench", "infra", "fixtures", "wetest-results"]
