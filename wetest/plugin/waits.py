"""Wait timings per test: the ``timeout_scale`` setting and the ``we_wait`` marker.

Every test runs with the session's ``timeout_scale`` (option, env or ``[tool.wetest]``, as the
header shows it) activated for ``eventually``/``consistently``; ``@pytest.mark.we_wait(...)``
changes the default timings of that test's waits and may stretch its scale further. An
argument given to a wait itself still wins. The marker is checked at collection, so a typo
fails the run instead of being ignored.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from wetest.errors import ConfigError
from wetest.plugin import session
from wetest.waiting import defaults as waits

MARKER = "we_wait"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(timeout=, duration=, interval=, first_poll=, max_poll=, scale=): default "
        "timings (seconds, before scaling) of this test's eventually/consistently; scale "
        "multiplies the timeout_scale setting.",
    )


def timings(item: pytest.Item) -> tuple[waits.WaitDefaults, float]:
    """The wait defaults and scale of one test; ConfigError names a bad marker argument."""
    scale = session.get(item.config).timeout_scale
    marker = item.get_closest_marker(MARKER)
    if marker is None:
        return waits.DEFAULTS, scale
    if marker.args:
        raise ConfigError(
            f"{item.nodeid}: {MARKER} takes keyword arguments only, got {marker.args!r}. "
            f"Write e.g. @pytest.mark.{MARKER}(timeout=30)."
        )
    given = dict(marker.kwargs)
    extra = _number(item, "scale", given.pop("scale", 1.0))
    numbers = {name: _number(item, name, value) for name, value in given.items()}
    try:
        chosen = waits.with_overrides(waits.DEFAULTS, **numbers)
    except ConfigError as exc:
        raise ConfigError(f"{item.nodeid}: {MARKER}: {exc}") from exc
    if extra <= 0:
        raise ConfigError(f"{item.nodeid}: {MARKER} scale must be positive; it is {extra}.")
    return chosen, scale * extra


def _number(item: pytest.Item, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(
            f"{item.nodeid}: {MARKER}({name}={value!r}) is not a number of seconds. "
            f"Write e.g. {name}=30."
        )
    return float(value)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker(MARKER) is not None:
            try:
                timings(item)
            except ConfigError as exc:
                raise pytest.UsageError(str(exc)) from exc


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """Activate the test's timings around setup, call and teardown (fixtures wait too)."""
    chosen, scale = timings(item)
    with waits.activated(chosen, scale):
        return (yield)
