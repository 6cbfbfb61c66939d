"""The ``Domain`` record of ``checks.domain``: what a domain is (kind, shape,
strata, its JAX and NumPy draws, how its values are edited), how it samples a
batch inside ``jax.jit`` or on the host, and how it describes itself; with
``DomainError`` and the checking of a declared shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import DTypeLike

from checks._src.declare.domain_editing import Editing
from checks._src.evaluate.precision import in_numerics

Shape = tuple[int | str, ...]
# A shape as written in a declaration: one int or size name, or a sequence of them.
ShapeLike = int | str | Sequence[int | str]
Sampler = Callable[
    [jax.Array, int, tuple[int, ...], DTypeLike], tuple[jax.Array, jax.Array]
]


class DomainError(ValueError):
    """A domain was declared or used with arguments that make no sense.

    Examples:
        >>> from checks import domain
        >>> domain.integers(3, 3)
        Traceback (most recent call last):
        checks.domain.DomainError: integers(low, high) needs low < high, got 3, 3
    """


@dataclass(frozen=True)
class Domain:
    """Where one parameter's values come from.

    Attributes:
      kind: the constructor's name (``"unit_interval"``, ``"simplex"``, ...).
      shape: the shape of one example; entries may be size names listed in ``dims``.
      strata: names of the sampled regions, bulk first.
      draw: ``draw(key, n, shape, dtype) -> (values, stratum_index)``, in JAX.
      host_draw: the same draw in NumPy from a ``uint64`` stream (operation for
        operation, so the same points up to library functions' last bit), or
        None for a sampler only JAX can run (``custom``).
      floating: values are real numbers of the case's dtype (else integers).
      continuous: values are rounded reals, not exact labels or constants.
      params: the arguments the domain was made with, for ``describe``.
      editing: how a counterexample's value is moved and simplified here
        (``Editing``); None: it is left as it was drawn (labels, constants,
        integers, your own sampler's values).
      self_describing: ``kind`` and ``params`` say everything ``draw`` does, so
        they identify its values in a stored result's key (``checks._src.store.store``);
        False: the key also holds a digest of ``draw``'s code.

    Made by the constructors of this module (``real``, ``simplex``, ...), never
    directly.

    Examples:
      >>> from checks import domain
      >>> d = domain.simplex(("k",))
      >>> d.kind, d.shape, d.strata[0]
      ('simplex', ('k',), 'dirichlet')
    """

    kind: str
    shape: Shape
    strata: tuple[str, ...]
    draw: Sampler = field(repr=False, compare=False)
    floating: bool = True
    continuous: bool = True
    params: tuple[tuple[str, Any], ...] = ()
    host_draw: Sampler | None = field(default=None, repr=False, compare=False)
    editing: Editing | None = field(default=None, repr=False, compare=False)
    self_describing: bool = True

    def key_text(self) -> str:
        """What a stored result's key says of this domain (``checks._src.store.store``).

        Examples:
            >>> from checks import domain
            >>> domain.positive().key_text()
            "('positive', (), ('bulk', 'near-zero', 'large'), True, True)()"
        """
        text = repr(
            (self.kind, self.shape, self.strata, self.floating, self.continuous)
        )
        return text + repr(self.params)

    def size_names(self) -> set[str]:
        """The size names this domain's shape uses.

        Examples:
            >>> from checks import domain
            >>> sorted(domain.real(("m", 3, "n")).size_names())
            ['m', 'n']
        """
        return {s for s in self.shape if isinstance(s, str)}

    def resolve(self, dims: Mapping[str, int]) -> tuple[int, ...]:
        """The concrete shape of one example, given the sizes in ``dims``.

        Args:
            dims: a size for every size name of the shape.

        Returns:
            The shape, in ints.

        Raises:
            KeyError: a size name has no size in ``dims``.

        Examples:
            >>> from checks import domain
            >>> domain.real(("m", 3)).resolve({"m": 2})
            (2, 3)
        """
        return tuple(dims[s] if isinstance(s, str) else int(s) for s in self.shape)

    @in_numerics
    def sample(
        self, key: jax.Array, n: int, dims: Mapping[str, int], dtype: DTypeLike
    ) -> tuple[jax.Array, jax.Array]:
        """``n`` examples ``(n, *shape)`` in ``dtype``, and their strata ``(n,)``.

        Args:
            key: a stream of ``checks.sampling`` (``sampling.stream(seed)``).
            n: how many examples.
            dims: a size for every size name of the shape.
            dtype: the dtype of the values (``"float64"``, ``"float32"``, ...).

        Returns:
            ``(values, strata)``: the examples, and for each the index in
            ``strata`` of the region it was drawn from.

        Raises:
            DomainError: a ``custom`` sampler returned the wrong shape.

        Examples:
            >>> import numpy as np
            >>> from checks import domain, sampling
            >>> values, strata = domain.unit_interval().sample(
            ...     sampling.stream(0), 1000, {}, "float64"
            ... )
            >>> x = np.asarray(values)  # float64 (JAX may have float64 off here)
            >>> x.shape, bool(((x > 0) & (x < 1)).all())
            ((1000,), True)
        """
        shape = self.resolve(dims)
        values, strata = _jitted_draw(self.draw, key, n, shape, jnp.dtype(dtype))
        expected = (n, *shape)
        if tuple(values.shape) != expected:
            raise DomainError(
                f"{self.kind} domain returned shape {tuple(values.shape)}, "
                f"expected {expected}"
            )
        return values, strata

    def sample_on_host(
        self, stream: np.uint64, n: int, dims: Mapping[str, int], dtype: DTypeLike
    ) -> tuple[np.ndarray, np.ndarray]:
        """``sample`` computed by NumPy (``host_draw``) from a concrete stream.

        Args:
            stream: a stream as a ``numpy.uint64``.
            n, dims, dtype: as for ``sample``.

        Returns:
            ``(values, strata)`` as NumPy arrays: the points ``sample`` draws.

        Raises:
            DomainError: the domain has no NumPy sampler (``custom``).

        Examples:
            >>> import numpy as np
            >>> from checks import domain, sampling
            >>> d, key = domain.real(), sampling.stream(0)
            >>> on_host, _ = d.sample_on_host(np.asarray(key), 8, {}, "float64")
            >>> in_jax, _ = d.sample(key, 8, {}, "float64")
            >>> bool(np.allclose(on_host, in_jax, rtol=1e-12))
            True
        """
        if self.host_draw is None:
            raise DomainError(f"{self.kind} domain has no NumPy sampler")
        with np.errstate(over="ignore"):
            values, strata = self.host_draw(
                np.uint64(stream), n, self.resolve(dims), jnp.dtype(dtype)
            )
        return np.asarray(values), np.asarray(strata, np.int32)

    def describe(self) -> str:
        """A short readable form, as it would be written in a declaration.

        Examples:
            >>> from checks import domain
            >>> domain.real(("k",), scale=2.0).describe()
            "real(scale=2.0, shape=('k',))"
        """
        args = [repr(v) for k, v in self.params if k == ""]
        args += [f"{k}={v!r}" for k, v in self.params if k != ""]
        if self.shape != ():
            args.append(f"shape={self.shape!r}")
        return f"{self.kind}({', '.join(args)})"


# Jitted with the draw function static, so a domain used by many derivations (and
# the same constructor arguments give the same domain object) is traced once per
# shape and dtype, then reused from JAX's cache inside every case's program.
_jitted_draw = jax.jit(
    lambda draw, key, n, shape, dtype: draw(key, n, shape, dtype),
    static_argnums=(0, 2, 3, 4),
)


def _check_shape(shape: Any) -> Shape:
    if isinstance(shape, (int, str)):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise DomainError(
            f"shape must be a tuple of ints or size names, got {shape!r}"
        ) from None
    for s in shape:
        if isinstance(s, bool) or not isinstance(s, (int, str, np.integer)):
            raise DomainError(f"shape entries must be ints or size names, got {s!r}")
        if not isinstance(s, str) and int(s) < 1:
            raise DomainError(f"shape entries must be positive, got {s!r}")
    return tuple(s if isinstance(s, str) else int(s) for s in shape)


# Public as ``checks.domain.DomainError`` (README, "Layout"): a traceback names
# it there.
DomainError.__module__ = "checks.domain"
