"""Claims: the numbers, identities and inequalities a document states.

A claim is the second kind of catalog entry, declared next to the derivations and
checked by the same run. Nine forms:

- ``value(stated="0.81")``: a worked value, computed with JAX and compared at the
  precision the document prints — within half a unit in the last printed digit
  (``truncated=True``: the document cut the digits, so the value must lie between
  the printed number and the next one away from zero);
- ``identity``: ``fn(*inputs) -> (left, right)`` equal at every sampled input, within
  the rounding-error tolerance of ``checks._src.judge.compare`` (both sides carry a
  running error bound), or within ``atol`` for a stated approximation;
- ``inequality``: ``(smaller, larger)``, smaller ≤ larger + tolerance at every
  sample (``strict=True``: and never exactly equal);
- ``differs``: "not in general" (not symmetric, not equal): ``(a, b)`` passes when
  some sample shows them apart by more than the tolerance, and reports it;
- ``output``, ``bound``, ``count``: what a listing printed (values or a shape),
  a printed number against a bound other printed numbers imply, and an
  enumerated count (``checks._src.evaluate.printed``);
- ``convex`` / ``nonconvex``: the Hessian of a scalar function with respect to
  ``wrt`` is positive semidefinite at every sample (its smallest eigenvalue is at
  least −‖error bound‖), or, for ``nonconvex``, is not at some sample.

Claims over inputs use the same domains, strata and sizes as derivations, in
float64.

The implementation behind the public ``checks.claim`` (which re-exports
``__all__``): the decorators, each registering a ``Claim``
(``checks._src.declare.claim_record``) on its function.
``checks._src.evaluate.claim_check`` checks one; ``checks._src.evaluate.claim_sampled``
judges the forms over sampled inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from checks._src.declare.claim_record import Claim, make_claim
from checks._src.declare.register import register_in_module

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

F = TypeVar("F", bound=Callable[..., object])


class Decorator(Protocol):
    """A claim decorator: registers the claim on a function, returns it unchanged."""

    def __call__(self, fn: F, /) -> F: ...


def _declare(form: str, **options: Any) -> Decorator:
    def register(fn: F) -> F:
        record = make_claim(form, fn, **options)
        fn.__derivation__ = record
        register_in_module(fn, record)
        return fn

    return register


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
