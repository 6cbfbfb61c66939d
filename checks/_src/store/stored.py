"""A result as plain data (JSON) and back, for the result store
(``checks._src.store.store``).

Reading back accepts only what writing produces: every field of every object is
checked against a schema (its type, and for a status or an expectation one of its
allowed values); a missing field, an extra one, or a value of another type makes
the whole result invalid (``Invalid``), and the store then checks the entry
again. Nothing read is executed or looked up by name: the data builds the
result's dataclasses field by field.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from checks._src.report.result import (
    CASE_STATUSES,
    CaseResult,
    Counterexample,
    DerivationResult,
)
from checks._src.search.diagnose import Repair
from checks._src.search.diagnose_points import Diagnosis
from checks._src.search.mutate import MutationScore

__all__ = ["Invalid", "from_plain", "to_plain"]

EXPECTATIONS = ("pass", "fail")
KINDS = ("derivation", "claim", "rule")
STABILITIES = ("stable", "unstable", "not-checked")
_MAX_DEPTH = 32  # nesting of a counterexample's values (arrays of rank ≤ 32)


class Invalid(ValueError):
    """Stored data that is not a result as ``to_plain`` writes it."""


# Field types: "str", "int", "float" (a number, or "nan"/"inf"/"-inf"), "bool",
# "values" (a nested list of numbers, booleans and nulls: an array), a tuple
# ("one of", allowed…), ("list", type), ("map", type) (string keys), ("maybe",
# type) (or null), "plain" (JSON data: objects, lists, strings, numbers, booleans,
# nulls), or a schema (a dict: an object with exactly these fields).

COUNTEREXAMPLE: dict[str, Any] = {
    "inputs": ("map", "values"),
    "closed_form": "values",
    "reference": "values",
    "element": ("list", "int"),
    "region": ("map", "str"),
}
MUTANTS: dict[str, Any] = {
    "total": "int",
    "killed": "int",
    "survivors": ("list", "str"),
}
DIAGNOSIS: dict[str, Any] = {
    "kind": "str",
    "message": "str",
    "details": ("map", "plain"),
}
REPAIR: dict[str, Any] = {"diff": "str", "edit": "str"}
CASE: dict[str, Any] = {
    "dtype": "str",
    "device": "str",
    "dims": ("map", "int"),
    "samples": "int",
    "status": ("one of", *CASE_STATUSES),
    "max_abs_error": "float",
    "max_rel_error": "float",
    "tolerance": "float",
    "ratio": "float",
    "worst_error": "float",
    "message": "str",
    "counterexample": ("maybe", COUNTEREXAMPLE),
    "checked": "int",
    "seconds": "float",
    "max_ulp_error": "float",
    "stability": ("one of", *STABILITIES),
    "stability_ratio": "float",
    "stability_message": "str",
    "stability_counterexample": ("maybe", COUNTEREXAMPLE),
    "engine": ("one of", "", "numpy", "xla"),
    "engine_fallback": "str",
}
RESULT: dict[str, Any] = {
    "name": "str",
    "source": "str",
    "expect": ("one of", *EXPECTATIONS),
    "why": "str",
    "cases": ("list", CASE),
    "kind": ("one of", *KINDS),
    "message": "str",
    "shrunk": ("maybe", COUNTEREXAMPLE),
    "shrunk_dims": ("map", "int"),
    "non_differentiable": "str",
    "repro": "str",
    "repro_note": "str",
    "output": "str",
    "mutants": ("maybe", MUTANTS),
    "diagnosis": ("list", DIAGNOSIS),
    "repair": ("maybe", REPAIR),
}
_CLASSES = {
    id(DIAGNOSIS): Diagnosis,
    id(REPAIR): Repair,
    id(COUNTEREXAMPLE): Counterexample,
    id(MUTANTS): MutationScore,
    id(CASE): CaseResult,
    id(RESULT): DerivationResult,
}


def _float_out(x: float) -> Any:
    x = float(x)
    return x if math.isfinite(x) else repr(x)  # 'nan', 'inf', '-inf'


def _out(value: Any, kind: Any) -> Any:
    if value is None:
        return None
    if isinstance(kind, dict):
        return {name: _out(getattr(value, name), k) for name, k in kind.items()}
    if kind == "float":
        return _float_out(value)
    if isinstance(kind, tuple) and kind[0] == "list":
        return [_out(v, kind[1]) for v in value]
    if isinstance(kind, tuple) and kind[0] == "map":
        return {str(k): _out(v, kind[1]) for k, v in value.items()}
    if isinstance(kind, tuple) and kind[0] == "maybe":
        return _out(value, kind[1])
    if kind in ("values", "plain"):
        return _values_out(value)
    return value


def _values_out(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_values_out(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _values_out(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


def to_plain(result: DerivationResult) -> dict[str, Any]:
    """``result`` as JSON-ready data (``reused`` is not part of it)."""
    return _out(result, RESULT)


def _in(value: Any, kind: Any, where: str) -> Any:
    if isinstance(kind, dict):
        if not isinstance(value, dict) or set(value) != set(kind):
            raise Invalid(f"{where}: not an object with fields {sorted(kind)}")
        fields = {n: _in(value[n], k, f"{where}.{n}") for n, k in kind.items()}
        return _CLASSES[id(kind)](**fields)
    if isinstance(kind, tuple):
        head, *rest = kind
        if head == "maybe":
            return None if value is None else _in(value, rest[0], where)
        if head == "one of":
            if not isinstance(value, str) or value not in rest:
                raise Invalid(f"{where}: {value!r} is not one of {rest}")
            return value
        if head == "list":
            if not isinstance(value, list):
                raise Invalid(f"{where}: not a list")
            return [_in(v, rest[0], f"{where}[{i}]") for i, v in enumerate(value)]
        if head == "map":
            if not isinstance(value, dict):
                raise Invalid(f"{where}: not an object")
            return {k: _in(v, rest[0], f"{where}.{k}") for k, v in value.items()}
    if kind == "str" and isinstance(value, str):
        return value
    if kind == "int" and type(value) is int:
        return value
    if kind == "bool" and type(value) is bool:
        return value
    if kind == "float":
        return _float_in(value, where)
    if kind == "values":
        return _values_in(value, where, 0)
    if kind == "plain":
        return _plain_in(value, where, 0)
    raise Invalid(f"{where}: {type(value).__name__} where {kind} belongs")


def _float_in(value: Any, where: str) -> float:
    if type(value) in (int, float):
        return float(value)
    if value in ("nan", "inf", "-inf"):
        return float(value)
    raise Invalid(f"{where}: {value!r} is not a number")


def _values_in(value: Any, where: str, depth: int) -> Any:
    if isinstance(value, list):
        if depth >= _MAX_DEPTH:
            raise Invalid(f"{where}: nested too deep")
        return [_values_in(v, where, depth + 1) for v in value]
    if value is None or type(value) in (int, float, bool):
        return value
    return _float_in(value, where)


def _plain_in(value: Any, where: str, depth: int) -> Any:
    """JSON data as ``_values_out`` writes it: objects, lists, strings, numbers
    (non-finite ones as ``"nan"``, ``"inf"``, ``"-inf"`` strings, read back as
    strings), booleans and nulls."""
    if depth >= _MAX_DEPTH:
        raise Invalid(f"{where}: nested too deep")
    if isinstance(value, list):
        return [_plain_in(v, where, depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain_in(v, where, depth + 1) for k, v in value.items()}
    if value is None or type(value) in (int, float, bool, str):
        return value
    raise Invalid(f"{where}: {type(value).__name__} is not JSON data")


def from_plain(data: Any) -> DerivationResult:
    """The result ``to_plain`` wrote as ``data``; ``Invalid`` if it is anything
    else."""
    result = _in(data, RESULT, "result")
    assert dataclasses.is_dataclass(result)
    return result
