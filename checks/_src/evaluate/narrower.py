"""What of a closed form is narrower than its case's dtype: constants rounded to
a narrower dtype, and values cast to one.

``jnp.float32(0.2) * x`` in a float64 case multiplies by 0.20000000298023224, the
float32 rounding of 0.2: JAX folds the constant into the trace as that float64
value, so the closed form is off by up to 2⁻²⁴ relatively wherever it is used,
a hundred million times the float64 tolerance. The case fails, rightly (its
values are not the derivative's to float64 accuracy), and its message says why:
``note(jaxpr, dtype)`` names each such constant and the decimal it rounds.

A constant is taken as a rounding to a narrower format F (float32, bfloat16,
float16) when it is exactly representable in F with more than half of F's
significand bits in use (not a short binary number such as 0.375 or
finfo(float64).eps = 2⁻⁵²), and the shortest decimal that reads back as it in F
is another number in the case's dtype: 0.20000000298023224 is float32's 0.2,
whereas 0.5, 2.0 or 0.25 read back as themselves. A float64 constant whose last
29 bits are zero by chance is rare (2⁻²⁹ of values); and a note is only added
to a failing case.

A closed form that casts to a narrower dtype (``x.astype(jnp.float32)`` in a
float64 case, the kernel idiom of widening a bfloat16 input, written for a
float32 one) carries that rounding in its bound, by the rule of
``convert_element_type``: its case is held to the narrower dtype's accuracy
there, and ``casts(jaxpr, dtype)`` says so in the case's message. So does a
cast in ``of``, whose autodiff reference carries it.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jax.extend import core, source_info_util

from checks._src.evaluate.lapack import _sub_jaxprs

# the formats a constant may have been rounded to, fewest significand bits first
_NARROW = (jnp.bfloat16, jnp.float16, jnp.float32)
_MOST = 3  # constants named in a note


def _significant_bits(value: float) -> int:
    """Bits from the first 1 to the last 1 of ``value``'s significand."""
    significand = int(abs(np.frexp(value)[0]) * 2.0**53)
    return (significand >> ((significand & -significand).bit_length() - 1)).bit_length()


def _shortest(rounded: np.ndarray, narrow: np.dtype) -> str:
    """The shortest decimal that reads back as ``rounded`` in ``narrow``."""
    value = float(rounded.astype(np.float64))
    for digits in range(1, 18):
        text = f"{value:.{digits}g}"
        if np.asarray(float(text)).astype(narrow) == rounded:
            return text
    return repr(value)


def _rounded_from(value: float, case_dtype: np.dtype) -> tuple[str, str] | None:
    """(decimal, format): ``value`` is ``decimal`` rounded to the narrower
    ``format``, not ``decimal`` in ``case_dtype``; or None."""
    if not np.isfinite(value) or value == 0.0:
        return None
    for fmt in _NARROW:
        narrow = np.dtype(fmt)
        if narrow.itemsize >= case_dtype.itemsize:
            continue
        with np.errstate(over="ignore"):  # too large for ``narrow``: inf, no match
            rounded = np.asarray(value, case_dtype).astype(narrow)
        if float(rounded.astype(case_dtype)) != value:
            continue  # not representable in this format
        if 2 * _significant_bits(value) <= jnp.finfo(narrow).nmant + 1:
            return None  # a short binary number (2⁻⁵², 0.375): no decimal rounded
        decimal = _shortest(rounded, narrow)
        if float(np.asarray(float(decimal), case_dtype)) != value:
            return decimal, narrow.name
        return None  # the format represents it as written: no rounding
    return None


def _constants(jaxpr: core.Jaxpr, consts: list) -> list[np.ndarray]:
    """The float values of every literal and constant of ``jaxpr`` and of the
    jaxprs inside it (loop bodies, branches)."""
    found = list(consts)
    for eqn in jaxpr.eqns:
        found.extend(v.val for v in eqn.invars if isinstance(v, core.Literal))
        for sub in _sub_jaxprs(eqn.params):
            found.extend(_constants(sub, []))
    return [c for c in map(_as_array, found) if c is not None]


def _as_array(value: object) -> np.ndarray | None:
    """``value`` as a NumPy array of real floats, or None (integers, keys)."""
    try:
        array = np.asarray(value)
    except Exception:  # a PRNG key array, say
        return None
    return array if jnp.issubdtype(array.dtype, jnp.floating) else None


def note(closed: core.ClosedJaxpr, dtype: str) -> str:
    """'; the closed form computes with …' naming the constants of ``closed``
    rounded to a narrower dtype than ``dtype``, or '' when there is none."""
    case_dtype = np.dtype(dtype)
    if not np.issubdtype(case_dtype, np.floating):
        return ""
    named: dict[str, str] = {}
    for c in _constants(closed.jaxpr, list(closed.consts)):
        for value in np.unique(c.astype(case_dtype).ravel())[:64]:
            hit = _rounded_from(float(value), case_dtype)
            if hit and len(named) < _MOST:
                named.setdefault(repr(float(value)), f"{hit[0]} in {hit[1]}")
    if not named:
        return ""
    listed = ", ".join(f"{v} ({what})" for v, what in named.items())
    return (
        f"; the closed form computes with a constant rounded to a narrower dtype "
        f"than {dtype}: {listed}, as jnp.float32(0.2) or np.float32(0.2) make it: "
        f"write it as a Python float, which takes the case's dtype"
    )


def casts(closed: core.ClosedJaxpr, dtype: str, who: str = "the closed form") -> str:
    """'; the closed form rounds to float32 (file.py:line): …' for the first cast
    (``convert_element_type``, ``reduce_precision``) of ``closed`` to a narrower
    float format than ``dtype``, or ''. ``who``: "of", whose casts hold the
    reference (autodiff of ``of``) to that accuracy."""
    case_dtype = np.dtype(dtype)
    stack = [closed.jaxpr]
    while stack:
        jaxpr = stack.pop()
        for eqn in jaxpr.eqns:
            stack.extend(_sub_jaxprs(eqn.params))
            narrow = _narrowed_to(eqn, case_dtype)
            if narrow:
                where = source_info_util.summarize(eqn.source_info)
                where = ":".join(where.rsplit("/", 1)[-1].split(" ")[0].split(":")[:2])
                return (
                    f"; {who} rounds to {narrow} ({where}): its {dtype} "
                    "case is held to that accuracy there"
                )
    return ""


def _narrowed_to(eqn: core.JaxprEqn, case_dtype: np.dtype) -> str:
    """The narrower format ``eqn`` rounds a ``case_dtype`` value to, or ''."""
    name = eqn.primitive.name
    if name not in ("convert_element_type", "reduce_precision"):
        return ""
    source = np.dtype(eqn.invars[0].aval.dtype)
    if source != case_dtype:
        return ""
    if name == "reduce_precision":
        bits = eqn.params["mantissa_bits"]
        if bits >= jnp.finfo(case_dtype).nmant:
            return ""
        return f"{bits} significand bits"
    new = np.dtype(eqn.params["new_dtype"])
    if not jnp.issubdtype(new, jnp.floating):
        return ""
    if jnp.finfo(new).nmant < jnp.finfo(case_dtype).nmant:
        return new.name
    return ""
