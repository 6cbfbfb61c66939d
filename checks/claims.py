"""Claims: the numbers, identities and inequalities a document states.

A claim is the second kind of catalog entry, declared next to the derivations and
checked by the same run. Nine forms:

- ``value(stated="0.81")``: a worked value, computed with JAX and compared at the
  precision the document prints — within half a unit in the last printed digit
  (``truncated=True``: the document cut the digits, so the value must lie between
  the printed number and the next one away from zero);
- ``identity``: ``fn(*inputs) -> (left, right)`` equal at every sampled input,
  within the rounding-error tolerance of ``checks.compare`` (both sides carry a
  running error bound), or within ``atol`` for a stated approximation;
- ``inequality``: ``(smaller, larger)``, smaller ≤ larger + tolerance at every
  sample (``strict=True``: and never exactly equal);
- ``differs``: "not in general" (not symmetric, not equal): ``(a, b)`` passes when
  some sample shows them apart by more than the tolerance, and reports it;
- ``output``, ``bound``, ``count``: what a listing printed (values or a shape),
  a printed number against a bound other printed numbers imply, and an
  enumerated count (``checks.printed``);
- ``convex`` / ``nonconvex``: the Hessian of a scalar function with respect to
  ``wrt`` is positive semidefinite at every sample (its smallest eigenvalue is at
  least −‖error bound‖), or, for ``nonconvex``, is not at some sample.

Claims over inputs use the same domains, strata and sizes as derivations, in
float64.
"""

from __future__ import annotations

import dataclasses
import decimal
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from checks import ahead, caches, compare, on_host, printed, sampling
from checks import case as case_module
from checks.case import (
    _compiler_options,
    _nested,
    block_points,
    example_args,
    over_points,
)
from checks.declare import (
    DeclarationError,
    _normalize_dims,
    _positional_names,
    register_in_module,
    size_combinations,
)
from checks.domain import Domain
from checks.lapack import with_inline_lapack
from checks.precision import in_float64
from checks.result import CaseResult, Counterexample, DerivationResult
from checks.rounding import with_error_bound

__all__ = [
    "Claim",
    "bound",
    "convex",
    "count",
    "differs",
    "identity",
    "inequality",
    "nonconvex",
    "output",
    "value",
]

# A claim decorator: registers the claim on a function and returns it unchanged.
Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

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
    fn: Callable[..., Any]
    inputs: Mapping[str, Domain] = field(default_factory=dict)
    dims: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    name: str = ""
    source: str = ""
    expect: str = "pass"
    why: str = ""
    stated: Any = None  # value: the printed string, or a list of them
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


def _declare(form: str, **options: Any) -> Decorator:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        record = _make_claim(form, fn, **options)
        fn.__derivation__ = record
        register_in_module(fn, record)
        return fn

    return register


def _make_claim(
    form: str,
    fn: Callable[..., Any],
    *,
    inputs: Mapping[str, Domain] | None = None,
    dims: Mapping[str, Any] | None = None,
    name: str | None = None,
    source: str = "",
    expect: str = "pass",
    why: str = "",
    stated: Any = None,
    unit: str = "",
    truncated: bool = False,
    strict: bool = False,
    atol: float | None = None,
    wrt: str | None = None,
    shape: str | None = None,
    requires: tuple[str, ...] = (),
) -> Claim:
    label = name or getattr(fn, "__name__", repr(fn))
    inputs = dict(inputs or {})
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
    requires = (requires,) if isinstance(requires, str) else tuple(requires)
    if form in UNSAMPLED and inputs:
        raise DeclarationError(f"{label}: a {form} claim takes no inputs")
    if requires and form not in ("output", "bound", "count"):
        raise DeclarationError(
            f"{label}: requires= is for printed outputs, bounds and counts"
        )
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


