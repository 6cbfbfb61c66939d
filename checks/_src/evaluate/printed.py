"""Printed outputs, bounds and counts: the claims a document makes by printing.

Three claim forms that take no sampled inputs (``checks.claim`` declares them):

- ``output``: what a listing printed — values (``stated=``, compared as a worked
  value is, within half a unit in the last printed digit) or an array's shape
  (``shape="(150, 4)"``, compared exactly). ``fn()`` recomputes it from the
  listed code, on data that needs no download. A claim whose code needs a
  package that is not installed (``requires=("sklearn",)``) is ``skipped``: its
  reason names the install command, and it is never counted as a pass.
- ``bound``: a printed number against a bound that other printed numbers imply:
  ``fn() -> (low, high)`` (None: no bound on that side); it holds when
  low ≤ stated ≤ high.
- ``count``: a count (of states, codes, bits), ``fn()`` enumerates it with
  Python integers and it must equal the printed integer exactly.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np

from checks._src.report.result import CaseResult, Counterexample

__all__ = ["INSTALL", "check_printed", "missing_requirement", "parse_shape"]

# The import name of a requirement -> the package an installer knows it by.
INSTALL = {"sklearn": "scikit-learn"}


def parse_shape(text: str) -> tuple[int, ...]:
    """``"(150, 4)"`` -> (150, 4); ValueError when ``text`` is not a shape."""
    try:
        shape = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        raise ValueError(f"{text!r} is not a shape such as (150, 4)") from None
    if isinstance(shape, int):
        shape = (shape,)
    if not isinstance(shape, tuple) or not all(
        isinstance(n, int) and n >= 0 for n in shape
    ):
        raise ValueError(f"{text!r} is not a shape such as (150, 4)")
    return shape


def missing_requirement(requires: tuple[str, ...]) -> str | None:
    """Why the claim cannot run here (a module not installed), or None."""
    for name in requires:
        if importlib.util.find_spec(name) is None:
            package = INSTALL.get(name, name)
            return f"needs {name}, not installed (pip install {package})"
    return None


def _case(status: str, message: str, **extra: Any) -> CaseResult:
    return CaseResult(
        dtype="float64",
        device="cpu",
        dims={},
        samples=1,
        status=status,
        message=message,
        checked=0 if status == "skipped" else 1,
        **extra,
    )


def _mismatch(message: str, stated: Any, computed: Any) -> CaseResult:
    return _case(
        "fail",
        message,
        ratio=float("inf"),
        counterexample=Counterexample(
            inputs={},
            closed_form=stated,
            reference=computed,
            element=[],
            region={},
        ),
    )


def check_printed(c: Any, check_value: Callable[[Any], CaseResult]) -> CaseResult:
    """One case for an ``output``, ``bound`` or ``count`` claim ``c``;
    ``check_value(computed)`` compares values with printed digits."""
    missing = missing_requirement(c.requires)
    if missing:
        return _case("skipped", missing)
    computed = c.fn()
    if c.form == "count":
        return _check_count(c.stated, computed)
    if c.form == "bound":
        return _check_bound(c.stated, computed)
    if c.shape is not None:
        return _check_shape(c.shape, computed)
    return check_value(computed)


def _check_shape(text: str, computed: Any) -> CaseResult:
    shape, got = parse_shape(text), tuple(np.shape(computed))
    if got != shape:
        return _mismatch(
            f"the listed code gives shape {got}, printed {text}", list(shape), list(got)
        )
    return _case(
        "pass", f"the listed code gives shape {got}: matches the printed {text}"
    )


def _check_count(text: str, computed: Any) -> CaseResult:
    if isinstance(computed, bool) or not isinstance(computed, (int, np.integer)):
        return _case(
            "error", f"a count must be an integer, got {type(computed).__name__}"
        )
    if int(computed) != int(text):
        return _mismatch(
            f"enumerated {int(computed)}, printed {text}", int(text), int(computed)
        )
    return _case("pass", f"enumerated {int(computed)}: matches the printed {text}")


def _check_bound(text: str, computed: Any) -> CaseResult:
    low, high = computed
    stated = float(text)
    below = low is not None and stated < float(low)
    above = high is not None and stated > float(high)
    shown = f"[{'-inf' if low is None else f'{float(low):.6g}'}, " + (
        f"{'inf' if high is None else f'{float(high):.6g}'}]"
    )
    if below or above:
        return _mismatch(
            f"the printed {text} lies outside {shown}, the bound the other printed "
            "values imply",
            stated,
            [
                None if low is None else float(low),
                None if high is None else float(high),
            ],
        )
    return _case("pass", f"the printed {text} lies within {shown}")
