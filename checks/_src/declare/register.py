"""Registering a declaration: the ``@derivation`` decorator, its module's
``__derivations__`` list (``derivations_in`` reads it back), and where a
declaration was made.

The decorator checks the declaration at once
(``checks._src.declare.declare.make_derivation``), attaches the record to the closed
form as ``__derivation__``, appends it to its module's ``__derivations__`` list
(``derivations_in`` reads it back) and returns the closed form unchanged. Claims
(``checks.claim``) and custom rules (``checks.rule``) register theirs the same way.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import TypeVar

from checks._src.declare.declare import (
    DeclarationError,
    Record,
    as_derivation,
    make_derivation,
)
from checks._src.declare.domain import Domain

# A decorated function: returned unchanged by its decorator.
F = TypeVar("F", bound=Callable[..., object])


def derivation(
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
) -> Callable[[F], F]:
    """Declare that the decorated function is the derivative of ``of`` wrt ``wrt``.

    Args:
      of: the function being differentiated.
      wrt: the name of one parameter of ``of``, or a tuple of names (the closed
        form returns a tuple, one entry per name, in that order).
      inputs: a domain (``checks.domain``) for every parameter of ``of``.
      order: 1 (``jax.jacobian`` layout) or 2 (``jax.hessian`` layout; with
        ``form="vjp"``, the Hessian-vector product ``H·v``).
      form: ``"jacobian"`` (default), ``"vjp"`` (the closed form takes a
        cotangent of ``of``'s output last and returns each ``wrt``'s cotangent,
        as ``jax.vjp``) or ``"jvp"`` (it takes a tangent per ``wrt`` last and
        returns the tangent of ``of``'s output, as ``jax.jvp``).
      cotangent: the cotangent's domain (``form="vjp"``; default ``domain.real``).
      tangents: each ``wrt``'s tangent's domain (default ``domain.real``).
      dims: sizes to check for each size name used in a domain's shape.
      name: report name (default: the closed form's ``__name__``).
      source: the document and section that states the result.
      expect: ``"pass"`` (default) or ``"fail"`` for a known-wrong derivation.
      why: with ``expect="fail"``, what is wrong, in one line.

    Returns:
      A decorator that registers the derivation and returns the closed form unchanged.

    Raises:
      DeclarationError: the declaration is inconsistent (a ``wrt`` that is not
        a parameter, a parameter without a domain, an unknown form or size
        name, ...), when the closed form is decorated.

    Examples:
      >>> import jax.numpy as jnp
      >>> import checks
      >>> def bce(alpha, beta):
      ...     return -(alpha * jnp.log(beta) + (1 - alpha) * jnp.log1p(-beta))
      >>> @checks.derivation(
      ...     of=bce,
      ...     wrt="beta",
      ...     inputs={
      ...         "alpha": checks.domain.unit_interval(),
      ...         "beta": checks.domain.unit_interval(),
      ...     },
      ... )
      ... def bce_grad_beta(alpha, beta):
      ...     return (beta - alpha) / (beta * (1 - beta))
      >>> bce_grad_beta(0.0, 0.5)  # the closed form, unchanged
      2.0
      >>> checks.verify(bce_grad_beta, samples=100).status
      'pass'
    """

    def register(closed_form: F) -> F:
        record = make_derivation(
            closed_form,
            of=of,
            wrt=wrt,
            inputs=inputs,
            order=order,
            dims=dims,
            name=name,
            source=source,
            expect=expect,
            why=why,
            form=form,
            cotangent=cotangent,
            tangents=tangents,
        )
        closed_form.__derivation__ = record
        register_in_module(closed_form, record)
        return closed_form

    return register


def register_in_module(fn: Callable[..., object], record: Record) -> None:
    """Add ``record`` to its module's ``__derivations__``.

    A second module-level declaration of the same name in a module is a
    ``DeclarationError`` naming both (it would silently replace the first), except
    when it is the same definition run again (a notebook cell re-run, or a
    script's ``__main__``): then it replaces the first, as does one declared inside
    a function (a test, a factory) called again.
    """
    module = sys.modules.get(getattr(fn, "__module__", ""), None)
    if module is None:
        return
    registry = module.__dict__.setdefault("__derivations__", [])
    for i, existing in enumerate(registry):
        if existing.name == record.name:
            before = _function_of(existing)
            if before is not fn and (
                module.__name__ == "__main__"
                or _where(before) == _where(fn)
                or not (_module_level(before) and _module_level(fn))
            ):
                registry[i] = record
                return
            raise DeclarationError(
                f"{record.name}: declared twice in {module.__name__}: "
                f"{_describe_definition(before)} and {_describe_definition(fn)} "
                "(give one of them another name=)"
            )
    registry.append(record)


def _function_of(record: Record) -> Callable[..., object] | None:
    """The decorated function of a derivation or claim record."""
    return getattr(record, "closed_form", None) or getattr(record, "fn", None)


def _module_level(fn: object) -> bool:
    """Defined at the top level of its module (not inside a function)."""
    return "<locals>" not in getattr(fn, "__qualname__", "<locals>")


def _where(fn: object) -> tuple[str, int] | None:
    code = getattr(fn, "__code__", None)
    return (code.co_filename, code.co_firstlineno) if code is not None else None


def defined_at(record: Record) -> tuple[str, int] | None:
    """The file and first line (its first decorator's) of the function a
    derivation or claim record decorates, or None when it has no code."""
    return _where(_function_of(record))


def _describe_definition(fn: object) -> str:
    where = _where(fn)
    label = getattr(fn, "__name__", repr(fn))
    return f"{label} (line {where[1]})" if where else label


def derivations_in(module: ModuleType) -> list[Record]:
    """The derivations a module declares, in declaration order.

    A module (or package) may define ``CATALOG``, a sequence of derivations or
    decorated closed forms; otherwise the ``@derivation`` records it holds are used.

    Args:
        module: an imported module or package.

    Returns:
        Its records (``Derivation``; claims and rules too), in order.

    Raises:
        DeclarationError: an item of ``CATALOG`` is not a declared entry.

    Examples:
        >>> import checks
        >>> from derivations import cross_entropy
        >>> names = [d.name for d in checks.derivations_in(cross_entropy)]
        >>> "binary_cross_entropy_grad_beta" in names
        True
    """
    catalog = getattr(module, "CATALOG", None)
    if catalog is not None:
        return [as_derivation(item) for item in catalog]
    return list(getattr(module, "__derivations__", []))
