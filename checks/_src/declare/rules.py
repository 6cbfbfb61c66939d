"""Custom derivative rules: ``@checks.rule`` above ``@jax.custom_vjp`` or
``@jax.custom_jvp``.

A custom rule replaces autodiff of its function; it is right when it agrees with
autodiff of the function's own primal, undecorated (``f.fun``)::

    @checks.rule(inputs={"x": domain.real(("n",))}, dims={"n": (3, 64)})
    @jax.custom_vjp
    def stable_softplus(x): ...
    stable_softplus.defvjp(fwd, bwd)

checks, for every argument not in ``nondiff_argnums``, in the rule's own form:

- ``custom_vjp``: ``jax.vjp(f)(ū)`` against ``jax.vjp(f.fun)(ū)``, the cotangent
  ``ū`` sampled like an input; and the forward rule's primal output
  ``fwd(x…)[0]`` against ``f.fun(x…)``;
- ``custom_jvp``: ``jax.jvp(f)`` against ``jax.jvp(f.fun)``, a tangent sampled
  per argument; and the rule's primal output against ``f.fun(x…)``.

The check is lowered to one of order 0 (``checks._src.declare.forms``), so it runs as a
derivation does. A non-differentiable argument (``nondiff_argnums``) cannot be a
traced array (JAX forbids it for ``custom_vjp``): ``inputs=`` gives it a plain
value, held fixed, instead of a domain.

Source: JAX documentation, "Custom derivative rules for JAX-transformable Python
functions" (``jax.custom_jvp``, ``jax.custom_vjp``, ``nondiff_argnums``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp

from checks._src.declare import domain as domains
from checks._src.declare.declare import (
    DeclarationError,
    Derivation,
    _normalize_dims,
    check_expectation,
    size_combinations,
)
from checks._src.declare.domain import Domain
from checks._src.declare.forms import FormError, Part, checked_parts, flat, unique_name
from checks._src.declare.register import register_in_module

__all__ = ["Rule", "lower_rule", "rule"]


@dataclass(frozen=True)
class Rule:
    """A ``jax.custom_vjp`` or ``jax.custom_jvp`` function and where to check it.

    Attributes:
      fn: the decorated function (its rule set by ``defvjp`` / ``defjvp``).
      inputs: a domain for every sampled parameter, in order.
      fixed: the value of every non-differentiable parameter (held fixed).
      signature: every parameter name of ``fn``, in order.
      form: ``"vjp"`` (``custom_vjp``) or ``"jvp"`` (``custom_jvp``).
      wrt: the differentiable parameters (those not in ``nondiff_argnums``).
      dims, name, source, expect, why: as for a derivation.
    """

    fn: Any
    inputs: Mapping[str, Domain]
    fixed: Mapping[str, Any]
    signature: tuple[str, ...]
    form: str
    wrt: tuple[str, ...]
    dims: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    name: str = ""
    source: str = ""
    expect: str = "pass"
    why: str = ""

    kind = "rule"
    order = 1

    @property
    def closed_form(self) -> Any:
        """The function whose rule is checked (what reports and repro name)."""
        return self.fn

    @property
    def of(self) -> Callable[..., Any]:
        """Its primal, undecorated: what autodiff differentiates instead."""
        return self.fn.fun

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(self.inputs)

    @property
    def wrt_names(self) -> tuple[str, ...]:
        return self.wrt

    def dims_cases(self) -> Iterator[dict[str, int]]:
        return size_combinations(self.dims)

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.fn.fun) or ""


def _form_of(fn: Any) -> str | None:
    if isinstance(fn, jax.custom_vjp):
        return "vjp"
    if isinstance(fn, jax.custom_jvp):
        return "jvp"
    return None


def make_rule(
    fn: Any,
    *,
    inputs: Mapping[str, Any],
    dims: Mapping[str, Any] | None = None,
    name: str | None = None,
    source: str = "",
    expect: str = "pass",
    why: str = "",
) -> Rule:
    """Validate a rule's declaration and build its record (no registration)."""
    label = name or getattr(fn, "__name__", None) or repr(fn)
    form = _form_of(fn)
    if form is None:
        raise DeclarationError(
            f"{label}: @checks.rule goes above @jax.custom_vjp or @jax.custom_jvp "
            f"(got {type(fn).__name__})"
        )
    signature = tuple(inspect.signature(fn.fun).parameters)
    if not isinstance(inputs, Mapping):
        raise DeclarationError(f"{label}: inputs= must map each parameter to a domain")
    missing = [p for p in signature if p not in inputs]
    extra = [p for p in inputs if p not in signature]
    if missing or extra:
        what = f"has no entry for {', '.join(missing)}" if missing else ""
        what = what or f"names {', '.join(extra)}, which the function does not take"
        raise DeclarationError(f"{label}: inputs= {what}")
    nondiff = {signature[i] for i in getattr(fn, "nondiff_argnums", ())}
    sampled, fixed = {}, {}
    for p in signature:
        value = inputs[p]
        if p in nondiff:
            if isinstance(value, Domain):
                raise DeclarationError(
                    f"{label}: {p!r} is in nondiff_argnums, so it cannot be sampled "
                    "(JAX forbids a traced array there): give it a plain value"
                )
            fixed[p] = value
        elif not isinstance(value, Domain) or not value.floating:
            raise DeclarationError(
                f"{label}: inputs[{p!r}] must be a real-valued checks.domain "
                f"domain (it is differentiated), got {value!r}"
            )
        else:
            sampled[p] = value
    check_expectation(label, expect, why)
    sizes = _normalize_dims(dims, label)
    for p, dom in sampled.items():
        unknown = sorted(dom.size_names() - set(sizes))
        if unknown:
            raise DeclarationError(
                f"{label}: the shape of {p!r} uses size {unknown[0]!r} but dims= "
                "does not list it"
            )
    return Rule(
        fn=fn,
        inputs=sampled,
        fixed=fixed,
        signature=signature,
        form=form,
        wrt=tuple(sampled),
        dims=sizes,
        name=label,
        source=source,
        expect=expect,
        why=why,
    )


