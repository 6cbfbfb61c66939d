"""The claim record and its declaration: ``Claim``, its forms, and ``make_claim``,
which checks a declaration and builds the record (``checks.claim`` holds the
decorators that call it).

A declaration is checked at once: a mistake is a ``DeclarationError`` naming the
claim. The checks common to every form (inputs matching the function's
parameters, ``expect``/``why``, ``requires=``) come first, then what the form
states (a printed number, a printed shape, or a domain to sample).
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from checks._src.declare.declare import (
    DeclarationError,
    _normalize_dims,
    _positional_names,
    size_combinations,
)
from checks._src.declare.domain import Domain
from checks._src.evaluate import printed

FORMS = (
    "value",
    "identity",
    "inequality",
    "differs",
    "convex",
    "nonconvex",
    "output",
    "bound",
    "count",
)
# The forms checked once, on no sampled inputs.
UNSAMPLED = ("value", "output", "bound", "count")


@dataclass(frozen=True)
class Claim:
    """A stated value, identity, inequality, 'not in general' or convexity claim.

    The record a ``checks.claim`` decorator attaches to its function
    (``checks.as_derivation`` returns it).

    Attributes:
        form: one of ``FORMS`` (``"value"``, ``"identity"``, ...).
        fn: the function that computes the claim's sides.
        inputs, dims: where a sampled claim's inputs come from, as for a
            derivation.
        stated: the number as printed (value, output, bound, count).
        name, source, expect, why: as for a derivation.

    Examples:
        >>> import checks
        >>> @checks.claim.count(stated="8")
        ... def three_bit_strings():
        ...     return 2**3
        >>> c = checks.as_derivation(three_bit_strings)
        >>> c.kind, c.form, c.stated, list(c.dims_cases())
        ('claim', 'count', '8', [{}])
    """

    form: str
    fn: Callable[..., object]
    inputs: Mapping[str, Domain] = field(default_factory=dict)
    dims: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    name: str = ""
    source: str = ""
    expect: str = "pass"
    why: str = ""
    stated: str | Sequence[str] | None = (
        None  # value: the printed string, or a list of them
    )
    unit: str = ""
    truncated: bool = False
    strict: bool = False
    atol: float | None = None
    wrt: str | None = None
    shape: str | None = None  # output: the printed shape, e.g. "(150, 4)"
    requires: tuple[str, ...] = ()  # modules the listed code imports

    kind = "claim"

    @property
    def params(self) -> tuple[str, ...]:
        """The parameter names of ``fn``, in order."""
        return tuple(self.inputs)

    def dims_cases(self) -> Iterator[dict[str, int]]:
        """Every combination of the sizes in ``dims`` (one empty case if none).

        Examples:
            >>> import checks
            >>> @checks.claim.identity(
            ...     inputs={"x": checks.domain.real(("n",))}, dims={"n": (1, 4)}
            ... )
            ... def sum_is_linear(x):
            ...     return (2 * x).sum(), 2 * x.sum()
            >>> list(checks.as_derivation(sum_is_linear).dims_cases())
            [{'n': 1}, {'n': 4}]
        """
        return size_combinations(self.dims)

    @property
    def doc(self) -> str:
        """The function's docstring ("" when it has none)."""
        import inspect

        return inspect.getdoc(self.fn) or ""


