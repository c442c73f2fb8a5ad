"""``ParameterSpace``: named parameters (integer/float ranges, choices) and constraints.

- :class:`IntRange` ``low..high`` inclusive, with a ``step`` (grid and random draws stay on
  it) or ``log=True`` (log-uniform draws; a grid needs a step);
- :class:`FloatRange` ``[low, high]``, with an optional ``step`` (then it has a grid) or
  ``log=True``;
- :class:`Choice` among listed values.

Constraints are callables ``params -> bool`` (``lambda p: p['short'] < p['long']``): a grid
skips points that break one; a random draw is redrawn. :meth:`ParameterSpace.parse` reads the
CLI's ``name=low:high[:step]`` / ``name=a,b,c`` / ``name=value`` forms.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Choice", "FloatRange", "IntRange", "Parameter", "ParameterSpace"]

Constraint = Callable[[dict[str, Any]], bool]


@dataclass(frozen=True)
class IntRange:
    """Integers ``low..high`` (inclusive), every ``step``, or log-uniform when ``log``."""

    low: int
    high: int
    step: int = 1
    log: bool = False

    def __post_init__(self) -> None:
        for name in ("low", "high", "step"):
            value = getattr(self, name)
            if type(value) is not int:
                raise TypeError(f"IntRange {name} must be an int, not {value!r}")
        if self.low > self.high:
            raise ValueError(f"IntRange low {self.low} > high {self.high}")
        if self.step < 1:
            raise ValueError(f"IntRange step must be >= 1, not {self.step}")
        if self.log and self.low < 1:
            raise ValueError(f"a log IntRange needs low >= 1, not {self.low}")

    def grid(self) -> list[int]:
        """Every value, in order."""
        return list(range(self.low, self.high + 1, self.step))

    def sample(self, rng: np.random.Generator) -> int:
        """One value drawn uniformly (log-uniformly when ``log``)."""
        if self.log:
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high + 1)))
            return min(int(value), self.high)
        n = (self.high - self.low) // self.step
        return self.low + self.step * int(rng.integers(0, n + 1))

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is one of the range's values."""
        if not isinstance(value, int | np.integer) or not self.low <= value <= self.high:
            return False
        return bool(self.log or (int(value) - self.low) % self.step == 0)


@dataclass(frozen=True)
class FloatRange:
    """Floats in ``[low, high]``; with ``step`` a grid ``low, low+step, ... ≤ high``."""

    low: float
    high: float
    step: float | None = None
    log: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError(f"FloatRange bounds must be finite: {self.low}, {self.high}")
        if self.low > self.high:
            raise ValueError(f"FloatRange low {self.low} > high {self.high}")
        if self.step is not None and not self.step > 0:
            raise ValueError(f"FloatRange step must be > 0, not {self.step}")
        if self.log and self.low <= 0:
            raise ValueError(f"a log FloatRange needs low > 0, not {self.low}")

    def grid(self) -> list[float]:
        """``low, low + step, ...`` up to ``high`` (needs a step)."""
        if self.step is None:
            raise ValueError(f"{self} has no step: a grid needs FloatRange(..., step=...)")
        n = math.floor((self.high - self.low) / self.step + 1e-9)
        return [round(self.low + i * self.step, 12) for i in range(n + 1)]

    def sample(self, rng: np.random.Generator) -> float:
        """One value (on the step grid when there is a step)."""
        if self.step is not None:
            values = self.grid()
            return values[int(rng.integers(0, len(values)))]
        if self.log:
            return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return float(rng.uniform(self.low, self.high))

    def contains(self, value: Any) -> bool:
        """Whether ``value`` lies in the range (and on its step grid)."""
        if not isinstance(value, int | float | np.floating):
            return False
        x = float(value)
        if not self.low <= x <= self.high:
            return False
        return self.step is None or any(abs(x - v) < 1e-9 for v in self.grid())