def value(*, stated: str | Sequence[str], **options: Any) -> Decorator:
    """A worked value: ``fn()`` computes it; ``stated`` is the number as printed.

    It passes when the value lies within half a unit in the last printed digit
    (``truncated=True``: between the printed number and the next one away from
    zero).

    Args:
        stated: the number as printed (a string, so its digits count), or a
            list of them for an array.
        **options: ``name``, ``source``, ``expect``, ``why`` as for
            ``checks.derivation``; ``unit`` (a word the report shows) and ``truncated``.

    Returns:
        A decorator that registers the claim on ``fn`` and returns ``fn``
        unchanged; ``checks.verify(fn)`` checks it.

    Raises:
        DeclarationError: an inconsistent declaration (``inputs`` not naming
            ``fn``'s parameters in order, ``expect="fail"`` without ``why``).

    Examples:
        >>> import jax.numpy as jnp
        >>> import checks
        >>> from checks import domain
        >>> @checks.claim.value(stated="0.81", unit="bits")
        ... def coin_entropy():
        ...     p = jnp.array([0.25, 0.75])
        ...     return -(p * jnp.log2(p)).sum()
        >>> checks.verify(coin_entropy).status
        'pass'
        >>> @checks.claim.value(stated="0.82", unit="bits")
        ... def coin_entropy_misprinted():
        ...     p = jnp.array([0.25, 0.75])
        ...     return -(p * jnp.log2(p)).sum()
        >>> checks.verify(coin_entropy_misprinted).status
        'fail'
    """
    return _declare("value", stated=stated, **options)


def output(
    *,
    stated: str | Sequence[str] | None = None,
    shape: str | None = None,
    **options: Any,
) -> Decorator:
    """A printed output: ``fn()`` recomputes it from the listed code; ``stated`` is
    the value as printed (a string, or a list of them) or ``shape`` the printed
    shape. ``requires=("sklearn",)``: skipped where that is not installed.

    Args:
        stated: the printed values, or None with ``shape``.
        shape: the printed shape, e.g. ``"(150, 4)"``.
        **options: ``name``, ``source``, ``expect``, ``why`` as for
            ``checks.derivation``; ``requires``, the modules the listed code imports.

    Returns:
        A decorator that registers the claim on ``fn`` and returns ``fn``
        unchanged; ``checks.verify(fn)`` checks it.

    Raises:
        DeclarationError: an inconsistent declaration (``inputs`` not naming
            ``fn``'s parameters in order, ``expect="fail"`` without ``why``).

    Examples:
        >>> import jax.numpy as jnp
        >>> import checks
        >>> from checks import domain
        >>> @checks.claim.output(shape="(2, 3)")
        ... def printed_shape():
        ...     return jnp.zeros((2, 3))
        >>> checks.verify(printed_shape).status
        'pass'
    """
    return _declare("output", stated=stated, shape=shape, **options)


def bound(*, stated: str, **options: Any) -> Decorator:
    """A printed number ``stated`` and ``fn() -> (low, high)``, the bound other
    printed numbers imply (None: unbounded on that side).

    Args:
        stated: the printed number.
        **options: ``name``, ``source``, ``expect``, ``why`` as for
            ``checks.derivation``.

    Returns:
        A decorator that registers the claim on ``fn`` and returns ``fn``
        unchanged; ``checks.verify(fn)`` checks it.

    Raises:
        DeclarationError: an inconsistent declaration (``inputs`` not naming
            ``fn``'s parameters in order, ``expect="fail"`` without ``why``).

    Examples:
        >>> import checks
        >>> @checks.claim.bound(stated="0.5")
        ... def a_probability():
        ...     return 0.0, 1.0
        >>> checks.verify(a_probability).status
        'pass'
    """
    return _declare("bound", stated=stated, **options)


def count(*, stated: str, **options: Any) -> Decorator:
    """A printed count: ``fn()`` enumerates it (a Python int), equal exactly.

    Args:
        stated: the printed count.
        **options: ``name``, ``source``, ``expect``, ``why`` as for
            ``checks.derivation``.

    Returns:
        A decorator that registers the claim on ``fn`` and returns ``fn``
        unchanged; ``checks.verify(fn)`` checks it.

    Raises:
        DeclarationError: an inconsistent declaration (``inputs`` not naming
            ``fn``'s parameters in order, ``expect="fail"`` without ``why``).

    Examples:
        >>> import itertools
        >>> import checks
        >>> @checks.claim.count(stated="6")
        ... def orderings_of_three():
        ...     return len(list(itertools.permutations(range(3))))
        >>> checks.verify(orderings_of_three).status
        'pass'
    """
    return _declare("count", stated=stated, **options)