def rule(
    *,
    inputs: Mapping[str, Any],
    dims: Mapping[str, Any] | None = None,
    name: str | None = None,
    source: str = "",
    expect: str = "pass",
    why: str = "",
) -> Callable[[Any], Any]:
    """Declare that a ``jax.custom_vjp`` / ``jax.custom_jvp`` function's rule is
    right: it agrees with autodiff of the function's primal.

    Args:
      inputs: a domain for every parameter, or a plain value for one in
        ``nondiff_argnums``.
      dims, name, source, expect, why: as for ``checks.derivation``.

    Returns:
      A decorator that registers the rule and returns the function unchanged
      (so ``f.defvjp(fwd, bwd)`` or ``f.defjvp(jvp)`` follows it).

    Raises:
      DeclarationError: the function is not a ``jax.custom_vjp`` or
        ``jax.custom_jvp``, or the declaration is inconsistent.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> import checks
      >>> @checks.rule(inputs={"x": checks.domain.real()})
      ... @jax.custom_vjp
      ... def softplus(x):
      ...     return jnp.logaddexp(x, 0.0)
      >>> def softplus_fwd(x):
      ...     return softplus(x), x
      >>> def softplus_bwd(x, g):
      ...     return (g * jax.nn.sigmoid(x),)
      >>> softplus.defvjp(softplus_fwd, softplus_bwd)
      >>> checks.verify(softplus, samples=100, dtypes=["float64"]).status
      'pass'
    """

    def register(fn: Any) -> Any:
        record = make_rule(
            fn,
            inputs=inputs,
            dims=dims,
            name=name,
            source=source,
            expect=expect,
            why=why,
        )
        fn.__derivation__ = record
        register_in_module(fn, record)
        return fn

    return register


