"""The plugin's tests run pytest in subprocesses: those load only wetest's plugin and xdist.

Each such pytest would otherwise import every plugin installed in the venv at start
(hypothesis, schemathesis, allure, anyio, timeout: measured 37 s against 13 s for one empty
session at load 27, twice that per xdist worker), and these files start about forty of them.
It is what ``wetest run`` does for the suites (``wetest.cli.run.PLUGINS``); a test about the
plugin as an installed package finds it (``test_plugin_is_inert_until_a_we_fixture_is_requested``)
restores the entry point's autoload itself.
"""

from __future__ import annotations

import pytest

LEAN_PYTEST = {
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    "PYTEST_PLUGINS": "wetest.plugin,xdist.plugin",
}


@pytest.fixture(autouse=True)
def lean_pytest_subprocesses(monkeypatch: pytest.MonkeyPatch) -> None:
    """For this test's subprocesses (pytester's and its own Popen with os.environ) only."""
    for name, value in LEAN_PYTEST.items():
        monkeypatch.setenv(name, value)