def identity(**options: Any) -> Decorator:
    """``fn(*inputs) -> (left, right)``, equal at every sampled input.

    Equal within the rounding-error tolerance of the verdict rule (both sides
    carry a running error bound), or within ``atol`` for a stated
    approximation.

    Args:
        **options: ``inputs`` (a domain per parameter of ``fn``, in order),
            ``dims``, ``name``, ``source``, ``expect``, ``why`` as for
            ``checks.derivation``; ``atol``.

    Returns:
        A decorator that registers the claim on ``fn`` and returns ``fn``
        unchanged; ``checks.verify(fn)`` checks it.

    Raises:
        DeclarationError: an inconsistent declaration (``inputs`` not naming
            ``fn``'s parameters in order, ``expect="fail"`` without ``why``).

    Examples:
        >>> import jax.numpy as jnp
        >>> import checks
        >>> from checks import domain
        >>> @checks.claim.identity(
        ...     inputs={"p": domain.simplex(("k",))}, dims={"k": (3,)}
        ... )
        ... def entropy_two_ways(p):
        ...     return -(p * jnp.log(p)).sum(), (p * jnp.log(1 / p)).sum()
        >>> checks.verify(entropy_two_ways, samples=100).status
        'pass'
    """
    return _declare("identity", **options)


def inequality(**options: Any) -> Decorator:
    """``fn(*inputs) -> (smaller, larger)``, smaller ≤ larger at every sample.

    Within the rounding-error tolerance; ``strict=True``: and never equal.

    Args:
        **options: ``inputs`` (a domain per parameter of ``fn``, in order),
            ``dims``, ``name``, ``source``, ``expect``, ``why`` as for
            ``checks.derivation``; ``strict``.

    Returns:
        A decorator that registers the claim on ``fn`` and returns ``fn``
        unchanged; ``checks.verify(fn)`` checks it.

    Raises:
        DeclarationError: an inconsistent declaration (``inputs`` not naming
            ``fn``'s parameters in order, ``expect="fail"`` without ``why``).

    Examples:
        >>> import jax.numpy as jnp
        >>> import checks
        >>> from checks import domain
        >>> @checks.claim.inequality(inputs={"x": domain.real()})
        ... def exp_above_its_tangent(x):
        ...     return 1 + x, jnp.exp(x)
        >>> checks.verify(exp_above_its_tangent, samples=100).status
        'pass'
    """
    return _declare("inequality", **options)


def differs(**options: Any) -> Decorator:
    """'Not in general': ``fn(*inputs) -> (a, b)`` differ at some sampled input.

    It passes with a witness: a sample where the two differ by more than the
    tolerance.

    Args:
        **options: ``inputs`` (a domain per parameter of ``fn``, in order),
            ``dims``, ``name``, ``source``, ``expect``, ``why`` as for
            ``checks.derivation``.

    Returns:
        A decorator that registers the claim on ``fn`` and returns ``fn``
        unchanged; ``checks.verify(fn)`` checks it.

    Raises:
        DeclarationError: an inconsistent declaration (``inputs`` not naming
            ``fn``'s parameters in order, ``expect="fail"`` without ``why``).

    Examples:
        >>> import jax.numpy as jnp
        >>> import checks
        >>> from checks import domain
        >>> @checks.claim.differs(
        ...     inputs={"p": domain.simplex(("k",)), "q": domain.simplex(("k",))},
        ...     dims={"k": (3,)},
        ... )
        ... def kl_is_not_symmetric(p, q):
        ...     kl = lambda a, b: (a * jnp.log(a / b)).sum()
        ...     return kl(p, q), kl(q, p)
        >>> checks.verify(kl_is_not_symmetric, samples=100).status
        'pass'
    """
    return _declare("differs", **options)


