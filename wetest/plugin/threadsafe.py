"""What pytest keeps once per process, made per thread while tests run side by side.

pytest runs one test at a time, so it keeps a test's state in one place per process: the stack
of set-up nodes, the capture of stdout/stderr and logs, the assertion-explanation hook. With
several tests in flight in one process (``wetest.plugin.inflight``) each would overwrite the
others'. :func:`installed` gives each thread its own for the duration of the loop and puts
pytest's back afterwards:

- **Set-up state.** Each test gets its own ``SetupState``; after the test only its function
  node is torn down, and the wider nodes (session, package, module) with the finalizers that
  test registered on them stay until the session ends (:meth:`PerThreadSetupState.retire_all`).
  A module-scoped fixture therefore lives until the end of the run instead of the end of its
  module: tests of several modules use it at the same time.
- **Fixtures.** A function-scoped fixture's value is kept per thread (pytest keeps it on the
  fixture's definition, one per process); wider-scoped fixtures are created under one lock,
  so two tests asking for the same session fixture at once get one instance.
- **Odds and ends.** ``PYTEST_CURRENT_TEST`` names the phase that began last; ``ast.parse``
  runs one at a time (CPython 3.11's is not thread-safe).
- **Capture.** stdout/stderr writes go to the buffer of the thread's current test phase, and
  log records to the handlers of the thread that emitted them. What a test's own threads
  print is not captured (it reaches the terminal), as with pytest's ``--capture=sys``.
- **Assertion explanations.** pytest sets and resets ``_pytest.assertion.util._reprcompare``
  around each test; that module's three hook attributes become per thread.
- **Allure.** allure-pytest keeps its results per thread, and a thread it does not know takes
  the main thread's current test as its own (for threads a test starts); each lane gets a
  context of its own, whose lookups by uuid see every lane's (fixture containers are shared).
- **Reporting.** The report hooks (log start, report, finish) run one at a time, so reporters
  (terminal, JUnit XML, the results file, xdist's channel) never see two at once.
"""

from __future__ import annotations

import ast
import contextlib
import io
import logging
import os
import sys
import threading
import types
import uuid
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterator
from typing import Any, TextIO, cast

import pytest
from _pytest import logging as pytest_logging
from _pytest import runner
from _pytest.assertion import util as assertion_util
from _pytest.fixtures import FixtureDef
from _pytest.runner import SetupState
from _pytest.scope import Scope

REPORTING = threading.RLock()
"""Held while a report hook runs, and while an xdist worker sends an event."""

_WIDER_FIXTURES = threading.RLock()


class PerThreadSetupState:
    """``session._setupstate`` with one ``SetupState`` per test, chosen by thread."""

    def __init__(self, main: SetupState) -> None:
        self._main = main
        self._local = threading.local()
        self._retired: list[SetupState] = []
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(getattr(self._local, "state", self._main), name)

    def begin(self) -> None:
        """Give the calling thread a fresh state for its next test."""
        state = SetupState()
        self._local.state = state
        with self._lock:
            self._retired.append(state)

    def teardown_exact(self, nextitem: pytest.Item | None) -> None:
        """Tear down the calling thread's test, never the wider nodes while lanes run.

        pytest passes no next item when the session is to stop (-x, a missing dependency):
        everything goes, to report fixture teardown errors (pytest #11706). With tests beside
        it, that finished the session's fixtures under them ("The fixture value for
        "we_stack" is not available"); they end at the session's end (:meth:`retire_all`).
        """
        state: SetupState | None = getattr(self._local, "state", None)
        if state is None:
            self._main.teardown_exact(nextitem)
            return
        until: Any = nextitem
        if nextitem is None and state.stack:
            until = Above(cast("pytest.Item", next(reversed(state.stack))))  # the test's node
        state.teardown_exact(until)

    def retire_all(self) -> None:
        """Tear down what the tests left set up (session, package, module), newest first."""
        errors: list[BaseException] = []
        with self._lock:
            states, self._retired = self._retired[::-1], []
        for state in states:
            try:
                state.teardown_exact(None)
            except BaseException as exc:  # each state is torn down, then raised
                errors.append(exc)
        self._main.teardown_exact(None)
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise BaseExceptionGroup("errors during session teardown", errors)


class Above:
    """The ``nextitem`` that tears down a test's function node and nothing wider."""

    def __init__(self, item: pytest.Item) -> None:
        self._chain = item.listchain()[:-1]

    def listchain(self) -> list[pytest.Item]:
        return self._chain  # type: ignore[return-value]


class _Router(io.TextIOBase):
    """sys.stdout/sys.stderr: the calling thread's capture buffer if it has one, else the stream."""

    def __init__(self, stream: TextIO, local: threading.local, attribute: str) -> None:
        self._stream = stream
        self._local = local
        self._attribute = attribute

    def _target(self) -> TextIO:
        target: TextIO | None = getattr(self._local, self._attribute, None)
        return target if target is not None else self._stream

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._stream.encoding


_HOOKS = threading.local()


