"""The search and backend registries: names map to fresh samplers/executors; unknown names and
impossible arguments are one-line ValueErrors naming what exists."""

from __future__ import annotations

import pytest

from rustybt.optimization import GridSearch, RandomSearch, SerialExecutor
from rustybt.optimization.registry import BACKENDS, SEARCHES, new_executor, new_sampler


def test_names_give_fresh_objects() -> None:
    assert {"grid", "random"} <= set(SEARCHES) and "serial" in BACKENDS
    grid = new_sampler("grid", n_trials=None, workers=4)
    assert isinstance(grid, GridSearch) and grid is not new_sampler("grid")
    rand = new_sampler("random", n_trials=7)
    assert isinstance(rand, RandomSearch) and rand.n_trials == 7
    serial = new_executor("serial")
    assert isinstance(serial, SerialExecutor) and serial is not new_executor("serial")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: new_sampler("tpe"), r"unknown search 'tpe' \(known: bayes, grid, random"),
        (lambda: new_sampler("random"), r"random search needs a number of trials"),
        (lambda: new_executor("dask"), r"unknown backend 'dask' \(known: .*serial"),
        (lambda: new_executor("serial", workers=3), r"serial backend .* not 3"),
        (lambda: new_executor("serial", workers=0), r"workers must be an int >= 1, not 0"),
    ],
    ids=["search", "random-unbounded", "backend", "serial-workers", "zero-workers"],
)
def test_mistakes_are_clear(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_a_registered_entry_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[int] = []

    def factory(*, workers: int) -> SerialExecutor:
        made.append(workers)
        return SerialExecutor()

    monkeypatch.setitem(BACKENDS, "mine", factory)
    assert isinstance(new_executor("mine", workers=2), SerialExecutor) and made == [2]
