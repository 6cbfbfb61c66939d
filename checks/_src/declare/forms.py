"""VJP, JVP and several-``wrt`` derivations, checked as values of one function.

A derivation in Jacobian form with one ``wrt`` name is checked as declared
(``checks._src.evaluate.case``). Every other kind of entry is *lowered* first, at each
set of sizes, to an equivalent Jacobian-form derivation of order 0 — the closed form's
values compared with the values of an autodiff function ``g`` of the same arguments
(``checks._src.evaluate.reference``: order 0 is ``g`` itself) — so the same machinery
checks it: both engines, the rounding-error tolerance of ``g``
(``checks._src.evaluate.rounding.with_error_bound`` traced through ``jax.vjp`` or
``jax.jvp``, as it is through ``jax.jacrev`` for a Jacobian), float32 stability, the
search and shrinking of a counterexample, sharding, and the reports.

With ``f_w`` the function of the ``wrt`` parameters ``w = (w_1, …, w_k)`` alone
(the others held at their sampled values):

- ``form="vjp"``: ``g(x…, ū) = jax.vjp(f_w, *w)[1](ū)`` = ``ūᵀ·∂f/∂w_i`` for
  each ``i``, with the cotangent ``ū`` (shaped like ``f(x…)``; one per output
  when ``of`` returns a tuple) sampled as one more input;
- ``form="vjp"``, ``order=2``: the Hessian-vector product
  ``g(x…, v) = jax.jvp(jax.grad(f_w), (w,), (v,))[1]`` = ``∇²f·v`` (forward over
  reverse), for a scalar ``f``;
- ``form="jvp"``: ``g(x…, ẇ_1…ẇ_k) = jax.jvp(f_w, w, ẇ)[1]`` = ``Σ_i ∂f/∂w_i·ẇ_i``;
- ``form="jacobian"`` with several names: ``g(x…) = (∂f/∂w_1, …, ∂f/∂w_k)``
  (``checks._src.evaluate.reference`` for each).

No VJP or JVP check forms a Jacobian: ``g`` costs a few evaluations of ``f``
(Griewank & Walther, *Evaluating Derivatives*, 2nd ed., §3.1–3.3 and §5.1).
When either side is a tuple, its entries are raveled and concatenated, in order,
into one array; each entry's shape is checked first (``FormError``).

A custom derivative rule (``checks._src.declare.rules``) lowers the same way, its closed
side being autodiff of the decorated function (which runs the rule) and ``g`` autodiff
of its undecorated primal, with the primal outputs of both prepended.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from checks._src.declare import domain as domains
from checks._src.declare.declare import Derivation, _positional_names
from checks._src.declare.domain import Domain
from checks._src.evaluate.reference import reference
from checks._src.run import caches

__all__ = ["FormError", "lowered", "needs_lowering"]


class FormError(ValueError):
    """A closed form, or ``of``, does not fit the derivation's form: reported as
    the case's error, in one line."""


def needs_lowering(d: Any) -> bool:
    """Whether ``d`` is checked through ``lowered`` (anything but a Jacobian-form
    derivation with one ``wrt`` name, or a claim)."""
    if d.kind == "rule":
        return True
    return d.kind == "derivation" and (
        d.form != "jacobian" or not isinstance(d.wrt, str)
    )


_LOWERED: dict[tuple[Any, ...], tuple[Any, Derivation]] = caches.register({})


def lowered(d: Any, dims: dict[str, int]) -> Any:
    """``d`` as an order-0 Jacobian-form derivation at sizes ``dims`` (``d``
    itself when it needs no lowering); the same object for the same ``d`` and
    sizes, so compiled checks are kept for it."""
    if not needs_lowering(d):
        return d
    key = (id(d), tuple(sorted(dims.items())))
    kept = _LOWERED.get(key)
    if kept is not None and kept[0] is d:
        return kept[1]
    if len(_LOWERED) >= 256:
        _LOWERED.pop(next(iter(_LOWERED)))
    if d.kind == "rule":
        from checks._src.declare.rules import lower_rule

        made = lower_rule(d, dims)
    else:
        made = _lower(d, dims)
    _LOWERED[key] = (d, made)
    return made


@dataclass(frozen=True)
class Part:
    """One entry of a tuple result: what it is, and its shape."""

    label: str
    shape: tuple[int, ...]