def make_claim(
    form: str,
    fn: Callable[..., object],
    *,
    inputs: Mapping[str, Domain] | None = None,
    dims: Mapping[str, int | Sequence[int]] | None = None,
    name: str | None = None,
    source: str = "",
    expect: str = "pass",
    why: str = "",
    stated: str | Sequence[str] | None = None,
    unit: str = "",
    truncated: bool = False,
    strict: bool = False,
    atol: float | None = None,
    wrt: str | None = None,
    shape: str | None = None,
    requires: str | tuple[str, ...] = (),
) -> Claim:
    """Validate a claim's declaration and build its record (no registration).

    Raises:
        DeclarationError: the declaration is inconsistent, naming the claim.
    """
    label = name or getattr(fn, "__name__", repr(fn))
    inputs = dict(inputs or {})
    requires = (requires,) if isinstance(requires, str) else tuple(requires)
    _check_common(form, fn, label, inputs, expect, why, requires)
    _check_stated(form, label, inputs, stated, shape)
    if form in ("convex", "nonconvex") and wrt not in inputs:
        raise DeclarationError(f"{label}: wrt= must name one of the inputs")
    sizes = _normalize_dims(dims, label)
    for p, dom in inputs.items():
        unknown = sorted(dom.size_names() - set(sizes))
        if unknown:
            raise DeclarationError(
                f"{label}: the shape of {p!r} uses size {unknown[0]!r} but dims= "
                "does not list it"
            )
    return Claim(
        form=form,
        fn=fn,
        inputs=inputs,
        dims=sizes,
        name=label,
        source=source,
        expect=expect,
        why=why,
        stated=stated,
        unit=unit,
        truncated=truncated,
        strict=strict,
        atol=atol,
        wrt=wrt,
        shape=shape,
        requires=requires,
    )


def _check_common(
    form: str,
    fn: Callable[..., object],
    label: str,
    inputs: Mapping[str, Domain],
    expect: str,
    why: str,
    requires: tuple[str, ...],
) -> None:
    """What every form checks: ``inputs`` name ``fn``'s parameters in order, each
    a domain; ``expect`` and ``why``; ``requires=`` only for printed claims."""
    params = _positional_names(fn, "the claim", label)
    if tuple(params) != tuple(inputs):
        raise DeclarationError(
            f"{label}: the claim takes ({', '.join(params)}) but inputs= names "
            f"({', '.join(inputs)}); they must match in name and order"
        )
    for p, dom in inputs.items():
        if not isinstance(dom, Domain):
            raise DeclarationError(f"{label}: inputs[{p!r}] must be a checks.domain")
    if expect not in ("pass", "fail"):
        raise DeclarationError(f"{label}: expect must be 'pass' or 'fail'")
    if expect == "fail" and not why:
        raise DeclarationError(f"{label}: expect='fail' needs why='...'")
    if form in UNSAMPLED and inputs:
        raise DeclarationError(f"{label}: a {form} claim takes no inputs")
    if requires and form not in ("output", "bound", "count"):
        raise DeclarationError(
            f"{label}: requires= is for printed outputs, bounds and counts"
        )


def _check_stated(
    form: str,
    label: str,
    inputs: Mapping[str, Domain],
    stated: str | Sequence[str] | None,
    shape: str | None,
) -> None:
    """What the form states: a printed shape (``output`` with ``shape=``), a
    printed number (``bound``; ``count``, an integer), printed values (``value``,
    ``output``), or else a domain to sample (``inputs=``)."""
    if form == "output" and shape is not None:
        if stated is not None:
            raise DeclarationError(f"{label}: give stated= or shape=, not both")
        if not isinstance(shape, str):
            raise DeclarationError(f"{label}: shape= is the shape as printed, a string")
        try:
            printed.parse_shape(shape)
        except ValueError as exc:
            raise DeclarationError(f"{label}: shape= {exc}") from None
    elif form in ("bound", "count"):
        if not isinstance(stated, str):
            raise DeclarationError(f"{label}: stated= must be the number as printed")
        try:
            number = decimal.Decimal(stated)
        except decimal.InvalidOperation:
            raise DeclarationError(
                f"{label}: stated {stated!r} is not a number"
            ) from None
        if form == "count" and number != number.to_integral_value():
            raise DeclarationError(f"{label}: a count is an integer, got {stated!r}")
    elif form in ("value", "output"):
        if isinstance(stated, str):
            texts = [stated]
        elif isinstance(stated, (list, tuple)):
            texts = list(stated)
        else:
            texts = []
        if not texts or not all(isinstance(t, str) for t in texts):
            raise DeclarationError(
                f"{label}: stated= must be the value as printed, a string "
                "(or a list of strings)"
            )
        for t in texts:
            try:
                decimal.Decimal(t)
            except decimal.InvalidOperation:
                raise DeclarationError(
                    f"{label}: stated value {t!r} is not a number"
                ) from None
    elif not inputs:
        raise DeclarationError(f"{label}: a claim over a domain needs inputs=")
