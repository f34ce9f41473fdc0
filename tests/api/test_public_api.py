"""The public facade: every name in ``wetest.__all__`` imports in a fresh interpreter.

A fresh interpreter matters: the old lazy facade returned the package ``wetest.waiting`` for
``from wetest import expectations`` unless something had imported the submodule first, which
an already-warm test process would never show.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

import wetest

ROOT = Path(wetest.__file__).parent


def _fresh(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_each_public_name_imports_in_a_fresh_interpreter():
    """One interpreter, nothing of wetest imported before: the way a user's first test runs.

    The facade binds every name at import, so one fresh process proves them all; the two
    plugin types it loads on first use are asked for before anything imports the plugin.
    """
    code = (
        "import json\n"
        "out = {}\n"
        f"for name in {sorted(wetest.__all__)!r}:\n"
        "    ns = {}\n"
        "    exec(f'from wetest import {name} as value', ns)\n"
        "    value = ns['value']\n"
        "    where = getattr(value, '__module__', None) or value.__name__\n"
        "    out[name] = [type(value).__name__, where]\n"
        "print(json.dumps(out))\n"
    )
    found = json.loads(_fresh(code))
    assert sorted(found) == sorted(wetest.__all__)
    assert found["expectations"] == ["module", "wetest.waiting.expectations"]
    assert found["objects"] == ["module", "wetest.kube.objects"]
    assert found["eventually"] == ["function", "wetest.waiting.eventually"]
    assert found["Creator"] == ["type", "wetest.plugin.resources"]


def test_all_lists_every_public_name_the_facade_binds():
    """Nothing public is bound without being listed, and nothing listed is missing."""
    tree = ast.parse((ROOT / "__init__.py").read_text())
    bound = {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module != "__future__"
        for alias in node.names
    }
    bound |= wetest._PLUGIN_TYPES
    public = {n for n in bound if not n.startswith("_")} - {"TYPE_CHECKING", "Any"}
    assert public == set(wetest.__all__)
    for name in wetest.__all__:
        assert getattr(wetest, name) is not None


def test_expectations_is_the_module_not_the_package():
    from wetest import expectations

    assert isinstance(expectations, types.ModuleType)
    assert expectations.__name__ == "wetest.waiting.expectations"
    assert callable(expectations.has_phase)


def test_the_package_is_typed():
    assert (ROOT / "py.typed").is_file()


def test_import_wetest_loads_no_client_library_nor_pytest():
    """The reference programs, `wetest report` and scripts import wetest; they pay only this."""
    loaded = json.loads(
        _fresh(
            "import sys, json, wetest\n"
            "heavy = ('pytest', 'kubernetes', 'httpx', 'urllib3', 'yaml')\n"
            "print(json.dumps([m for m in heavy if m in sys.modules]))"
        )
    )
    assert loaded == []


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        wetest.nothing  # noqa: B018