@dataclass(frozen=True)
class Choice:
    """One of ``values``."""

    values: tuple[Any, ...]

    def __init__(self, values: Sequence[Any]) -> None:
        if len(values) == 0:
            raise ValueError("Choice needs at least one value")
        object.__setattr__(self, "values", tuple(values))

    def grid(self) -> list[Any]:
        """The values, in order."""
        return list(self.values)

    def sample(self, rng: np.random.Generator) -> Any:
        """One value, uniformly."""
        return self.values[int(rng.integers(0, len(self.values)))]

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is one of the values."""
        return value in self.values


Parameter = IntRange | FloatRange | Choice


@dataclass
class ParameterSpace:
    """Named parameters and constraints.

    Example::

        space = ParameterSpace({"short": IntRange(5, 50, 5), "long": IntRange(60, 240, 20)},
                               constraints=[lambda p: p["short"] < p["long"]])
    """

    params: dict[str, Parameter]
    constraints: list[Constraint] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.params:
            raise ValueError("a ParameterSpace needs at least one parameter")
        for name, param in self.params.items():
            if not isinstance(param, IntRange | FloatRange | Choice):
                raise TypeError(f"parameter {name!r} must be IntRange, FloatRange or Choice, "
                                f"not {param!r}")

    @property
    def names(self) -> list[str]:
        """Parameter names, in order."""
        return list(self.params)

    def allowed(self, params: dict[str, Any]) -> bool:
        """Whether ``params`` meets every constraint."""
        return all(bool(c(params)) for c in self.constraints)

    def grid(self) -> Iterator[dict[str, Any]]:
        """Every grid point that meets the constraints (last parameter varies fastest)."""
        axes = [p.grid() for p in self.params.values()]
        for values in itertools.product(*axes):
            point = dict(zip(self.names, values, strict=True))
            if self.allowed(point):
                yield point

    def grid_size(self) -> int:
        """The number of grid points meeting the constraints."""
        return sum(1 for _ in self.grid())

    def sample(self, rng: np.random.Generator, max_tries: int = 10_000) -> dict[str, Any]:
        """A random point meeting the constraints.

        Raises:
            ValueError: no point met them in ``max_tries`` draws.
        """
        for _ in range(max_tries):
            point = {name: p.sample(rng) for name, p in self.params.items()}
            if self.allowed(point):
                return point
        raise ValueError(f"no random point met the constraints in {max_tries} draws")

    def validate(self, params: dict[str, Any]) -> None:
        """Raise ValueError naming the first parameter outside the space."""
        for name, p in self.params.items():
            if name not in params:
                raise ValueError(f"missing parameter {name!r}")
            if not p.contains(params[name]):
                raise ValueError(f"parameter {name}={params[name]!r} is outside {p}")

    @classmethod
    def parse(cls, specs: Sequence[str]) -> ParameterSpace:
        """Parse CLI specs: ``name=low:high[:step]`` (int if all parts are ints, else float),
        ``name=a,b,c`` (choices), ``name=value`` (a fixed value)."""
        params: dict[str, Parameter] = {}
        for spec in specs:
            name, sep, text = spec.partition("=")
            name = name.strip()
            if not sep or not name.isidentifier() or not text:
                raise ValueError(f"--param {spec!r}: expected NAME=LOW:HIGH[:STEP], NAME=A,B,C "
                                 "or NAME=VALUE")
            if name in params:
                raise ValueError(f"--param {name!r} given twice")
            params[name] = _parse_one(spec, text)
        return cls(params)


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def _parse_one(spec: str, text: str) -> Parameter:
    try:
        if ":" in text:
            parts = [_number(t) for t in text.split(":")]
            if len(parts) not in (2, 3):
                raise ValueError("a range has 2 or 3 parts")
            if all(isinstance(x, int) for x in parts):
                ints = [int(x) for x in parts]
                return IntRange(ints[0], ints[1], ints[2] if len(ints) == 3 else 1)
            low, high = float(parts[0]), float(parts[1])
            return FloatRange(low, high, float(parts[2]) if len(parts) == 3 else None)
        if "," in text:
            return Choice([_scalar(t) for t in text.split(",")])
        return Choice([_scalar(text)])
    except (ValueError, TypeError) as exc:
        raise ValueError(f"--param {spec!r}: {exc}") from None


def _scalar(text: str) -> Any:
    text = text.strip()
    try:
        return _number(text)
    except ValueError:
        return text