def flat(parts: Sequence[Any]) -> jax.Array:
    """One array of ``parts``: the array itself if one, else raveled and
    concatenated in order."""
    parts = [jnp.asarray(p) for p in parts]
    if len(parts) == 1:
        return parts[0]
    return jnp.concatenate([jnp.ravel(p) for p in parts])


def checked_parts(result: Any, want: Sequence[Part], what: str) -> list[Any]:
    """``result``'s entries, after checking there is one per ``want`` (a tuple
    when there are several, one array when there is one) and each has its
    shape; else a ``FormError`` naming the first that does not."""
    many = len(want) > 1
    is_sequence = isinstance(result, (tuple, list))
    if many and not (is_sequence and len(result) == len(want)):
        got = f"{len(result)} entries" if is_sequence else "one array"
        got = "None" if result is None else got
        raise FormError(
            f"{what} returned {got}; it must return a tuple of {len(want)} arrays "
            f"({', '.join(p.label for p in want)})"
        )
    if not many and (is_sequence or result is None):
        got = "None" if result is None else f"a {type(result).__name__}"
        raise FormError(f"{what} returned {got}; it must return one array")
    entries = list(result) if many else [result]
    for entry, part in zip(entries, want):
        shape = tuple(jnp.shape(entry))
        if shape != part.shape:
            raise FormError(
                f"{what} returns shape {shape} for {part.label}, expected {part.shape}"
            )
    return entries


def part_element(parts: Sequence[Part], flat: int) -> str:
    """'[label: j, k]': the entry and index of element ``flat`` of the
    concatenation of ``parts`` (``flat``)."""
    for part in parts:
        size = math.prod(part.shape)
        if flat < size:
            index = np.unravel_index(flat, part.shape) if part.shape else ()
            where = ", ".join(str(int(i)) for i in index)
            return f"[{part.label}{': ' + where if where else ''}]"
        flat -= size
    return f"[{flat}]"


