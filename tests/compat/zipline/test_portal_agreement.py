"""zipline's DataPortal and the shim agree on seeded random calls of every method.

For each world (bcolz written from a rustybt bundle; the same CSVs ingested by both) and each
way of building the shim (from rustybt's Arrow readers; from zipline's own readers), every
method family is called a few hundred times (thousands under ``-m slow``) with daily and minute
data, naive sessions, weekend/holiday labels and tz-aware minutes, and the results must be
identical: values (bit for bit), types, shapes, index types, column objects, exceptions.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from tests.compat.zipline._calls import FAMILIES, Dts
from tests.compat.zipline._compare import call, same

N_CALLS = 150
N_CALLS_SLOW = 2500

_reference_cache: dict[tuple[int, str, int], list[Any]] = {}


def _calls(world: Any, family: str, n: int) -> list[Any]:
    rng = random.Random(f"{family}-{n}")
    return FAMILIES[family](Dts(world), rng, n)


def _disagreements(world: Any, shim: Any, family: str, n: int) -> list[str]:
    calls = _calls(world, family, n)
    key = (id(world), family, n)
    if key not in _reference_cache:
        _reference_cache[key] = [call(lambda f=fn: f(world.zipline.data_portal)) for _, fn in calls]
    bad = []
    for (label, fn), want in zip(calls, _reference_cache[key], strict=True):
        got = call(lambda f=fn: f(shim))
        if not same(want, got):
            bad.append(f"{label}\n  zipline: {want!r:.400}\n  shim:    {got!r:.400}")
    return bad




@pytest.mark.parametrize(
    ("world_name", "shim_name", "family"),
    [
        (w, s, f)
        for w in ("world", "csv_world")
        for s in ("rustybt_readers", "zipline_readers")
        for f in FAMILIES
    ],
)
def test_shim_matches_zipline_exactly(
    world_name: str, shim_name: str, family: str, request: pytest.FixtureRequest
) -> None:
    world = request.getfixturevalue(world_name)
    bad = _disagreements(world, world.portals[shim_name], family, N_CALLS)
    assert not bad, f"{len(bad)} of {N_CALLS}+ calls differ; first:\n" + "\n".join(bad[:3])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("shim_name", "family"),
    [
        (s, f)
        for s in ("rustybt_readers", "zipline_readers")
        for f in FAMILIES
    ],
)
def test_thousands_of_calls(world: Any, shim_name: str, family: str) -> None:
    bad = _disagreements(world, world.portals[shim_name], family, N_CALLS_SLOW)
    assert not bad, f"{len(bad)} of {N_CALLS_SLOW}+ calls differ; first:\n" + "\n".join(bad[:3])
