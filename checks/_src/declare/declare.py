"""Declaring a derivation: its record, and the checks a declaration must pass.

A derivation pairs a closed form with the function it claims to differentiate::

    @derivation(of=binary_cross_entropy, wrt="beta",
                inputs={"alpha": domain.unit_interval(),
                        "beta": domain.unit_interval()},
                source="Cross Entropy notes, CE.3")
    def binary_cross_entropy_grad_beta(alpha, beta):
        return (beta - alpha) / (beta * (1 - beta))

``make_derivation`` checks the declaration at once (a mistake is a ``DeclarationError``
naming the derivation) and builds its :class:`Derivation` record; the decorator
(``checks._src.declare.register``) attaches the record to the closed form as
``__derivation__`` and appends it to its module's ``__derivations__`` list;
``as_derivation`` finds the record of a decorated function.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

from checks._src.declare.domain import Domain

if TYPE_CHECKING:
    from checks._src.declare.claim_record import Claim
    from checks._src.declare.forms import Part
    from checks._src.declare.rules import Rule

__all__ = [
    "DeclarationError",
    "Derivation",
    "as_derivation",
]

EXPECTATIONS = ("pass", "fail")
FORMS = ("jacobian", "vjp", "jvp")

# A declared entry's record: a derivation, a claim or a custom rule.
Record: TypeAlias = "Derivation | Claim | Rule"


class DeclarationError(ValueError):
    """A derivation's declaration is inconsistent (raised when it is declared).

    Examples:
        >>> import checks
        >>> def loss(x):
        ...     return x * x
        >>> checks.derivation(of=loss, wrt="y", inputs={"x": checks.domain.real()})(
        ...     lambda x: 2 * x
        ... )
        Traceback (most recent call last):
        checks.DeclarationError: <lambda>: wrt='y' is not a parameter of of= (x)
    """


@dataclass(frozen=True)
class Derivation:
    """A closed form, the function it differentiates, and where to check it.

    Attributes:
      closed_form: the hand-derived derivative, written for one example.
      of: the function being differentiated, same parameters in the same order.
      wrt: the name of the parameter differentiated against, or a tuple of
        names (the closed form then returns a tuple, one entry per name).
      inputs: a domain for every parameter of ``of``.
      order: 1 (Jacobian layout ``of(...).shape + wrt.shape``) or 2 (Hessian;
        with ``form="vjp"``, a Hessian-vector product).
      dims: for each size name, the sizes to check; every combination is a case.
      name, source: how reports name it, and the document and section it states.
      expect: ``"pass"`` for a right derivation, ``"fail"`` for a known-wrong one.
      why: for ``expect="fail"``, the error in one line.
      form: ``"jacobian"`` (the closed form returns the derivative), ``"vjp"``
        (it takes a cotangent of ``of``'s output after ``of``'s parameters and
        returns the cotangent of each ``wrt``) or ``"jvp"`` (it takes a tangent
        per ``wrt`` and returns the tangent of ``of``'s output); see
        ``checks._src.declare.forms``.
      cotangent: with ``form="vjp"``, the domain of the cotangent (a tuple of
        domains when ``of`` returns a tuple); None: ``domain.real`` of its shape.
      tangents: with ``form="jvp"`` (or a Hessian-vector product), a domain per
        ``wrt`` name; a name left out gets ``domain.real`` of its parameter's shape.
      parts: set by ``checks._src.declare.forms`` on the record it checks: the entries
        (``checks._src.declare.forms.Part``) concatenated into the values compared.

    Examples:
        >>> import checks
        >>> def softmax(a):
        ...     return jnp.exp(a) / jnp.sum(jnp.exp(a))
        >>> import jax.numpy as jnp
        >>> @checks.derivation(
        ...     of=softmax,
        ...     wrt="a",
        ...     inputs={"a": checks.domain.real(("k",))},
        ...     dims={"k": (2, 3)},
        ... )
        ... def softmax_jacobian(a):
        ...     s = softmax(a)
        ...     return jnp.diag(s) - jnp.outer(s, s)
        >>> d = checks.as_derivation(softmax_jacobian)
        >>> d.name, d.params, d.wrt_index, list(d.dims_cases())
        ('softmax_jacobian', ('a',), 0, [{'k': 2}, {'k': 3}])
    """

    closed_form: Callable[..., object]
    of: Callable[..., object]
    wrt: str | tuple[str, ...]
    inputs: Mapping[str, Domain]
    order: int = 1
    dims: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    name: str = ""
    source: str = ""
    expect: str = "pass"
    why: str = ""
    form: str = "jacobian"
    cotangent: Domain | tuple[Domain, ...] | None = None
    tangents: Mapping[str, Domain] = field(default_factory=dict)
    parts: tuple[Part, ...] = field(default=(), repr=False, compare=False)

    kind = "derivation"

    @property
    def params(self) -> tuple[str, ...]:
        """The parameter names of ``of``, in order."""
        return tuple(self.inputs)

    @property
    def wrt_names(self) -> tuple[str, ...]:
        """The names in ``wrt``, as a tuple (one name for a single ``wrt``)."""
        return (self.wrt,) if isinstance(self.wrt, str) else tuple(self.wrt)

    @property
    def wrt_index(self) -> int:
        """The position of the first ``wrt`` name among the parameters."""
        return self.params.index(self.wrt_names[0])

    def dims_cases(self) -> Iterator[dict[str, int]]:
        """Every combination of the sizes in ``dims`` (one empty case if none).

        Returns:
            An iterator of ``{size name: size}``, one per case.

        Examples:
            >>> from checks import Derivation, domain
            >>> d = Derivation(
            ...     closed_form=lambda x: x,
            ...     of=lambda x: x,
            ...     wrt="x",
            ...     inputs={"x": domain.real(("m", "n"))},
            ...     dims={"m": (1, 2), "n": (3,)},
            ... )
            >>> list(d.dims_cases())
            [{'m': 1, 'n': 3}, {'m': 2, 'n': 3}]
        """
        return size_combinations(self.dims)

    @property
    def doc(self) -> str:
        """The closed form's docstring ("" when it has none)."""
        return inspect.getdoc(self.closed_form) or ""


def size_combinations(dims: Mapping[str, Sequence[int]]) -> Iterator[dict[str, int]]:
    """Every combination of the sizes in ``dims`` (one empty case if none)."""
    names = sorted(dims)
    for sizes in itertools.product(*(dims[k] for k in names)):
        yield dict(zip(names, sizes))


def _positional_names(
    fn: Callable[..., object], role: str, name: str
) -> tuple[str, ...]:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        raise DeclarationError(
            f"{name}: cannot read the parameters of {role} {fn!r}"
        ) from None
    names = []
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise DeclarationError(
                f"{name}: {role} must name its parameters, not use *args"
            )
        if p.kind is p.KEYWORD_ONLY and p.default is p.empty:
            raise DeclarationError(
                f"{name}: {role} has keyword-only parameter {p.name!r}"
            )
        if p.kind is not p.KEYWORD_ONLY:
            names.append(p.name)
    return tuple(names)


def check_expectation(label: str, expect: str, why: str) -> None:
    """DeclarationError unless ``expect`` is "pass" or "fail", and a "fail"
    names the error in ``why`` (derivations and custom rules alike)."""
    if expect not in EXPECTATIONS:
        raise DeclarationError(
            f"{label}: expect must be 'pass' or 'fail', got {expect!r}"
        )
    if expect == "fail" and not why:
        raise DeclarationError(
            f"{label}: expect='fail' needs why='...' naming the error"
        )


def _normalize_dims(
    dims: Mapping[str, int | Sequence[int]] | None, name: str
) -> dict[str, tuple[int, ...]]:
    out: dict[str, tuple[int, ...]] = {}
    for key, sizes in (dims or {}).items():
        if isinstance(sizes, int) and not isinstance(sizes, bool):
            sizes = (sizes,)
        try:
            sizes = tuple(sizes)
        except TypeError:
            raise DeclarationError(
                f"{name}: dims[{key!r}] must be sizes, got {sizes!r}"
            ) from None
        if not sizes or any(
            isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in sizes
        ):
            raise DeclarationError(
                f"{name}: dims[{key!r}] must be positive ints, got {sizes!r}"
            )
        out[str(key)] = sizes
    return out


def make_derivation(
    closed_form: Callable[..., object],
    *,
    of: Callable[..., object],
    wrt: str | tuple[str, ...],
    inputs: Mapping[str, Domain],
    order: int = 1,
    dims: Mapping[str, int | Sequence[int]] | None = None,
    name: str | None = None,
    source: str = "",
    expect: str = "pass",
    why: str = "",
    form: str = "jacobian",
    cotangent: Domain | Sequence[Domain] | None = None,
    tangents: Domain | Mapping[str, Domain] | None = None,
) -> Derivation:
    """Validate a declaration and build its record (no registration).

    Raises:
        DeclarationError: the declaration is inconsistent, naming the derivation.
    """
    label = name or getattr(closed_form, "__name__", None) or repr(closed_form)
    if not callable(closed_form):
        raise DeclarationError(f"{label}: the closed form must be a function")
    if not callable(of):
        raise DeclarationError(
            f"{label}: of= must be the function being differentiated"
        )
    params = _positional_names(of, "of", label)
    if not params:
        raise DeclarationError(f"{label}: of= takes no parameters")
    _check_inputs(inputs, params, label)
    wrt_names = _wrt_names(wrt, params, label)
    for w in wrt_names:
        if not inputs[w].floating:
            raise DeclarationError(
                f"{label}: cannot differentiate with respect to {w!r}: "
                f"its domain {inputs[w].describe()} is not real-valued"
            )
    _check_form(form, order, wrt_names, label)
    tangent_domains = _tangent_domains(tangents, form, order, wrt_names, inputs, label)
    cotangent = _cotangent_domains(cotangent, form, order, label)
    _check_closed_form_params(closed_form, params, form, order, wrt_names, label)
    check_expectation(label, expect, why)
    sizes = _normalize_dims(dims, label)
    _check_sizes_listed(inputs, params, sizes, label)
    return Derivation(
        closed_form=closed_form,
        of=of,
        wrt=wrt,
        inputs={p: inputs[p] for p in params},
        order=order,
        dims=sizes,
        name=label,
        source=source,
        expect=expect,
        why=why,
        form=form,
        cotangent=cotangent,
        tangents=tangent_domains,
    )


def _check_inputs(
    inputs: Mapping[str, Domain], params: tuple[str, ...], label: str
) -> None:
    """``inputs=`` maps every parameter of ``of`` (and nothing else) to a domain."""
    if not isinstance(inputs, Mapping):
        raise DeclarationError(f"{label}: inputs= must map each parameter to a domain")
    missing = [p for p in params if p not in inputs]
    extra = [p for p in inputs if p not in params]
    if missing:
        raise DeclarationError(
            f"{label}: inputs= has no domain for {', '.join(missing)}"
        )
    if extra:
        raise DeclarationError(
            f"{label}: inputs= names {', '.join(extra)}, which of= does not take"
        )
    for p in params:
        if not isinstance(inputs[p], Domain):
            raise DeclarationError(
                f"{label}: inputs[{p!r}] must be a checks.domain domain, "
                f"got {inputs[p]!r}"
            )


def _check_form(form: str, order: int, wrt: tuple[str, ...], label: str) -> None:
    """``order`` is 1 or 2, ``form`` one of ``FORMS``, and an order-2 check a
    Hessian (``"jacobian"``) or a Hessian-vector product (``"vjp"``) of one name."""
    if order not in (1, 2):
        raise DeclarationError(f"{label}: order must be 1 or 2, got {order!r}")
    if form not in FORMS:
        raise DeclarationError(
            f"{label}: form must be one of {', '.join(map(repr, FORMS))}, got {form!r}"
        )
    if order == 2 and (form == "jvp" or len(wrt) > 1):
        raise DeclarationError(
            f"{label}: order=2 takes one wrt name and form 'jacobian' (the Hessian) "
            "or 'vjp' (a Hessian-vector product)"
        )


def _check_closed_form_params(
    closed_form: Callable[..., object],
    params: tuple[str, ...],
    form: str,
    order: int,
    wrt: tuple[str, ...],
    label: str,
) -> None:
    """The closed form takes ``of``'s parameters in order, then what its form
    adds (a cotangent, or a tangent per ``wrt`` name)."""
    closed_params = _positional_names(closed_form, "the closed form", label)
    extra = _extra_arguments(form, order, wrt)
    if closed_params[: len(params)] != params or len(closed_params) != len(
        params
    ) + len(extra):
        rule = (
            f"the closed form must take them in the same order followed by "
            f"{' and '.join(extra)} (form={form!r})"
            if extra
            else "they must match in name and order"
        )
        raise DeclarationError(
            f"{label}: the closed form takes ({', '.join(closed_params)}) but of= "
            f"takes ({', '.join(params)}); {rule}"
        )


def _check_sizes_listed(
    inputs: Mapping[str, Domain],
    params: tuple[str, ...],
    sizes: Mapping[str, tuple[int, ...]],
    label: str,
) -> None:
    """Every size name a parameter's shape uses is one ``dims=`` lists."""
    for p in params:
        unknown = sorted(inputs[p].size_names() - set(sizes))
        if unknown:
            raise DeclarationError(
                f"{label}: the shape of {p!r} uses size "
                f"{', '.join(map(repr, unknown))} but dims= does not list it "
                f"(add dims={{{unknown[0]!r}: (2, 5)}})"
            )


def _wrt_names(wrt: object, params: tuple[str, ...], label: str) -> tuple[str, ...]:
    """``wrt`` (a name or a tuple of names) checked against ``of``'s parameters."""
    names = (wrt,) if isinstance(wrt, str) else wrt
    if not isinstance(names, tuple) or not names:
        raise DeclarationError(
            f"{label}: wrt= must be a parameter name or a tuple of them, got {wrt!r}"
        )
    for w in names:
        if w not in params:
            raise DeclarationError(
                f"{label}: wrt={w!r} is not a parameter of of= ({', '.join(params)})"
            )
    if len(set(names)) != len(names):
        raise DeclarationError(f"{label}: wrt={wrt!r} names a parameter twice")
    return names


def _extra_arguments(form: str, order: int, wrt: tuple[str, ...]) -> list[str]:
    """What the closed form takes after ``of``'s parameters, in words."""
    if form == "vjp" and order == 2:
        return [f"a tangent of {wrt[0]}"]
    if form == "vjp":
        return ["the cotangent of of='s output"]
    if form == "jvp":
        return [f"a tangent of {w}" for w in wrt]
    return []


def _float_domain(dom: object, what: str, label: str) -> Domain:
    if not isinstance(dom, Domain) or not dom.floating:
        raise DeclarationError(
            f"{label}: {what} must be a real-valued checks.domain domain, got {dom!r}"
        )
    return dom


def _tangent_domains(
    tangents: object,
    form: str,
    order: int,
    wrt: tuple[str, ...],
    inputs: Mapping[str, Domain],
    label: str,
) -> dict[str, Domain]:
    """The domain of each ``wrt`` parameter's tangent that ``tangents=`` names."""
    if tangents is None or (isinstance(tangents, Mapping) and not tangents):
        return {}
    if not (form == "jvp" or (form == "vjp" and order == 2)):
        raise DeclarationError(
            f"{label}: tangents= is for form='jvp' or a Hessian-vector product"
        )
    if isinstance(tangents, Domain):
        if len(wrt) != 1:
            raise DeclarationError(
                f"{label}: with several wrt names, tangents= must map each to a domain"
            )
        tangents = {wrt[0]: tangents}
    if not isinstance(tangents, Mapping):
        raise DeclarationError(
            f"{label}: tangents= must map wrt names to domains, got {tangents!r}"
        )
    out = {}
    for name, dom in tangents.items():
        if name not in wrt:
            raise DeclarationError(
                f"{label}: tangents= names {name!r}, which is not in wrt={wrt!r}"
            )
        out[name] = _float_domain(dom, f"tangents[{name!r}]", label)
        if dom.shape != inputs[name].shape:
            raise DeclarationError(
                f"{label}: tangents[{name!r}] has shape {dom.shape!r} but "
                f"{name!r} has shape {inputs[name].shape!r}"
            )
    return out


def _cotangent_domains(
    cotangent: object, form: str, order: int, label: str
) -> Domain | tuple[Domain, ...] | None:
    """``cotangent=`` checked: one domain, or a tuple for an ``of`` returning one."""
    if cotangent is None:
        return None
    if form != "vjp" or order != 1:
        raise DeclarationError(f"{label}: cotangent= is for form='vjp' (order 1)")
    if isinstance(cotangent, Domain):
        return _float_domain(cotangent, "cotangent=", label)
    if not isinstance(cotangent, (tuple, list)) or not cotangent:
        raise DeclarationError(
            f"{label}: cotangent= must be a domain or a tuple of domains, "
            f"got {cotangent!r}"
        )
    return tuple(
        _float_domain(dom, f"cotangent[{i}]", label) for i, dom in enumerate(cotangent)
    )


def as_derivation(item: object) -> Record:
    """The record (a ``Derivation``, a ``checks.claim.Claim`` or a
    ``checks._src.declare.rules.Rule``) of a decorated function, or the record itself.

    Args:
        item: a function decorated with ``@checks.derivation``,
            ``@checks.rule`` or a ``checks.claim`` decorator, or a record.

    Returns:
        The record: its declaration as data (``of``, ``wrt``, ``inputs``,
        ``dims``, ...).

    Raises:
        DeclarationError: ``item`` was not declared.

    Examples:
        >>> import checks
        >>> from derivations.cross_entropy import binary_cross_entropy_grad_beta
        >>> checks.as_derivation(binary_cross_entropy_grad_beta).wrt
        'beta'
        >>> checks.as_derivation(len)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        checks.DeclarationError: <built-in function len> is not a derivation...
    """
    kinds = ("derivation", "claim", "rule")
    if getattr(item, "kind", None) in kinds and not callable(item):
        return item
    record = getattr(item, "__derivation__", None)
    if getattr(record, "kind", None) in kinds:
        return record
    raise DeclarationError(
        f"{item!r} is not a derivation: decorate it with @checks.derivation(...)"
    )