def convex(**options: Any) -> Decorator:
    """``fn(*inputs)`` (a scalar) is convex in ``wrt``: PSD Hessian at every sample.

    Its smallest eigenvalue is at least −‖error bound‖ at every sample.

    Args:
        **options: ``inputs`` (a domain per parameter of ``fn``, in order),
            ``dims``, ``name``, ``source``, ``expect``, ``why`` as for
            ``checks.derivation``; ``wrt``, the parameter.

    Returns:
        A decorator that registers the claim on ``fn`` and returns ``fn``
        unchanged; ``checks.verify(fn)`` checks it.

    Raises:
        DeclarationError: an inconsistent declaration (``inputs`` not naming
            ``fn``'s parameters in order, ``expect="fail"`` without ``why``).

    Examples:
        >>> import jax.numpy as jnp
        >>> import checks
        >>> from checks import domain
        >>> @checks.claim.convex(
        ...     wrt="z", inputs={"z": domain.real(("k",))}, dims={"k": (3,)}
        ... )
        ... def log_sum_exp(z):
        ...     return jnp.log(jnp.exp(z).sum())
        >>> checks.verify(log_sum_exp, samples=100).status
        'pass'
    """
    return _declare("convex", **options)


def nonconvex(**options: Any) -> Decorator:
    """``fn(*inputs)`` is not convex in ``wrt``: a sample with a negative curvature.

    Args:
        **options: ``inputs`` (a domain per parameter of ``fn``, in order),
            ``dims``, ``name``, ``source``, ``expect``, ``why`` as for
            ``checks.derivation``; ``wrt``, the parameter.

    Returns:
        A decorator that registers the claim on ``fn`` and returns ``fn``
        unchanged; ``checks.verify(fn)`` checks it.

    Raises:
        DeclarationError: an inconsistent declaration (``inputs`` not naming
            ``fn``'s parameters in order, ``expect="fail"`` without ``why``).

    Examples:
        >>> import jax.numpy as jnp
        >>> import checks
        >>> from checks import domain
        >>> @checks.claim.nonconvex(wrt="x", inputs={"x": domain.real()})
        ... def sine(x):
        ...     return jnp.sin(x)
        >>> checks.verify(sine, samples=100).status
        'pass'
    """
    return _declare("nonconvex", **options)


# --- checking ---------------------------------------------------------------------


def _decimal_unit(text: str) -> decimal.Decimal:
    """One unit in the last printed digit of ``text`` ('0.81' -> 0.01)."""
    exponent = decimal.Decimal(text.strip()).as_tuple().exponent
    return decimal.Decimal(1).scaleb(int(exponent))


def _check_value(c: Claim, device: Any) -> CaseResult:
    here = on_host.choose(device).engine == "numpy"
    computed = on_host.value(c.fn) if here else None
    if computed is None:
        computed = jax.device_get(c.fn())
    computed = np.atleast_1d(np.asarray(computed, np.float64)).ravel()
    texts = [c.stated] if isinstance(c.stated, str) else list(c.stated)
    base = {"dtype": "float64", "device": "cpu", "dims": {}, "samples": 1}
    if computed.size != len(texts):
        return CaseResult(
            status="error",
            message=f"computes {computed.size} numbers but {len(texts)} are stated",
            **base,
        )
    worst, worst_i, messages = -1.0, 0, []
    for i, (x, text) in enumerate(zip(computed, texts)):
        stated = float(text)
        unit = float(_decimal_unit(text))
        if c.truncated:
            low, high = sorted((stated, stated + np.copysign(unit, stated or 1.0)))
            ok = low - 1e-12 * abs(low) <= x < high
            ratio = 0.0 if ok else np.inf
        else:
            allowed = unit / 2 * (1 + 1e-9)
            ratio = abs(x - stated) / allowed
            ok = compare.verdict(ratio) == "pass"
        if ratio > worst:
            worst, worst_i = ratio, i
        if not ok:
            how = "truncated to" if c.truncated else "rounded to"
            messages.append(
                f"computed {x:.10g}, which {how} the printed digits is not {text}"
            )
    unit_note = f" {c.unit}" if c.unit else ""
    if messages:
        return CaseResult(
            status="fail",
            message="; ".join(messages) + unit_note,
            ratio=float(worst),
            worst_error=float(abs(computed[worst_i] - float(texts[worst_i]))),
            tolerance=float(_decimal_unit(texts[worst_i])) / 2,
            counterexample=Counterexample(
                inputs={},
                closed_form=[float(t) for t in texts],
                reference=computed.tolist(),
                element=[worst_i] if len(texts) > 1 else [],
                region={},
            ),
            checked=1,
            **base,
        )
    shown = ", ".join(repr(float(x)) for x in computed)
    return CaseResult(
        status="pass",
        message=f"computed {shown}{unit_note}: matches the printed {', '.join(texts)}",
        ratio=float(max(worst, 0.0)),
        checked=1,
        **base,
    )