def _holding(of: Callable[..., Any], args: Sequence[Any], index: Sequence[int]):
    """``of`` as a function of the arguments at ``index`` alone, the others held
    at ``args``."""

    def f(*w: Any) -> Any:
        full = list(args)
        for i, v in zip(index, w):
            full[i] = v
        return of(*full)

    return f


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, with ``_`` appended until it is not in ``taken`` (then added)."""
    while name in taken:
        name += "_"
    taken.add(name)
    return name


def output_tree(of: Callable[..., Any], avals: Sequence[Any]) -> Any:
    """The shapes ``of`` returns (a pytree of ``ShapeDtypeStruct``), or a
    ``FormError`` saying why ``of`` cannot be traced or is not real-valued."""
    from checks._src.evaluate.case_static import _where, _whole

    try:
        out = jax.eval_shape(of, *avals)
    except Exception as exc:
        where = _where(exc, of)
        raise FormError(f"of= cannot be traced: {_whole(exc)}{where}") from None
    leaves = jax.tree.leaves(out)
    if not leaves or not all(jnp.issubdtype(x.dtype, jnp.inexact) for x in leaves):
        raise FormError("of= must return real arrays")
    return out


def _cotangent_domains(d: Derivation, leaves: Sequence[Any], dims) -> list[Domain]:
    """The cotangent's domain for each output of ``of`` (``domain.real`` of its
    shape unless ``cotangent=`` gives one), checked against that shape."""
    given = d.cotangent
    if given is None:
        return [domains.real(tuple(x.shape)) for x in leaves]
    given = (given,) if isinstance(given, Domain) else tuple(given)
    if len(given) != len(leaves):
        raise FormError(
            f"cotangent= gives {len(given)} domains but of= returns "
            f"{len(leaves)} arrays"
        )
    for i, (dom, x) in enumerate(zip(given, leaves)):
        if dom.resolve(dims) != tuple(x.shape):
            which = f" {i}" if len(leaves) > 1 else ""
            raise FormError(
                f"cotangent={dom.describe()} has shape {dom.resolve(dims)} but "
                f"of= returns shape {tuple(x.shape)} for output{which}"
            )
    return list(given)


def _lower(d: Derivation, dims: dict[str, int]) -> Derivation:
    from checks._src.evaluate.case_static import example_args

    params = list(d.params)
    index = [params.index(w) for w in d.wrt_names]
    avals = example_args(d, dims, jnp.float64)
    out_tree = output_tree(d.of, avals)
    out_leaves, out_def = jax.tree.flatten(out_tree)
    names = _positional_names(d.closed_form, "the closed form", d.name)
    extra_names = list(names[len(params) :])
    taken = set(params)
    extra: dict[str, Domain] = {}
    wrt_shapes = [d.inputs[w].resolve(dims) for w in d.wrt_names]
    closed_form, of = d.closed_form, d.of
    n = len(params)

    if d.form == "jacobian":
        if len(out_leaves) != 1:
            raise FormError("of= must return one real array")
        out_shape = tuple(out_leaves[0].shape)
        want = [Part(f"∂/∂{w}", out_shape + s) for w, s in zip(d.wrt_names, wrt_shapes)]

        def g(*xs: Any) -> jax.Array:
            shapes = [jax.ShapeDtypeStruct(jnp.shape(x), x.dtype) for x in xs]
            return flat([reference(of, i, 1, shapes)(*xs) for i in index])

        def closed(*xs: Any) -> jax.Array:
            return flat(checked_parts(closed_form(*xs), want, "the closed form"))

    elif d.form == "vjp" and d.order == 2:
        if tuple(out_leaves[0].shape) != () or len(out_leaves) != 1:
            shapes = jax.tree.map(lambda x: x.shape, out_tree)
            raise FormError(
                "order=2 with form='vjp' (a Hessian-vector product) needs of= to "
                f"return a scalar; it returns {shapes}"
            )
        (w,) = d.wrt_names
        v = unique_name(extra_names[0], taken)
        extra[v] = d.tangents.get(w) or domains.real(d.inputs[w].shape)
        want = [Part(f"H·{v}", wrt_shapes[0])]

        def g(*xs: Any) -> jax.Array:
            grad = jax.grad(_holding(of, xs[:n], index))
            return jax.jvp(grad, (xs[index[0]],), (xs[n],))[1]

        def closed(*xs: Any) -> jax.Array:
            return flat(checked_parts(closed_form(*xs), want, "the closed form"))

    elif d.form == "vjp":
        base = extra_names[0]
        if len(out_leaves) == 1 and jax.tree_util.treedef_is_leaf(out_def):
            cts = [unique_name(base, taken)]
        else:
            cts = [unique_name(f"{base}_{i}", taken) for i in range(len(out_leaves))]
        extra.update(zip(cts, _cotangent_domains(d, out_leaves, dims)))
        want = [Part(w, s) for w, s in zip(d.wrt_names, wrt_shapes)]

        def g(*xs: Any) -> jax.Array:
            wrt = [xs[i] for i in index]
            _, pullback = jax.vjp(_holding(of, xs[:n], index), *wrt)
            return flat(pullback(jax.tree.unflatten(out_def, xs[n:])))

        def closed(*xs: Any) -> jax.Array:
            ct = jax.tree.unflatten(out_def, xs[n:])
            result = closed_form(*xs[:n], ct)
            return flat(checked_parts(result, want, "the closed form"))

    else:  # jvp
        for w, name in zip(d.wrt_names, extra_names):
            extra[unique_name(name, taken)] = d.tangents.get(w) or domains.real(
                d.inputs[w].shape
            )
        many = not jax.tree_util.treedef_is_leaf(out_def)
        want = [
            Part(
                f"output {i}" if many else "the output",
                tuple(x.shape),
            )
            for i, x in enumerate(out_leaves)
        ]

        def g(*xs: Any) -> jax.Array:
            primals = tuple(xs[i] for i in index)
            _, tangent = jax.jvp(_holding(of, xs[:n], index), primals, tuple(xs[n:]))
            return flat(jax.tree.leaves(tangent))

        def closed(*xs: Any) -> jax.Array:
            result = closed_form(*xs)
            if many and isinstance(result, (tuple, list)):
                result = jax.tree.leaves(result)
            return flat(checked_parts(result, want, "the closed form"))

    parts = tuple(want) if len(want) > 1 else ()
    g.__name__ = f"autodiff_{d.form}_of_{getattr(of, '__name__', 'of')}"
    closed.__name__ = getattr(closed_form, "__name__", "closed_form")
    return replace(
        d,
        closed_form=closed,
        of=g,
        wrt=params[index[0]],
        inputs={**d.inputs, **extra},
        order=0,
        dims={k: (v,) for k, v in dims.items()},
        form="jacobian",
        cotangent=None,
        tangents={},
        parts=parts,
    )
