"""Per-component stack locks (wetest.plugin.locks): who waits for whom, and the schedule."""

from __future__ import annotations

import fcntl
import threading
from pathlib import Path

import pytest

from wetest import eventually
from wetest import expectations as ex
from wetest.plugin import locks, markers


def test_disruptive_tests_run_after_the_tests_using_what_they_disrupt(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        "import pytest\n"
        "@pytest.mark.we_disruptive('controller')\n"
        "def test_restart(we_target): pass\n"
        "def test_datastorage_api(we_datastorage): pass\n"
        "def test_plain(): pass\n"
        "def test_execution(we_create): pass\n"
        "@pytest.mark.we_long\n"
        "def test_cooldown(we_create): pass\n"
    )
    # a target wetest cannot scope to namespaces: no isolated instances, the locks' schedule
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--collect-only", "-q", "--wetest-target=deployed:ns/ctl"
    )
    names = [line.split("::")[-1] for line in result.outlines if "::" in line]
    assert names == [
        "test_cooldown",
        "test_plain",
        "test_execution",
        "test_restart",
        "test_datastorage_api",
    ]


def test_an_unknown_component_fails_collection_naming_the_valid_ones(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        "import pytest\n@pytest.mark.we_disruptive('postgress')\ndef test_x(we_stack): pass\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--collect-only", "-q")
    assert result.ret != 0
    assert "names unknown components ['postgress']. Use any of: apiserver," in result.stderr.str()


def test_a_waiting_test_holds_none_of_its_locks(tmp_path: Path) -> None:
    """Waiting for DataStorage, a test must not sit on the controller lock meanwhile."""
    with (tmp_path / "datastorage").open("w") as outage:
        fcntl.flock(outage, fcntl.LOCK_EX)
        with (tmp_path / "controller").open("w") as c, (tmp_path / "datastorage").open("w") as d:
            waiter = threading.Thread(
                target=locks._take_all, args=([(c, fcntl.LOCK_SH), (d, fcntl.LOCK_SH)],)
            )
            waiter.start()
            eventually(lambda: free(tmp_path / "controller"), ex.satisfies(bool, "free"), timeout=5)
            fcntl.flock(outage, fcntl.LOCK_UN)
            waiter.join(timeout=10)
            assert not waiter.is_alive()
            assert not free(tmp_path / "controller")  # now it holds both


def free(path: Path) -> bool:
    """Whether an exclusive lock on path could be taken right now."""
    with path.open("w") as probe:
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def test_a_postgres_restart_waits_for_every_datastorage_user_unless_it_has_its_own(
    pytester: pytest.Pytester,
) -> None:
    """Every DataStorage but a private PostgreSQL's stores into the stack's one PostgreSQL."""
    import dataclasses

    from wetest.plugin import isolation, session

    pytester.makepyfile(
        "import pytest\n"
        "@pytest.mark.we_disruptive('postgres')\n"
        "def test_restart(we_stack): pass\n"
        "@pytest.mark.we_disruptive('datastorage')\n"
        "def test_outage(we_datastorage): pass\n"
        "@pytest.mark.we_uses('datastorage')\n"
        "def test_reader(we_stack): pass\n"
    )
    items, _ = pytester.inline_genitems("-p", "no:cacheprovider")
    by_name = {item.name: item for item in items}

    assert ("postgres", fcntl.LOCK_EX) in locks.modes(by_name["test_restart"])
    assert ("postgres", fcntl.LOCK_SH) in locks.modes(by_name["test_reader"])
    private = locks.modes(by_name["test_outage"], isolation.PRIVATE)
    assert ("postgres", fcntl.LOCK_SH) in private
    restart = by_name["test_restart"]
    restart.config.workerinput = {"workercount": 6}  # type: ignore[attr-defined]
    assert isolation.wanted(by_name["test_outage"])
    assert isolation.wanted(restart)  # on a private PostgreSQL that wetest starts
    restart.config.stash[session.SETTINGS_KEY] = dataclasses.replace(
        session.get(restart.config), postgres_dsn="postgresql://db.example/x"
    )
    assert not isolation.wanted(restart)  # someone else's PostgreSQL: the locks


def test_every_worker_starts_with_one_long_test_and_a_short_one() -> None:
    """xdist's loadgroup hands worker k the tests at k and k + workers first: never two long."""
    items = ["L1", "L2", "L3", "L4", "L5", "s1", "s2", "s3", "s4", "s5"]
    long = [name.startswith("L") for name in items]
    spread = markers.spread(items, 2, long)
    assert spread == ["L1", "L2", "s1", "s2", "L3", "L4", "L5", "s3", "s4", "s5"]
    first_two = {k: {spread[k], spread[k + 2]} for k in range(2)}
    assert all(sum(n.startswith("L") for n in pair) == 1 for pair in first_two.values())
    assert markers.spread(items, 0, long) == items  # no workers: collection order kept
    assert markers.spread(items, 8, long) == items  # fewer long tests than workers: all first


def test_long_tests_are_ranked_longest_first_as_the_markers_tell(pytester: pytest.Pytester) -> None:
    """The API-server restart, isolated restarts and outages, the contract's 10 s cooldown,
    then short cooldowns."""
    pytester.makepyfile(
        "import pytest\n"
        "@pytest.mark.we_long\n"
        "@pytest.mark.we_cooldown('2s')\n"
        "def test_short_cooldown(we_stack): pass\n"
        "@pytest.mark.we_long\n"
        "def test_contract_cooldown(we_stack): pass\n"
        "@pytest.mark.we_disruptive('controller')\n"
        "def test_restart(we_stack): pass\n"
        "@pytest.mark.we_disruptive('apiserver')\n"
        "def test_apiserver_restart(we_stack): pass\n"
        "def test_short(we_stack): pass\n"
    )
    items, _ = pytester.inline_genitems("-p", "no:cacheprovider")
    items[0].config.workerinput = {"workercount": 6}  # type: ignore[attr-defined]
    ranked = sorted(items, key=markers._schedule_rank)
    assert [item.name for item in ranked] == [
        "test_apiserver_restart",
        "test_restart",
        "test_contract_cooldown",
        "test_short_cooldown",
        "test_short",
    ]