_PROGRAMS: dict[tuple[Any, ...], tuple[Claim, Any]] = caches.register({})


def _sides(c: Claim, dims: dict[str, int], n: int):
    """Compiled: sample the inputs and evaluate both sides with error bounds; kept,
    so another seed compiles nothing."""
    key = (
        id(c),
        tuple(sorted(dims.items())),
        n,
        case_module.computes(c, dims, ["float64"]),
    )
    cached = _PROGRAMS.get(key)
    if cached is not None and cached[0] is c:
        return cached[1]
    if len(_PROGRAMS) >= 256:
        _PROGRAMS.pop(next(iter(_PROGRAMS)))
    program = _build_sides(c, dims, n)
    _PROGRAMS[key] = (c, program)
    return program


def _build_sides(c: Claim, dims: dict[str, int], n: int):
    args = tuple(example_args(c, dims, jnp.float64))  # type: ignore[arg-type]
    if c.form in ("convex", "nonconvex"):
        index = list(c.inputs).index(c.wrt)
        shape = args[index].shape
        size = int(np.prod(shape)) if shape else 1

        def hess(*xs):
            return jax.hessian(c.fn, argnums=index)(*xs).reshape(size, size)

        sides = [with_error_bound(hess, *args)]
    else:
        sides = [
            with_error_bound(lambda *xs, k=k: jnp.asarray(c.fn(*xs)[k]), *args)
            for k in (0, 1)
        ]
    domains = list(c.inputs.values())
    values = [jax.eval_shape(side, *args)[0] for side in sides]
    sizes = [int(np.prod(v.shape)) for v in values] + [
        int(np.prod(a.shape)) for a in args
    ]
    block = block_points(max(sizes))

    def program(key):
        xs, strata = [], []
        for i, dom in enumerate(domains):
            x, s = dom.sample(
                sampling.substream(key, i),
                n,
                dims,
                jnp.float64 if dom.floating else jnp.int32,
            )
            xs.append(x)
            strata.append(s)
        return xs, strata, [over_points(side, block)(*xs) for side in sides]

    return jax.jit(with_inline_lapack(program), compiler_options=_compiler_options())


def _ahead_key(c: Claim, dims: dict[str, int], n: int) -> tuple[Any, ...]:
    return (
        "claim",
        id(c),
        tuple(sorted(dims.items())),
        n,
        jax.config.jax_default_device,
        case_module.computes(c, dims, ["float64"]),
    )


def ahead_jobs(c: Claim, samples: int, seed: int, device: Any) -> list[ahead.Job]:
    """The programs of a sampled claim, for ``checks.ahead`` (best effort)."""
    if c.form in UNSAMPLED:
        return []
    jobs = []
    with jax.default_device(device):
        for dims in c.dims_cases():
            chunk = min(samples, case_module.MAX_CHUNK)
            try:
                if _host_program(c, dims, samples, chunk, device) is not None:
                    continue  # evaluated by NumPy: nothing to compile
                program = _sides(c, dims, chunk)
                key = _ahead_key(c, dims, chunk)
            except Exception:
                continue
            args = (sampling.stream(seed),)
            once = chunk == samples
            jobs.append(
                ahead.Job(key, program, args, device, once, _compiler_options())
            )
    return jobs


def _point(c: Claim, xs, strata, i: int) -> dict[str, Any]:
    params = list(c.inputs)
    return {
        "inputs": {p: _nested(x[i]) for p, x in zip(params, xs)},
        "region": {p: c.inputs[p].strata[int(s[i])] for p, s in zip(params, strata)},
    }


@dataclass
class _ClaimChunk:
    """One chunk's part of a sampled claim's verdict."""

    checked: int = 0
    witnesses: int = 0
    witness: Counterexample | None = None
    bad: int = 0
    worst: float = -np.inf
    worst_what: str = ""
    worst_ce: Counterexample | None = None