def _per_thread(name: str) -> property:
    return property(
        lambda _module: getattr(_HOOKS, name, None),
        lambda _module, value: setattr(_HOOKS, name, value),
    )


class _ThreadHooks(types.ModuleType):
    """``_pytest.assertion.util`` whose hook attributes are per thread (see module docstring)."""

    _reprcompare = _per_thread("reprcompare")
    _assertion_pass = _per_thread("assertion_pass")
    _config = _per_thread("config")


@contextlib.contextmanager
def installed(session: pytest.Session) -> Iterator[Callable[[], None]]:
    """Make pytest's per-process test state per thread until the block ends.

    Yields what a lane calls before each of its tests.
    """
    with contextlib.ExitStack() as stack:
        setup_state = PerThreadSetupState(session._setupstate)
        stack.enter_context(_swapped(session, "_setupstate", setup_state))
        allure = stack.enter_context(_allure_lanes(session.config))
        stack.callback(setup_state.retire_all)  # after the lanes, with allure's store shared
        stack.enter_context(_fixtures_per_thread())
        stack.enter_context(_current_test_variable())
        stack.enter_context(_ast_serialised())
        stack.enter_context(_assertion_hooks_per_thread())
        stack.enter_context(_capture_per_thread(session.config))
        stack.enter_context(_logs_per_thread(session.config))

        def begin() -> None:
            if allure is not None:
                allure.join()
            setup_state.begin()

        yield begin


