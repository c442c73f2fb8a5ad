"""Checked reading and validation of the benchmark models' fields (JSON in, records out).

Every model's ``from_json`` goes through :class:`FieldReader`, so a hand-edited or truncated
record fails with :class:`~rustybt.errors.InvalidBenchmarkRecord` naming the record, the field
and the value, never with a ``KeyError`` or a half-built object. JSON numbers are strict: a
float field takes an int or a float (never a bool), an int field an int (never a bool or a
float), and NaN/infinity are refused on both sides (``allow_nan=False``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, Self

from rustybt.errors import InvalidBenchmarkRecord

__all__ = ["FieldReader", "check_finite", "check_name", "check_str_map", "dumps", "loads"]


def dumps(kind: str, data: dict[str, Any]) -> str:
    """``data`` as JSON with its ``kind`` (the class name), keys sorted, NaN refused."""
    return json.dumps({"kind": kind, **data}, sort_keys=True, allow_nan=False)


def loads(kind: str, text: str) -> FieldReader:
    """Parse a record written by :func:`dumps`; its ``kind`` must be ``kind``."""
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except (json.JSONDecodeError, ValueError) as exc:
        raise InvalidBenchmarkRecord(f"{kind}: not a JSON record: {exc}") from exc
    reader = FieldReader(kind, data)
    found = reader.text("kind")
    if found != kind:
        raise InvalidBenchmarkRecord(f"{kind}: the JSON holds a {found!r} record, not a {kind!r}")
    return reader


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a finite number")


class FieldReader:
    """Typed access to one JSON object's fields, raising with the record and field named."""

    def __init__(self, kind: str, data: object) -> None:
        if not isinstance(data, dict):
            raise InvalidBenchmarkRecord(f"{kind}: expected a JSON object, got {data!r:.80}")
        self.kind = kind
        self.data: dict[str, Any] = data

    def _get(self, name: str) -> Any:
        if name not in self.data:
            raise InvalidBenchmarkRecord(f"{self.kind}: field {name!r} is missing")
        return self.data[name]

    def _bad(self, name: str, value: object, expected: str) -> InvalidBenchmarkRecord:
        return InvalidBenchmarkRecord(
            f"{self.kind}: field {name!r} must be {expected}, got {value!r:.80}")

    def number(self, name: str) -> float:
        """A finite number."""
        value = self._get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._bad(name, value, "a number")
        return float(value)

    def integer(self, name: str) -> int:
        """An integer (not a bool)."""
        value = self._get(name)
        if type(value) is not int:
            raise self._bad(name, value, "an integer")
        return value

    def boolean(self, name: str) -> bool:
        """A bool (not 0 or 1)."""
        value = self._get(name)
        if type(value) is not bool:
            raise self._bad(name, value, "a bool")
        return value

    def opt_integer(self, name: str) -> int | None:
        """An integer or null."""
        return None if self._get(name) is None else self.integer(name)

    def opt_number(self, name: str) -> float | None:
        """A number or null."""
        return None if self._get(name) is None else self.number(name)

    def text(self, name: str) -> str:
        """A string."""
        value = self._get(name)
        if not isinstance(value, str):
            raise self._bad(name, value, "a string")
        return value

    def opt_text(self, name: str) -> str | None:
        """A string or null."""
        return None if self._get(name) is None else self.text(name)

    def str_list(self, name: str) -> tuple[str, ...]:
        """A list of strings."""
        value = self._get(name)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._bad(name, value, "a list of strings")
        return tuple(value)

    def str_map(self, name: str) -> dict[str, str]:
        """An object of string values."""
        value = self._get(name)
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise self._bad(name, value, "an object of strings")
        return dict(value)

    def bool_map(self, name: str) -> dict[str, bool]:
        """An object of booleans."""
        value = self._get(name)
        if not isinstance(value, dict) or not all(type(v) is bool for v in value.values()):
            raise self._bad(name, value, "an object of booleans")
        return dict(value)

    def obj(self, name: str, kind: str) -> FieldReader:
        """A nested record of class ``kind``."""
        return FieldReader(f"{self.kind}.{name} ({kind})", self._get(name))

    def opt_obj(self, name: str, kind: str) -> FieldReader | None:
        """A nested record of class ``kind``, or null."""
        return None if self._get(name) is None else self.obj(name, kind)

    def obj_list(self, name: str, kind: str) -> list[FieldReader]:
        """A list of nested records of class ``kind``."""
        value = self._get(name)
        if not isinstance(value, list):
            raise self._bad(name, value, f"a list of {kind} records")
        return [FieldReader(f"{self.kind}.{name}[{i}] ({kind})", v) for i, v in enumerate(value)]


def check_finite(kind: str, name: str, value: object, *, low: float | None = None,
                 high: float | None = None, low_open: bool = False) -> None:
    """Raise unless ``value`` is a finite real (not a bool) in ``[low, high]``
    (``(low, high]`` with ``low_open``)."""
    ok = (not isinstance(value, bool) and isinstance(value, int | float)
          and math.isfinite(value))
    if ok and low is not None:
        ok = value > low if low_open else value >= low  # type: ignore[operator]
    if ok and high is not None:
        ok = value <= high  # type: ignore[operator]
    if not ok:
        bounds = f"{'(' if low_open else '['}{low}, {high}]"
        raise InvalidBenchmarkRecord(f"{kind}.{name} must be a finite number in {bounds}, "
                                     f"not {value!r}")


def check_name(kind: str, name: str, value: object) -> None:
    """Raise unless ``value`` is a non-blank string."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidBenchmarkRecord(f"{kind}.{name} must be a non-blank string, not {value!r}")


def check_str_map(kind: str, name: str, value: object) -> None:
    """Raise unless ``value`` maps strings to strings."""
    if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise InvalidBenchmarkRecord(f"{kind}.{name} must map strings to strings, "
                                     f"not {value!r:.80}")


class JsonRecord:
    """``to_json``/``from_json`` for a record that has ``to_dict()`` and ``_read(FieldReader)``
    (every model of the framework): written once here, not in each record."""

    def to_dict(self) -> dict[str, Any]:
        """The record's fields as JSON-ready values."""
        raise NotImplementedError

    @classmethod
    def _read(cls, r: FieldReader) -> Self:
        raise NotImplementedError

    def to_json(self) -> str:
        """The record as JSON."""
        return dumps(type(self).__name__, self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> Self:
        """Read a record written by :meth:`to_json`."""
        return cls._read(loads(cls.__name__, text))