@np.errstate(all="ignore")
def _judge_chunk(c: Claim, xs, strata, sides, n: int) -> _ClaimChunk:
    """Evaluate the claim's rule on ``n`` points of one chunk."""
    if c.form in ("convex", "nonconvex"):
        ((h, eh),) = sides
        finite = np.all(np.isfinite(h.reshape(n, -1)), axis=1) & np.all(
            np.isfinite(eh.reshape(n, -1)), axis=1
        )
        sym = (
            np.where(finite[:, None, None], h, 0)
            + np.swapaxes(np.where(finite[:, None, None], h, 0), 1, 2)
        ) / 2
        lowest = np.linalg.eigvalsh(sym)[:, 0]
        slack = compare.curvature_slack(np.where(finite[:, None, None], eh, 0))
        negative = finite & (lowest < -slack)
        left, right = lowest, -slack
        bad = negative if c.form == "convex" else None
        witness = negative
        score = -left / -right
    else:
        (a, ea), (b, eb) = sides
        a2, b2 = a.reshape(n, -1), b.reshape(n, -1)
        ea2, eb2 = ea.reshape(n, -1), eb.reshape(n, -1)
        finite = np.all(np.isfinite(a2) & np.isfinite(b2), axis=1)
        tol = compare.claim_tolerance(ea2, eb2, c.atol)
        if c.form == "inequality":
            excess = (a2 - b2) / tol
            if c.strict:
                excess = np.where(a2 == b2, np.inf, excess)
        else:  # identity, differs
            excess = np.abs(a2 - b2) / tol
        worst_el = np.argmax(np.where(np.isnan(excess), -np.inf, excess), axis=1)
        score = np.take_along_axis(excess, worst_el[:, None], 1)[:, 0]
        left, right = a, b
        bad = finite & compare.outside(score) if c.form != "differs" else None
        witness = finite & compare.outside(score)

    def counterexample(i: int) -> Counterexample:
        point = _point(c, xs, strata, i)
        return Counterexample(
            inputs=point["inputs"],
            closed_form=_nested(left[i]),
            reference=_nested(right[i]),
            element=[],
            region=point["region"],
        )

    part = _ClaimChunk(checked=int(finite.sum()), witnesses=int(witness.sum()))
    if c.form in ("differs", "nonconvex"):
        if witness.any():
            part.witness = counterexample(int(np.flatnonzero(witness)[0]))
    elif bad.any():
        i = int(np.argmax(np.where(bad, score, -np.inf)))
        part.bad = int(bad.sum())
        part.worst = float(score[i])
        part.worst_ce = counterexample(i)
        if c.form == "convex":
            part.worst_what = f"the Hessian has eigenvalue {float(left[i]):.6g} < 0"
        elif c.form == "identity":
            part.worst_what = "the two sides differ"
        else:
            part.worst_what = "the smaller side is larger"
    return part


