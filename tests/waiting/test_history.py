from wetest.waiting.history import History


def test_consecutive_repeats_fold_and_flips_stay():
    history = History(started=100.0)
    for at, state in [(100.0, "A"), (100.1, "A"), (100.2, "A"), (100.5, "B"), (101.0, "A")]:
        history.add(state, at=at)
    assert [(e.state, e.count) for e in history.entries] == [("A", 3), ("B", 1), ("A", 1)]
    assert history.entries[0].last == 0.2 or abs(history.entries[0].last - 0.2) < 1e-9
    assert history.observations == 5
    assert history.distinct == 3


def test_dicts_compare_by_value():
    history = History(started=0.0)
    history.add({"a": 1, "b": 2}, at=0.0)
    history.add({"b": 2, "a": 1}, at=1.0)
    assert len(history.entries) == 1


def test_limit_keeps_first_and_latest():
    history = History(started=0.0, limit=3)
    for i in range(6):
        history.add(i, at=float(i))
    assert [e.state for e in history.entries] == [0, 4, 5]
    assert history.omitted == 3
    assert history.distinct == 6