@contextlib.contextmanager
def _swapped(owner: object, name: str, value: object) -> Iterator[None]:
    """``owner.name`` is ``value`` for the block; what ``owner`` itself held comes back after."""
    own = vars(owner)
    had, saved = name in own, own.get(name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        if had:
            setattr(owner, name, saved)
        else:
            delattr(owner, name)


@contextlib.contextmanager
def _fixtures_per_thread() -> Iterator[None]:
    """Function-scoped fixture values per thread; wider ones created under one lock.

    pytest caches every fixture's value on its ``FixtureDef``, one per definition, and a
    function-scoped one is finished when its test ends: a second test running meanwhile would
    get the first one's value (its name, its namespace). While lanes run, a function-scoped
    definition's ``cached_result`` and ``_finalizers`` are kept per thread.
    """
    original = FixtureDef.execute
    local = threading.local()

    def own(fixturedef: FixtureDef[Any]) -> dict[str, Any]:
        if fixturedef._scope is not Scope.Function:
            return fixturedef.__dict__
        values: dict[int, dict[str, Any]] = local.__dict__.setdefault("values", {})
        return values.setdefault(id(fixturedef), {"cached_result": None, "_finalizers": []})

    def execute(self: FixtureDef[Any], request: Any) -> Any:
        if self._scope is Scope.Function:
            return original(self, request)
        with _WIDER_FIXTURES:
            return original(self, request)

    def attribute(name: str) -> property:
        return property(
            lambda self: own(self)[name],
            lambda self, value: own(self).__setitem__(name, value),
        )

    with contextlib.ExitStack() as stack:
        stack.enter_context(_swapped(FixtureDef, "execute", execute))
        for name in ("cached_result", "_finalizers"):
            stack.enter_context(_swapped(FixtureDef, name, attribute(name)))
        yield


@contextlib.contextmanager
def _current_test_variable() -> Iterator[None]:
    """PYTEST_CURRENT_TEST names the test whose phase began last; its removal may come twice."""
    original = runner._update_current_test_var

    def update(item: pytest.Item, when: Any) -> None:
        if when:
            original(item, when)
        else:
            os.environ.pop("PYTEST_CURRENT_TEST", None)

    with _swapped(runner, "_update_current_test_var", update):
        yield


@contextlib.contextmanager
def _ast_serialised() -> Iterator[None]:
    """``ast.parse`` one thread at a time (CPython 3.11's AST conversion is not thread-safe).

    pytest parses source when it rewrites a module's asserts and when it shows a traceback;
    two at once in 3.11 can fail with "AST constructor recursion depth mismatch" (fixed in
    3.12, gh-106905).
    """
    original = ast.parse
    lock = threading.Lock()

    def parse(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(*args, **kwargs)

    with _swapped(ast, "parse", parse):
        yield


@contextlib.contextmanager
def _assertion_hooks_per_thread() -> Iterator[None]:
    module = assertion_util
    saved = (module._reprcompare, module._assertion_pass, module._config)
    module.__class__ = _ThreadHooks
    try:
        yield
    finally:
        module.__class__ = types.ModuleType
        module._reprcompare, module._assertion_pass, module._config = saved


@contextlib.contextmanager
def _capture_per_thread(config: pytest.Config) -> Iterator[None]:
    capman: Any = config.pluginmanager.getplugin("capturemanager")
    if capman is None or not capman.is_capturing():
        yield
        return
    local = threading.local()

    @contextlib.contextmanager
    def item_capture(when: str, item: pytest.Item) -> Generator[None]:
        out, err = io.StringIO(), io.StringIO()
        local.out, local.err = out, err
        try:
            yield
        finally:
            local.out = local.err = None
            item.add_report_section(when, "stdout", out.getvalue())
            item.add_report_section(when, "stderr", err.getvalue())

    capman.suspend_global_capture(in_=True)
    saved = sys.stdout, sys.stderr
    sys.stdout = _Router(saved[0], local, "out")
    sys.stderr = _Router(saved[1], local, "err")
    try:
        with _swapped(capman, "item_capture", item_capture):
            yield
    finally:
        sys.stdout, sys.stderr = saved


@contextlib.contextmanager
def _logs_per_thread(config: pytest.Config) -> Iterator[None]:
    plugin: Any = config.pluginmanager.getplugin("logging-plugin")
    if plugin is None:
        yield
        return

    @contextlib.contextmanager
    def runtest_for(item: pytest.Item, when: str) -> Generator[None]:
        caplog_handler = _handler_of_this_thread(plugin.formatter)
        report_handler = _handler_of_this_thread(plugin.formatter)
        with (
            pytest_logging.catching_logs(caplog_handler, level=plugin.log_level),
            pytest_logging.catching_logs(report_handler, level=plugin.log_level),
        ):
            item.stash[pytest_logging.caplog_records_key][when] = caplog_handler.records
            item.stash[pytest_logging.caplog_handler_key] = caplog_handler
            try:
                yield
            finally:
                item.add_report_section(when, "log", report_handler.stream.getvalue().strip())

    with _swapped(plugin, "_runtest_for", runtest_for):
        yield


def _handler_of_this_thread(formatter: logging.Formatter) -> pytest_logging.LogCaptureHandler:
    handler = pytest_logging.LogCaptureHandler()
    handler.setFormatter(formatter)
    thread = threading.get_ident()
    handler.addFilter(lambda record: record.thread == thread)
    return handler


class _LaneContext(OrderedDict[str, Any]):
    """allure's context of one thread: its own order of results, every thread's results.

    allure-pytest finds "the current test" as the newest executable in the thread's context,
    and a fixture's container by uuid from any test that uses the fixture; lanes need the
    first per lane and the second across lanes.
    """

    def __init__(self, shared: dict[str, Any]) -> None:
        super().__init__()
        self._shared = shared

    def __bool__(self) -> bool:
        return True  # never "a thread allure does not know"

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self._shared[key] = value

    def __getitem__(self, key: str) -> Any:
        return self._shared.get(key)

    def get(self, key: str, default: Any = None) -> Any:
        return self._shared.get(key, default)

    def pop(self, key: str, *default: Any) -> Any:
        super().pop(key, None)
        return self._shared.pop(key, *default)

    def __reversed__(self) -> Iterator[str]:
        return (key for key in super().__reversed__() if key in self._shared)

    def __iter__(self) -> Iterator[str]:
        return (key for key in super().__iter__() if key in self._shared)


class _LaneCache:
    """allure-pytest's map from a test or fixture definition to its result's uuid.

    A function-scoped fixture definition has one container per thread (its value is per
    thread: ``_fixtures_per_thread``); everything else is shared.
    """

    def __init__(self, shared: dict[int, Any]) -> None:
        self.shared = shared
        self._local = threading.local()

    def _items(self, key: object) -> dict[int, Any]:
        if isinstance(key, FixtureDef) and key._scope is Scope.Function:
            items: dict[int, Any] = self._local.__dict__.setdefault("items", {})
            return items
        return self.shared

    def get(self, key: object) -> Any:
        return self._items(key).get(id(key))

    def push(self, key: object) -> Any:
        return self._items(key).setdefault(id(key), str(uuid.uuid4()))  # as allure's own

    def pop(self, key: object) -> Any:
        return self._items(key).pop(id(key), None)


class _AllureLanes:
    """Gives each lane (and the main thread) a :class:`_LaneContext` over one shared store."""

    def __init__(self, listener: Any) -> None:
        items = listener.allure_logger._items
        self._contexts: dict[threading.Thread, Any] = items._thread_context
        self._main = threading.current_thread()
        self._saved = self._contexts[self._main]
        self._shared: dict[str, Any] = dict(self._saved)
        self._contexts[self._main] = self._context(self._saved)

    def _context(self, seed: dict[str, Any]) -> _LaneContext:
        context = _LaneContext(self._shared)
        for key, value in seed.items():
            context[key] = value
        return context

    def join(self) -> None:
        """Called by a lane before its first test."""
        if not isinstance(self._contexts.get(threading.current_thread()), _LaneContext):
            self._contexts[threading.current_thread()] = self._context({})

    def close(self) -> None:
        self._saved.clear()
        self._saved.update(self._shared)
        self._contexts[self._main] = self._saved


@contextlib.contextmanager
def _allure_lanes(config: pytest.Config) -> Iterator[_AllureLanes | None]:
    listener: Any = config.pluginmanager.getplugin("allure_listener")
    if listener is None:
        yield None
        return
    with _swapped(listener, "_cache", _LaneCache(listener._cache._items)):
        lanes = _AllureLanes(listener)
        try:
            yield lanes
        finally:
            lanes.close()