def _host_program(c: Claim, dims: dict[str, int], n: int, chunk: int, device: Any):
    """The claim's sides evaluated by NumPy (``checks.on_host``) when they are one
    chunk on the CPU and can be evaluated there; else None."""
    if on_host.choose(device, chunks=-(-n // chunk)).engine != "numpy":
        return None
    return on_host.sides_program(c, dims, chunk)


def _runner(c: Claim, dims: dict[str, int], n: int, chunk: int, device: Any):
    """``run(stream)``: a chunk's inputs, strata and sides on the host, from NumPy
    where ``_host_program`` allows, else (or should NumPy fail) compiled."""
    return on_host.runner(
        _host_program(c, dims, n, chunk, device),
        lambda: ahead.compiled(_ahead_key(c, dims, chunk), _sides(c, dims, chunk)),
        jax.device_get,
    )


def _check_sampled(
    c: Claim, dims: dict[str, int], n: int, seed: int, device: Any
) -> CaseResult:
    """A sampled claim at one set of sizes, ``checks.case.MAX_CHUNK`` points at
    a time; the result names the engine that evaluated it."""
    chunk = min(n, case_module.MAX_CHUNK)
    program = _runner(c, dims, n, chunk, device)
    result = _check_sampled_by(program, c, dims, n, seed, chunk)
    result.engine, result.engine_fallback = program.engine, program.fallback
    return result


def sampled_chunks(
    program: Callable[..., Any], n: int, chunk: int, seed: int
) -> Iterator[tuple[int, Any]]:
    """A sampled claim's ``n`` points, ``chunk`` at a time: each chunk's number of
    points and its inputs, strata and sides (``program``'s output, cut to them),
    drawn from the run's ``seed`` as the check draws them."""
    for index, first in enumerate(range(0, n, chunk)):
        count = min(chunk, n - first)
        out = program(sampling.chunk_stream(seed, index))
        yield count, jax.tree.map(lambda x, k=count: x[:k], out)
        del out


def _check_sampled_by(
    program: Callable[..., Any],
    c: Claim,
    dims: dict[str, int],
    n: int,
    seed: int,
    chunk: int,
) -> CaseResult:
    base = {"dtype": "float64", "device": "cpu", "dims": dict(dims), "samples": n}
    parts = []
    for count, (xs, strata, sides) in sampled_chunks(program, n, chunk, seed):
        parts.append(_judge_chunk(c, xs, strata, sides, count))
        del xs, strata, sides
    checked = sum(p.checked for p in parts)
    if checked == 0:
        return CaseResult(
            status="error", message="no sampled point could be evaluated", **base
        )
    left_out = f"; {n - checked} points left out (not finite)" if checked < n else ""
    if c.form in ("differs", "nonconvex"):
        found = [p.witness for p in parts if p.witness is not None]
        if not found:
            what = "a negative curvature" if c.form == "nonconvex" else "a difference"
            return CaseResult(
                status="fail",
                message=f"no witness: no sampled point shows {what} beyond rounding"
                f" ({checked} points){left_out}",
                checked=checked,
                **base,
            )
        witnesses = sum(p.witnesses for p in parts)
        return CaseResult(
            status="pass",
            message=f"witness found at {witnesses} of {checked} points, e.g. "
            f"{found[0].inputs}{left_out}",
            checked=checked,
            counterexample=found[0],
            **base,
        )
    bad = sum(p.bad for p in parts)
    if bad:
        worst = max((p for p in parts if p.bad), key=lambda p: p.worst)
        ce = worst.worst_ce
        edges = ", ".join(f"{p}: {s}" for p, s in ce.region.items() if s != "bulk")
        return CaseResult(
            status="fail",
            message=f"{worst.worst_what} at {bad} of {checked} points"
            + (f" (e.g. sampled from {edges})" if edges else "")
            + left_out,
            checked=checked,
            ratio=worst.worst,
            counterexample=ce,
            **base,
        )
    return CaseResult(
        status="pass",
        message=f"holds at {checked} points{left_out}",
        checked=checked,
        **base,
    )


@in_float64
def check_claim(c: Claim, samples: int, seed: int, device: Any) -> DerivationResult:
    """Check a claim; one case per set of sizes (float64)."""
    result = DerivationResult(
        name=c.name, source=c.source, expect=c.expect, why=c.why, kind="claim"
    )
    start = time.perf_counter()
    with jax.default_device(device):
        cases: Sequence[dict[str, int]] = (
            [{}] if c.form in UNSAMPLED else list(c.dims_cases())
        )
        for dims in cases:
            try:
                if c.form == "value":
                    case = _check_value(c, device)
                elif c.form in UNSAMPLED:
                    case = printed.check_printed(
                        c,
                        lambda x: _check_value(
                            dataclasses.replace(c, fn=lambda: np.asarray(x)), device
                        ),
                    )
                else:
                    case = _check_sampled(c, dims, samples, seed, device)
            except Exception as exc:
                text = str(exc).strip().splitlines()
                case = CaseResult(
                    dtype="float64",
                    device=device.platform,
                    dims=dict(dims),
                    samples=samples,
                    status="error",
                    message=f"{type(exc).__name__}: {text[0] if text else ''}",
                )
            case.device = device.platform
            case.seconds = time.perf_counter() - start
            result.cases.append(case)
    return result