def lower_rule(r: Rule, dims: dict[str, int]) -> Derivation:
    """``r`` as an order-0 derivation (``checks._src.declare.forms``): the values of
    ``(primal by the rule, derivative by the rule)`` against ``(f.fun, autodiff
    of f.fun)``."""
    from checks._src.declare.forms import output_tree
    from checks._src.evaluate.case_static import example_args

    fn, primal = r.fn, r.fn.fun
    ready = fn.fwd is not None if r.form == "vjp" else fn.jvp is not None
    if not ready:
        define = "defvjp(fwd, bwd)" if r.form == "vjp" else "defjvp(jvp)"
        raise FormError(f"no rule to check: {r.name}.{define} was never called")
    sampled = list(r.inputs)
    n = len(sampled)
    index = [r.signature.index(p) for p in sampled]
    nondiff = [r.fixed[p] for p in r.signature if p in r.fixed]

    def full(xs: tuple[Any, ...]) -> list[Any]:
        given = dict(zip(sampled, xs))
        return [given[p] if p in given else r.fixed[p] for p in r.signature]

    def held(f: Callable[..., Any], args: list[Any]) -> Callable[..., Any]:
        def g(*w: Any) -> Any:
            a = list(args)
            for i, v in zip(index, w):
                a[i] = v
            return f(*a)

        return g

    avals = example_args(r, dims, jnp.float64)
    out_tree = output_tree(lambda *xs: primal(*full(xs)), avals)
    out_leaves, out_def = jax.tree.flatten(out_tree)
    many = len(out_leaves) > 1
    taken = set(sampled)
    extra: dict[str, Domain] = {}
    want = [
        Part(f"primal {i}" if many else "primal", tuple(x.shape))
        for i, x in enumerate(out_leaves)
    ]
    if r.form == "vjp":
        base = "cotangent"
        names = [base] if not many else [f"{base}_{i}" for i in range(len(out_leaves))]
        for name, x in zip(names, out_leaves):
            extra[unique_name(name, taken)] = domains.real(tuple(x.shape))
        want += [Part(p, r.inputs[p].resolve(dims)) for p in sampled]

        def side(f: Callable[..., Any], by_rule: bool) -> Callable[..., Any]:
            def values(*xs: Any) -> jax.Array:
                args = full(xs[:n])
                out = fn.fwd(*args)[0] if by_rule else primal(*args)
                _, pullback = jax.vjp(held(f, args), *xs[:n])
                ct = jax.tree.unflatten(out_def, xs[n:])
                parts = [*jax.tree.leaves(out), *pullback(ct)]
                return flat(checked_parts(parts, want, "the rule"))

            return values

    else:
        for p in sampled:
            extra[unique_name(f"tangent_{p}", taken)] = domains.real(r.inputs[p].shape)
        want += [
            Part(f"tangent {i}" if many else "tangent", tuple(x.shape))
            for i, x in enumerate(out_leaves)
        ]

        def side(f: Callable[..., Any], by_rule: bool) -> Callable[..., Any]:
            def values(*xs: Any) -> jax.Array:
                args = full(xs[:n])
                primals, tangents = tuple(xs[:n]), tuple(xs[n:])
                if by_rule:
                    out = fn.jvp(*nondiff, primals, tangents)[0]
                else:
                    out = primal(*args)
                _, tangent = jax.jvp(held(f, args), primals, tangents)
                parts = [*jax.tree.leaves(out), *jax.tree.leaves(tangent)]
                return flat(checked_parts(parts, want, "the rule"))

            return values

    closed, reference = side(fn, True), side(primal, False)
    closed.__name__ = getattr(fn, "__name__", "rule")
    reference.__name__ = f"autodiff_{r.form}_of_{closed.__name__}"
    return Derivation(
        closed_form=closed,
        of=reference,
        wrt=sampled[0],
        inputs={**r.inputs, **extra},
        order=0,
        dims={k: (v,) for k, v in dims.items()},
        name=r.name,
        source=r.source,
        expect=r.expect,
        why=r.why,
        parts=tuple(want) if len(want) > 1 else (),
    )
